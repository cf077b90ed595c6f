"""Stuck work is visible: `GET /api/v1/status`, `hub status --json` and /healthz read the work ledger."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from click.testing import CliRunner
from sqlalchemy import update

from hub.cli import main
from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.demo.data import day_of_orders
from hub.outbox.status import HEALTH_LATE_S


def post_one(client: Any, tenant: dict[str, Any]) -> None:
    assert client.post("/api/v1/deliveries", json=day_of_orders(1)[0], headers=tenant["headers"]).status_code == 202


def test_status_is_quiet_then_shows_waiting_work_and_no_worker(client, tenant, run_jobs):
    status = client.get("/api/v1/status", headers=tenant["headers"]).get_json()
    assert status["quiet"] is True and status["work"] == {}
    post_one(client, tenant)
    status = client.get("/api/v1/status", headers=tenant["headers"]).get_json()
    assert status["quiet"] is False
    assert status["work"]["assign"]["pending"] == 1 and status["workers"]["alive"] == 0  # created; assigning waits
    assert any("no worker is running" in note for note in status["notes"])
    run_jobs()
    assert client.get("/api/v1/status", headers=tenant["headers"]).get_json()["quiet"] is True


def test_status_needs_an_admin_key(client, tenant, clean):
    from tests.fixtures import make_key

    assert client.get("/api/v1/status").status_code == 401
    driver = make_key(clean, tenant["id"], "integration")
    assert client.get("/api/v1/status", headers=driver).status_code == 403


def test_hub_status_json_and_text(client, tenant):
    post_one(client, tenant)
    result = CliRunner().invoke(main, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["quiet"] is False and data["work"]["assign"]["pending"] == 1
    text = CliRunner().invoke(main, ["status"])
    assert text.exit_code == 0 and "busy" in text.output and "assign" in text.output


def test_healthz_degrades_when_work_waits_too_long(client, tenant, clean):
    post_one(client, tenant)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "degraded"  # waiting, and no worker alive
    with transaction(clean.sessions) as session:
        session.execute(update(OutboxItem).values(due_at=utcnow() - timedelta(seconds=HEALTH_LATE_S + 60)))
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["ok"] is False
    assert any("without being started" in why for why in health.json["degraded"])
    assert health.json["work"]["late_s"] > HEALTH_LATE_S


def test_a_delivery_nobody_can_take_says_why_and_is_counted_for_the_operator(client, tenant, run_jobs):
    """A tenant with no depot and no carrier: the delivery waits as received (the hub may be used without its
    assignment), the attempt is recorded with the reason, and the status notes count it."""
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    response = client.post("/api/v1/deliveries", json=day_of_orders(1, day=tomorrow)[0], headers=tenant["headers"])
    delivery_id = response.get_json()["id"]
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).get_json()["status"] == "received"
    decision = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=tenant["headers"]).get_json()
    assert decision["capacity"] == "none" and "no depot or carrier is set up" in decision["reason"]
    status = client.get("/api/v1/status", headers=tenant["headers"]).get_json()
    assert status["quiet"] is True
    assert [note for note in status["notes"] if "cannot be assigned" in note] == [
        f"1 delivery of tenant {tenant['name']} cannot be assigned: it has no depot or carrier set up "
        "(GET /api/v1/deliveries/<id>/assignment says so per delivery)"]
    text = CliRunner().invoke(main, ["status"])
    assert "1 delivery of tenant" in text.output
