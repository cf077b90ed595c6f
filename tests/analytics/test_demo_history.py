"""`hub demo --history`: a past day lived through the API, the jobs, the driver and carrier APIs on a moved clock
leaves a true history the figures count."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.analytics import DeliveryFact, RouteDayFact
from hub.db.models.execution import DriverPing
from hub.demo.history import BERLIN, History


def test_a_day_of_history_is_lived_through_the_pipeline(clean, hub_url, tmp_path):
    history = History(tmp_path, days=1, per_day=10, serving=(clean, hub_url))
    first, last = history.run()
    yesterday = datetime.now(BERLIN).date() - timedelta(days=1)
    assert first == last == yesterday
    with clean.sessions() as session:
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        facts = session.execute(select(DeliveryFact)).scalars().all()
        delivered_at = session.execute(select(DeliveryEvent.occurred_at).where(
            DeliveryEvent.type == "delivery.status_changed", DeliveryEvent.data["status"].as_string() == "delivered")
        ).scalars().all()
        assert session.scalar(select(func.count()).select_from(DriverPing)) == history.counts["pings"] > 0
        assert session.scalar(select(func.count()).select_from(RouteDayFact)) >= 1
    assert deliveries == len(facts) == 10
    assert delivered_at and all(at.astimezone(BERLIN).date() == yesterday for at in delivered_at)
    assert all(at < datetime.now(timezone.utc) - timedelta(hours=1) for at in delivered_at)
    worked = [f for f in facts if f.attempts]
    assert len(worked) == history.counts["delivered"] + history.counts["failed"] + history.counts["carrier_reports"] // 2
    assert all(f.day == yesterday for f in facts)
    assert any(f.dwell_s and f.dwell_s > 0 for f in facts) and any(f.cost for f in facts)
