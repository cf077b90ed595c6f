"""ConnectorSpec validation, the value types, and capability checks."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import pytest
from marshmallow import Schema

from hub.plugins import (
    CapabilityMissing,
    ConnectorSpec,
    Headers,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    MappingWarning,
    Quote,
    SpecError,
    WebhookAuth,
    require,
    supports,
)
from hub.plugins.capabilities import spec_of

NOW = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)


class NoSettings(Schema):
    pass


class Mapper:
    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def to_delivery(self, raw: Any, ctx: Any) -> MappedDelivery:
        return MappedDelivery.skipped("nothing")


class Slotted:
    __slots__ = ("__weakref__",)

    def to_delivery(self, raw: Any, ctx: Any) -> MappedDelivery:
        return MappedDelivery.skipped("nothing")


def make_spec(**changes: Any) -> ConnectorSpec:
    base: dict[str, Any] = dict(
        id="demo", label="Demo", kind="source", version="1.0", settings_schema=NoSettings,
        capabilities=frozenset({"map_delivery"}), factory=Mapper,
    )
    return ConnectorSpec(**{**base, **changes})


@pytest.mark.parametrize("changes, message", [
    ({"id": "Demo"}, "lowercase"),
    ({"id": "my-connector"}, "lowercase"),
    ({"id": ""}, "lowercase"),
    ({"kind": "store"}, "kind"),
    ({"capabilities": frozenset({"teleport"})}, "unknown capabilities"),
    ({"capabilities": "map_delivery"}, "set of names"),
    ({"settings_schema": dict}, "marshmallow"),
    ({"factory": "not callable"}, "callable"),
    ({"label": " "}, "label"),
    ({"version": ""}, "version"),
    ({"docs_url": "ftp://x"}, "docs_url"),
    ({"webhook_auth": "signature"}, "webhook_auth must be a WebhookAuth"),
])
def test_spec_refuses_malformed_fields(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        make_spec(**changes)


def test_spec_normalizes_capabilities_and_is_frozen() -> None:
    spec = make_spec(capabilities={"map_delivery"})
    assert spec.capabilities == frozenset({"map_delivery"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.id = "other"  # type: ignore[misc]


def test_create_remembers_the_spec_and_supports_checks_both_sides() -> None:
    spec = make_spec()
    connector = spec.create({})
    assert spec_of(connector) is spec
    assert supports(connector, "map_delivery")
    assert require(connector, "map_delivery") is connector
    assert not supports(connector, "receive_webhook")  # neither declared nor implemented
    with pytest.raises(CapabilityMissing, match="not declared"):
        require(connector, "pull_orders")


def test_declared_but_not_implemented_is_not_supported() -> None:
    connector = make_spec(capabilities=frozenset({"map_delivery", "pull_orders"})).create({})
    assert not supports(connector, "pull_orders")
    with pytest.raises(CapabilityMissing, match="does not implement PullOrders"):
        require(connector, "pull_orders")


def test_implemented_but_not_declared_is_not_supported() -> None:
    class Both(Mapper):
        def pull(self, bookmark: str | None, *, limit: int) -> Any: ...

    connector = make_spec(factory=Both).create({})
    assert not supports(connector, "pull_orders")


def test_spec_link_works_for_slotted_objects_and_unknown_objects() -> None:
    spec = make_spec(factory=lambda settings: Slotted())
    connector = spec.create({})
    assert spec_of(connector) is spec and supports(connector, "map_delivery")
    assert spec_of(Mapper({})) is None
    assert not supports(Mapper({}), "map_delivery")
    assert supports(Mapper({}), "map_delivery", spec=spec)


def test_headers_are_case_insensitive_and_keep_repeats() -> None:
    headers = Headers([("X-Acme-Signature", "abc"), ("Set-Thing", "1"), ("set-thing", "2")])
    assert headers["x-acme-signature"] == "abc"
    assert "X-ACME-SIGNATURE" in headers and "missing" not in headers
    assert headers.get_all("SET-THING") == ["1", "2"]
    assert len(headers) == 2 and list(headers) == ["X-Acme-Signature", "Set-Thing"]
    assert "x-acme-signature" not in headers.without("X-Acme-Signature")
    assert headers.replacing("set-thing", "3").get_all("Set-Thing") == ["3"]
    assert Headers({"A": "1"}) == {"A": "1"}


def test_inbound_request_coerces_headers_and_requires_aware_time() -> None:
    request = InboundRequest("POST", "/hooks/x", {"Content-Type": "application/json"}, b'{"a": 1}', {}, None, NOW)
    assert isinstance(request.headers, Headers) and request.json() == {"a": 1}
    with pytest.raises(SpecError, match="timezone-aware"):
        InboundRequest("POST", "/", {}, b"", {}, None, datetime(2025, 1, 1))
    with pytest.raises(SpecError, match="bytes"):
        InboundRequest("POST", "/", {}, "text", {}, None, NOW)  # type: ignore[arg-type]


def test_value_types_validate_their_invariants() -> None:
    with pytest.raises(SpecError):
        InboundEvent(kind="order.created", external_id="1", payload={}, topic="t")  # type: ignore[arg-type]
    with pytest.raises(SpecError):
        MappedDelivery(delivery=None)
    with pytest.raises(SpecError):
        MappedDelivery(delivery={}, skip_reason="both")
    with pytest.raises(SpecError):
        MappingContext(tenant="t", installation_id="i", connector="c", now=datetime(2025, 1, 1))
    with pytest.raises(SpecError):
        Quote(amount="1.00", currency="eur")
    assert str(Quote(amount=1.5, currency="EUR").amount) == "1.5"  # type: ignore[arg-type]
    ctx = MappingContext(tenant="t", installation_id="i", connector="c", now=NOW)
    assert dict(ctx.settings) == {} and dict(ctx.overrides) == {}


def test_mapping_warning_becomes_a_data_quality_flag() -> None:
    warning = MappingWarning("address_missing_unit", "no unit", "$.dropoff.address.unit")
    assert warning.as_flag() == {
        "code": "address_missing_unit", "message": "no unit", "severity": "warning", "field": "$.dropoff.address.unit",
    }
    assert "field" not in MappingWarning("x", "y", severity="info").as_flag()


def test_webhook_auth_names_a_known_scheme_and_a_token_needs_its_header() -> None:
    assert WebhookAuth() == WebhookAuth(scheme="signature", header=None, secrets=None)
    assert WebhookAuth(scheme="header_token", header="X-Token", secrets=["token"]).secrets == ("token",)
    with pytest.raises(SpecError, match="scheme"):
        WebhookAuth(scheme="basic")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="needs the header"):
        WebhookAuth(scheme="header_token")
    with pytest.raises(SpecError, match="not one string"):
        WebhookAuth(secrets="token")  # type: ignore[arg-type]
    assert make_spec(webhook_auth=WebhookAuth(header="X-Sig")).webhook_auth.header == "X-Sig"


def test_a_fetch_event_names_the_order_to_fetch() -> None:
    event = InboundEvent(kind="order.fetch", external_id="1001", payload={}, topic="store/order/created")
    assert event.kind == "order.fetch"
    with pytest.raises(SpecError, match="external_id"):
        InboundEvent(kind="order.fetch", external_id=None, payload={}, topic="store/order/created")
