"""Chain of custody: an event row or a stored POD file edited behind the hub's back is caught by
GET /custody and by `hub custody verify`, which name the first broken link."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select, update

from hub.cli import main
from hub.db.engine import transaction
from hub.db.media import FilesystemMediaStore
from hub.db.models import DeliveryEvent
from hub.db.models.execution import PodMedia
from tests.execution.setup import driver_headers, make_driver, plan_route, pod_form, post_delivery


def delivered(client, tenant, run_jobs, clean) -> tuple[str, dict]:
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1")
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    client.post("/api/v1/driver/route/start", headers=headers)
    client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers)
    done = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    return delivery, done.json


def verify(delivery_id: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["custody", "verify", delivery_id, "--json"])
    return result.exit_code, json.loads(result.output)


def event_seq(clean, delivery_id: str, event_type: str) -> int:
    with clean.sessions() as session:
        return session.execute(select(DeliveryEvent.sequence).where(
            DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == event_type)
            .order_by(DeliveryEvent.sequence).limit(1)).scalar_one()


def test_an_edited_event_row_is_caught_with_the_first_broken_sequence(client, tenant, run_jobs, clean):
    delivery, _ = delivered(client, tenant, run_jobs, clean)
    code, report = verify(delivery)
    assert code == 0 and report["ok"] is True
    plain = CliRunner().invoke(main, ["custody", "verify", delivery])
    assert plain.exit_code == 0 and "OK" in plain.output

    handoff = event_seq(clean, delivery, "delivery.handoff")  # say someone rewrites who took the parcels
    with transaction(clean.sessions) as session:
        session.execute(update(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery,
                                                    DeliveryEvent.sequence == handoff)
                        .values(data={"from": {"kind": "warehouse", "id": "dep_x"},
                                      "to": {"kind": "driver", "id": "drv_someone_else"}}))

    api = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"])
    assert api.status_code == 200
    assert api.json["ok"] is False
    assert api.json["first_broken"] == {"sequence": handoff, "kind": "event",
                                        "reason": "its content was changed after it was recorded"}
    assert api.json["chain"]["checked"] == handoff - 1
    code, report = verify(delivery)
    assert code == 1 and report["first_broken"]["sequence"] == handoff
    plain = CliRunner().invoke(main, ["custody", "verify", delivery])
    assert plain.exit_code == 1 and f"BROKEN at sequence {handoff}" in plain.output


def test_an_edited_media_file_is_caught(client, tenant, run_jobs, clean):
    delivery, done = delivered(client, tenant, run_jobs, clean)
    photo_id = done["pod"]["photos"][1]["id"]
    with clean.sessions() as session:
        key = session.get(PodMedia, photo_id).storage_key
    path = FilesystemMediaStore(clean.config.data_dir / "media").path_of(key)
    path.write_bytes(path.read_bytes() + b"retouched")

    pod_seq = event_seq(clean, delivery, "delivery.pod_captured")
    api = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"]).json
    assert api["ok"] is False and api["chain"]["ok"] is True
    assert api["first_broken"] == {"sequence": pod_seq, "kind": "media", "media_id": photo_id,
                                   "reason": "the stored file was changed after it was recorded"}
    assert [m["ok"] for m in api["media"]] == [True, True, False]
    code, report = verify(delivery)
    assert code == 1 and report["first_broken"]["media_id"] == photo_id
    plain = CliRunner().invoke(main, ["custody", "verify", delivery])
    assert plain.exit_code == 1 and photo_id in plain.output

    path.unlink()
    assert client.get(f"/api/v1/deliveries/{delivery}/custody",
                      headers=tenant["headers"]).json["first_broken"]["reason"] == "the stored file is missing"


def test_an_event_edit_before_a_media_edit_is_named_first(client, tenant, run_jobs, clean):
    delivery, done = delivered(client, tenant, run_jobs, clean)
    with clean.sessions() as session:
        key = session.get(PodMedia, done["pod"]["signature"]["id"]).storage_key
    FilesystemMediaStore(clean.config.data_dir / "media").path_of(key).write_bytes(b"not the signature")
    with transaction(clean.sessions) as session:
        session.execute(update(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery, DeliveryEvent.sequence == 1)
                        .values(data={"delivery": {"id": delivery, "notes": "rewritten"}}))
    code, report = verify(delivery)
    assert code == 1 and report["first_broken"]["sequence"] == 1 and report["first_broken"]["kind"] == "event"
    assert any(not m["ok"] for m in report["media"])  # the file is reported too


def test_unknown_delivery_exit_code_2(clean):
    result = CliRunner().invoke(main, ["custody", "verify", "dlv_missing"])
    assert result.exit_code == 2 and "no delivery" in result.output


def test_recorded_handoffs_and_custody_gaps(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    url = f"/api/v1/deliveries/{delivery}/handoffs"
    first = client.post(url, headers=tenant["headers"], json={"from": {"kind": "warehouse", "id": "dep_1"},
                                                              "to": {"kind": "carrier", "id": "car_1"}})
    assert first.status_code == 201 and first.json["type"] == "delivery.handoff"
    skipped = client.post(url, headers=tenant["headers"], json={"from": {"kind": "driver", "id": "drv_9"},
                                                                "to": {"kind": "recipient", "name": "P. N."}})
    assert skipped.status_code == 201
    bad = client.post(url, headers=tenant["headers"], json={"from": {"kind": "truck", "id": "x"}, "to": {}})
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"$.from.kind", "$.to.kind"}
    extra = client.post(url, headers=tenant["headers"], json={"from": {"kind": "warehouse", "id": "dep_1", "x": 1},
                                                              "to": {"kind": "driver", "id": "d"}, "note": 5})
    assert extra.status_code == 422
    assert {d["path"] for d in extra.json["error"]["details"]} == {"$.from.x", "$.note"}
    nameless = client.post(url, headers=tenant["headers"], json={"from": {"kind": "warehouse", "id": "dep_1"},
                                                                 "to": {"kind": "driver"}})
    assert nameless.status_code == 422 and nameless.json["error"]["details"][0]["path"] == "$.to"
    report = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"]).json
    assert report["ok"] is True and len(report["handoffs"]) == 2
    assert report["custody_gaps"] == [{"sequence": skipped.json["sequence"], "expected_from": {"kind": "carrier", "id": "car_1"},
                                       "from": {"kind": "driver", "id": "drv_9"}}]
