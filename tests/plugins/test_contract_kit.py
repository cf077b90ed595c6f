"""The contract kit itself: a good connector passes, and each kind of bad connector is caught."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields

from hub.plugins import (
    ConnectorSpec,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    Verification,
    WebhookAuth,
)
from hub.plugins.registry import UnknownConnector
from hub.testing import ConnectorContract, PayloadError, discover_cases
from hub.testing.selection import parameters

SECRET = "kit-test-secret-0123456789"
ORDER = {"id": "o-1", "name": "Ada", "street": "Main St 1", "city": "Springfield", "country": "US"}
OUTCOMES = (AssertionError, pytest.fail.Exception)


class KitSettings(Schema):
    secret = fields.String(required=True, metadata={"secret": True})


class GoodConnector:
    def __init__(self, settings: Any) -> None:
        self._secret = settings["secret"]

    def verify(self, request: InboundRequest) -> Verification:
        expected = hmac.new(self._secret.encode(), request.body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(request.headers.get("X-Sig", ""), expected)
        return Verification(ok=ok, reason="" if ok else "bad signature")

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        order = json.loads(request.body)
        return [InboundEvent(kind="order.upsert", external_id=order["id"], payload=order, topic="order")]

    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        return MappedDelivery(delivery={
            "source": {"connector": ctx.connector, "external_id": raw["id"]},
            "dropoff": {"contact": {"name": raw["name"]},
                        "address": {"line1": raw["street"], "city": raw["city"], "country": raw["country"]}},
        })


SIGNED_BY_HEADER = WebhookAuth(scheme="signature", header="X-Sig", secrets=("secret",))


def spec_for(factory: Any, capabilities: set[str] | None = None, auth: WebhookAuth | None = SIGNED_BY_HEADER) -> ConnectorSpec:
    return ConnectorSpec(
        id="kitdemo", label="Kit demo", kind="source", version="1", settings_schema=KitSettings,
        capabilities=frozenset(capabilities or {"receive_webhook", "map_delivery"}), factory=factory, webhook_auth=auth,
    )


def signed(name: str = "signed") -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps(ORDER).encode()
    return name, body, {"X-Sig": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """The golden folder of a payloads folder (``golden.parent``) with one case."""
    folder = tmp_path / "payloads" / "golden"
    folder.mkdir(parents=True)
    (folder / "basic.input.json").write_text(json.dumps(ORDER))
    return folder


def write_payloads(folder: Path, requests: list[tuple[str, bytes, dict[str, str]]]) -> Path:
    """A payloads folder as a connector package keeps it: settings.json and requests/NAME.{headers.json,body}."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({"valid": {"secret": SECRET},
                                                      "invalid": [{"settings": {}, "error_on": "secret"}]}))
    recorded = folder / "requests"
    recorded.mkdir(exist_ok=True)
    for old in recorded.iterdir():
        old.unlink()
    for name, body, headers in requests:
        (recorded / f"{name}.headers.json").write_text(json.dumps(headers))
        if body:
            (recorded / f"{name}.body").write_bytes(body)
    return folder


def contract(factory: Any, golden_dir: Path, *, capabilities: set[str] | None = None,
             requests: list[tuple[str, bytes, dict[str, str]]] | None = None,
             auth: WebhookAuth | None = SIGNED_BY_HEADER, **attrs: Any) -> ConnectorContract:
    """The kit set up as a connector's tests set it up: the connector and its payloads folder."""
    payloads = write_payloads(golden_dir.parent, [signed()] if requests is None else requests)
    cls = type("KitContract", (ConnectorContract,), {
        "connector": spec_for(factory, capabilities, auth), "payloads": payloads, **attrs})
    return cls()


def run_all(kit: ConnectorContract, golden_dir: Path) -> None:
    """Every test of the kit, as pytest would run them for this connector."""
    (case,) = discover_cases(golden_dir)
    kit.test_spec_is_well_formed()
    kit.test_declared_capabilities_are_implemented()
    kit.test_valid_settings_load()
    kit.test_secrets_never_shown()
    kit.test_invalid_settings_are_refused(0)
    kit.test_golden_cases_exist()
    kit.test_golden_case_maps_to_expected(case)
    kit.test_golden_case_is_canonical(case)
    kit.test_golden_case_mapping_is_pure(case)
    kit.test_signed_request_verifies(0)
    kit.test_tampered_body_is_refused(0)
    kit.test_unsigned_request_is_refused(0)
    kit.test_other_secret_is_refused(0)
    kit.test_garbage_is_refused_without_raising()


def test_a_good_connector_passes_and_golden_files_can_be_generated(golden: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = contract(GoodConnector, golden)
    monkeypatch.setenv("HUB_UPDATE_GOLDEN", "1")
    kit.test_golden_case_maps_to_expected(discover_cases(golden)[0])
    monkeypatch.delenv("HUB_UPDATE_GOLDEN")
    assert json.loads((golden / "basic.expected.json").read_text())["delivery"]["source"]["external_id"] == "o-1"
    run_all(kit, golden)


def test_missing_expected_file_fails_with_a_hint(golden: Path) -> None:
    with pytest.raises(OUTCOMES, match="HUB_UPDATE_GOLDEN=1"):
        contract(GoodConnector, golden).test_golden_case_maps_to_expected(discover_cases(golden)[0])


def test_changed_mapping_shows_a_diff(golden: Path) -> None:
    (golden / "basic.expected.json").write_text(json.dumps({"delivery": {}, "skip_reason": None, "warnings": []}))
    with pytest.raises(OUTCOMES, match=r"\(expected\)"):
        contract(GoodConnector, golden).test_golden_case_maps_to_expected(discover_cases(golden)[0])


class ClockReader(GoodConnector):
    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        mapped = super().to_delivery(raw, ctx)
        assert mapped.delivery is not None
        mapped.delivery["notes"] = datetime.now().isoformat()
        return mapped


class SwallowingClockReader(GoodConnector):
    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        try:
            datetime.now()
        except BaseException:  # noqa: BLE001 - the point of the test
            pass
        return super().to_delivery(raw, ctx)


class NetworkCaller(GoodConnector):
    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        socket.create_connection(("geocoder.example", 443), timeout=1)
        return super().to_delivery(raw, ctx)


class AcceptsAnything(GoodConnector):
    def verify(self, request: InboundRequest) -> Verification:
        return Verification(ok=True)


class RaisesOnGarbage(GoodConnector):
    def verify(self, request: InboundRequest) -> Verification:
        if not request.body:
            raise ValueError("empty")
        return super().verify(request)


@dataclasses.dataclass
class LeakyRepr(GoodConnector):
    _secret: str  # a dataclass repr shows every field

    @classmethod
    def build(cls, settings: Any) -> LeakyRepr:
        return cls(settings["secret"])


class NotCanonical(GoodConnector):
    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        return MappedDelivery(delivery={"source": {"external_id": raw["id"]}, "colour": "blue"})


class MutatesInput(GoodConnector):
    def to_delivery(self, raw: Any, ctx: MappingContext) -> MappedDelivery:
        raw["seen"] = True
        return super().to_delivery(raw, ctx)


class WrongPullSignature(GoodConnector):
    def pull(self, bookmark: str | None) -> Any: ...


@pytest.mark.parametrize("factory, test, message", [
    (ClockReader, "test_golden_case_mapping_is_pure", "clock: datetime.now"),
    (SwallowingClockReader, "test_golden_case_mapping_is_pure", "exception swallowed"),
    (NetworkCaller, "test_golden_case_mapping_is_pure", "network"),
    (MutatesInput, "test_golden_case_mapping_is_pure", "mutated its input"),
    (NotCanonical, "test_golden_case_is_canonical", "colour"),
    (AcceptsAnything, "test_tampered_body_is_refused", "byte 0 of the body flipped"),
    (AcceptsAnything, "test_unsigned_request_is_refused", "no X-Sig header"),
    (AcceptsAnything, "test_other_secret_is_refused", "another secret"),
    (RaisesOnGarbage, "test_garbage_is_refused_without_raising", "empty"),
    (LeakyRepr.build, "test_secrets_never_shown", "repr\\(connector\\)"),
])
def test_the_kit_catches(factory: Any, test: str, message: str, golden: Path) -> None:
    kit = contract(factory, golden)
    method = getattr(kit, test)
    case = discover_cases(golden)[0]
    args = {"golden_case": case, "signed_index": 0}
    wanted = [a for a in method.__code__.co_varnames[1:method.__code__.co_argcount] if a in args]
    with pytest.raises((*OUTCOMES, ValueError), match=message):
        method(*(args[a] for a in wanted))


def test_the_kit_catches_undeclared_implementations_and_bad_signatures(golden: Path) -> None:
    with pytest.raises(OUTCOMES, match="pull_orders: declared but the object does not implement"):
        contract(GoodConnector, golden, capabilities={"map_delivery", "pull_orders"}).test_declared_capabilities_are_implemented()
    with pytest.raises(OUTCOMES, match="pull_orders: pull"):
        contract(WrongPullSignature, golden, capabilities={"pull_orders"}).test_declared_capabilities_are_implemented()


def test_the_kit_demands_fixtures_for_declared_capabilities(tmp_path: Path) -> None:
    (tmp_path / "payloads" / "golden").mkdir(parents=True)
    with pytest.raises(OUTCOMES, match="no \\*.input.json"):
        contract(GoodConnector, tmp_path / "payloads" / "golden").test_golden_cases_exist()
    with pytest.raises(OUTCOMES, match="recorded requests"):
        contract(GoodConnector, tmp_path / "payloads" / "golden", requests=[]).test_signed_requests_are_provided()


def _generated(kit_class: type[ConnectorContract], test: str, arg: str) -> list[str]:
    return [i for i, _ in parameters(kit_class, getattr(kit_class, test), ConnectorContract)[arg]]


def test_only_the_tests_that_apply_are_generated(golden: Path) -> None:
    (golden / "hooked.input.json").write_text(json.dumps({**ORDER, "id": "o-2"}))
    (golden / "hooked.headers.json").write_text(json.dumps({"X-Sig": "x"}))
    webhooks_only = type(contract(GoodConnector, golden, capabilities={"receive_webhook"}))
    assert webhooks_only.test_golden_cases_exist is None and webhooks_only.test_golden_case_maps_to_expected is None
    assert webhooks_only.test_golden_case_through_webhook is None
    assert webhooks_only.test_signed_request_verifies is not None

    both = type(contract(GoodConnector, golden))
    assert _generated(both, "test_golden_case_maps_to_expected", "golden_case") == ["basic", "hooked"]
    assert _generated(both, "test_golden_case_through_webhook", "golden_case") == ["hooked"]

    kit_class = type(contract(GoodConnector, golden, requests=[("a_empty", b"", {"X-Sig": "x"}), signed("b_signed")]))
    assert _generated(kit_class, "test_signed_request_verifies", "signed_index") == ["a_empty", "b_signed"]
    assert _generated(kit_class, "test_tampered_body_is_refused", "signed_index") == ["b_signed"]
    assert kit_class.test_wrong_token_is_refused is None  # a signature scheme has no token to get wrong
    no_secrets = WebhookAuth(header="X-Sig", secrets=())
    assert type(contract(GoodConnector, golden, auth=no_secrets)).test_other_secret_is_refused is None
    assert kit_class.test_entry_point_names_the_spec is None  # a spec defined in a test has no entry point

    unsigned = type(contract(GoodConnector, golden, requests=[]))
    assert unsigned.test_signed_request_verifies is None and unsigned.test_tampered_body_is_refused is None
    assert unsigned.test_signed_requests_are_provided is not None  # and fails: receive_webhook needs them
    no_cases = type(contract(GoodConnector, golden.parent / "elsewhere" / "golden"))
    assert no_cases.test_golden_case_maps_to_expected is None and no_cases.test_golden_cases_exist is not None


def test_a_test_switched_off_stays_off_and_one_left_out_by_a_base_class_comes_back(golden: Path) -> None:
    base = type(contract(GoodConnector, golden, capabilities={"receive_webhook"},
                         test_garbage_is_refused_without_raising=None))
    assert base.test_golden_cases_exist is None
    child = type("ChildContract", (base,), {"connector": spec_for(GoodConnector)})
    assert child.test_golden_cases_exist is ConnectorContract.test_golden_cases_exist
    assert child.test_garbage_is_refused_without_raising is None


# -- header-token authentication ------------------------------------------------------------------------

TOKEN_AUTH = WebhookAuth(scheme="header_token", header="X-Token", secrets=("secret",))


class TokenConnector(GoodConnector):
    """A shared secret sent as is in a header; the body is not signed."""

    def verify(self, request: InboundRequest) -> Verification:
        ok = hmac.compare_digest(request.headers.get("X-Token", "").encode(), self._secret.encode())
        return Verification(ok=ok, reason="" if ok else "wrong or missing token")


class AcceptsAnyToken(TokenConnector):
    def verify(self, request: InboundRequest) -> Verification:
        ok = "X-Token" in request.headers
        return Verification(ok=ok, reason="" if ok else "no token")


def token_contract(factory: Any, golden: Path) -> ConnectorContract:
    return contract(factory, golden, auth=TOKEN_AUTH,
                    requests=[("order", json.dumps(ORDER).encode(), {"X-Token": SECRET})])


def test_a_header_token_connector_gets_the_token_checks_and_no_tampered_body_check(golden: Path) -> None:
    kit = token_contract(TokenConnector, golden)
    kit_class = type(kit)
    assert kit_class.test_tampered_body_is_refused is None  # an unsigned body may change: nothing to check
    assert _generated(kit_class, "test_wrong_token_is_refused", "signed_index") == ["order"]
    kit.test_signed_request_verifies(0)
    kit.test_wrong_token_is_refused(0)
    kit.test_unsigned_request_is_refused(0)
    kit.test_other_secret_is_refused(0)
    kit.test_garbage_is_refused_without_raising()


def test_the_kit_catches_a_connector_that_takes_any_token(golden: Path) -> None:
    kit = token_contract(AcceptsAnyToken, golden)
    with pytest.raises(OUTCOMES, match="a wrong token in X-Token"):
        kit.test_wrong_token_is_refused(0)
    with pytest.raises(OUTCOMES, match="another secret"):
        kit.test_other_secret_is_refused(0)
    kit.test_unsigned_request_is_refused(0)  # a missing token it does refuse


# -- setting the kit up -----------------------------------------------------------------------------------

def test_the_connector_can_be_named_by_its_installed_id(golden: Path) -> None:
    from connectors.shopify import CONNECTOR

    write_payloads(golden.parent, [])
    kit_class = type("ByName", (ConnectorContract,), {"connector": "shopify", "payloads": golden.parent})
    assert kit_class.spec is CONNECTOR and kit_class.auth is CONNECTOR.webhook_auth
    assert kit_class.test_entry_point_names_the_spec is not None
    with pytest.raises(UnknownConnector, match="nosuchthing"):
        type("Unknown", (ConnectorContract,), {"connector": "nosuchthing", "payloads": golden.parent})


def test_a_broken_payloads_folder_is_named_when_the_class_is_made(tmp_path: Path) -> None:
    spec = spec_for(GoodConnector)
    with pytest.raises(PayloadError, match="does not exist"):
        type("NoFolder", (ConnectorContract,), {"connector": spec, "payloads": tmp_path / "nothing"})
    with pytest.raises(PayloadError, match="settings.json is missing"):
        type("NoSettings", (ConnectorContract,), {"connector": spec, "payloads": tmp_path})
    (tmp_path / "settings.json").write_text('{"invalid": []}')
    with pytest.raises(PayloadError, match='needs {"valid"'):
        type("NoValid", (ConnectorContract,), {"connector": spec, "payloads": tmp_path})
    with pytest.raises(TypeError, match="set payloads too"):
        type("OnlyConnector", (ConnectorContract,), {"connector": spec})
