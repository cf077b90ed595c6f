""""Arriving soon" by stops: on a stored route, the customer whose stop is within N stops of the van hears it
when the van sets out or finishes the stop before, once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.notify.standins import messages, settings
from tests.tracking.setup import berlin_delivery, fleet, move, post, store_route


def test_each_stop_hears_arriving_soon_when_the_stop_before_it_ends(client, tenant, twilio, run_jobs, clean):
    doc = settings(twilio_url=twilio.url_for("/").rstrip("/"), triggers={
        "out_for_delivery": {"channels": []}, "arriving_soon": {"channels": ["sms"], "minutes": 15, "stops": 1}})
    assert client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=doc).status_code == 200
    now = datetime.now(timezone.utc).replace(microsecond=0)
    window = (now - timedelta(hours=1), now + timedelta(hours=6))
    names = ("alex", "hackescher", "tor")
    ids = {name: post(client, tenant, run_jobs, berlin_delivery(f"BER-{name}", name, window)) for name in names}
    route = fleet(client, tenant)
    store_route(clean, tenant["id"], route, [(ids[n], n) for n in names], now.date(),
                [now + timedelta(hours=2, minutes=10 * i) for i in range(3)])  # ETAs far off: stops decide
    for name in names:
        move(clean, ids[name], "dispatched", "in_transit")
    run_jobs()

    def told() -> list[str]:
        return [n for n in names if any(m.trigger == "arriving_soon" for m in messages(clean, ids[n]))]

    assert told() == ["alex"]  # the first stop: nothing stands before it
    move(clean, ids["alex"], "arriving", "delivered")
    run_jobs()
    assert told() == ["alex", "hackescher"]
    move(clean, ids["hackescher"], "arriving", "delivered")
    run_jobs()
    assert told() == list(names)
    assert len(twilio.sent) == 3 and all(f["To"] == ["+493012345678"] for f in twilio.sent)
    assert "Ihre Lieferung kommt in ca. 15 Min." in twilio.sent[0]["Body"][0]  # a Berlin address: German
