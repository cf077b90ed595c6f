"""The connector contract: the standard tests every connector passes, built-in or third-party.

Subclass :class:`ConnectorContract` in your package's tests with two attributes::

    from pathlib import Path
    from hub.testing import ConnectorContract

    class TestAcme(ConnectorContract):
        connector = "acme"                                  # the spec's id, or the ConnectorSpec itself
        payloads = Path(__file__).parent / "payloads"       # settings.json, golden/, requests/

The payloads folder is described in :mod:`hub.testing.payloads`; how inbound webhooks authenticate comes
from the spec's ``webhook_auth``. Run ``pytest``. The kit checks: the spec is well formed and its entry point
(when installed) names it; every declared capability is implemented with a compatible signature; settings
validate, bad ones name the bad field, and secrets never show in repr/str/redacted output or in the
connector's repr; every golden input maps exactly to its expected output, validates against
``delivery_input.v1``, and maps the same way twice without network or clock; recorded requests verify and
forged ones do not: a flipped byte of the body (``signature`` scheme), a missing signature or token, a wrong
token (``header_token`` scheme), a different secret. ``HUB_UPDATE_GOLDEN=1`` rewrites the expected files
instead of comparing.

Only the tests that apply are generated (see :mod:`hub.testing.selection`): a test for a capability the
connector does not declare, for another auth scheme, or for inputs it does not have (golden cases, a case
with a ``.headers.json``, requests), is not collected at all rather than skipped.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from hub.canonical.validation import validate_document
from hub.paths import SCHEMAS_DIR
from hub.plugins import capabilities as caps
from hub.plugins.overrides import value_at
from hub.plugins.registry import Registry, default_registry
from hub.plugins.settings import Settings, SettingsError, load_settings, redact, secret_fields, settings_json_schema
from hub.plugins.spec import KINDS, ConnectorSpec, WebhookAuth
from hub.plugins.values import Headers, InboundEvent, InboundRequest, MappedDelivery, Verification
from hub.testing.golden import (
    GoldenCase,
    build_context,
    diff_documents,
    discover_cases,
    dump_mapped,
    update_requested,
    write_expected,
)
from hub.testing.call_shapes import signature_problems
from hub.testing.guards import ImpureCall, Violations, module_roots_of, no_clock, no_network
from hub.testing.inbound import flip_byte, make_request, with_setting
from hub.testing.payloads import load_payloads
from hub.testing.selection import applies_to, parameters, select_tests
from hub.testing.when import (entry_point_installed, entry_points_of, has_body, has_headers, has_secret_to_change,
                             sends_token, signs_body)

__all__ = ["ConnectorContract"]

T = TypeVar("T")
INPUT_SCHEMA = "delivery_input.v1"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
JSON_PATH = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")

def _spec(connector: str | ConnectorSpec) -> ConnectorSpec:
    """The spec a contract class names: itself, or the installed connector with that id."""
    if isinstance(connector, ConnectorSpec):
        return connector
    return default_registry().get(connector)  # UnknownConnector says whether it is missing or broken


def _validator() -> Callable[[str, Any], list[Any]]:
    """``hub.canonical.validate_document``, or skip when the canonical schema is not available."""
    if not (SCHEMAS_DIR / f"{INPUT_SCHEMA}.json").exists():
        pytest.skip(f"canonical schema {INPUT_SCHEMA}.json not found under {SCHEMAS_DIR}")
    return validate_document


class ConnectorContract:
    """Base class of a connector's contract tests. Set ``connector`` and ``payloads`` in a ``Test...`` subclass."""

    #: The connector under test: its id (found through its installed entry point) or its ``ConnectorSpec``.
    connector: ClassVar[str | ConnectorSpec]
    #: The folder of recorded inputs: ``settings.json``, ``golden/``, ``requests/`` (see hub.testing.payloads).
    payloads: ClassVar[str | Path]

    # Filled in by the kit from the two above; the kit's tests (and yours) read them.
    spec: ClassVar[ConnectorSpec]
    auth: ClassVar[WebhookAuth] = WebhookAuth()
    valid_settings: ClassVar[Mapping[str, Any]]
    invalid_settings: ClassVar[Sequence[tuple[Mapping[str, Any], str | None]]] = ()
    golden_dir: ClassVar[Path | None] = None
    signed_requests: ClassVar[Sequence[tuple[InboundRequest, Mapping[str, Any]]]] = ()
    request_names: ClassVar[Sequence[str]] = ()

    # -- which tests apply ------------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Leave out every test that does not apply to this connector, so that pytest never collects it."""
        super().__init_subclass__(**kwargs)
        if "connector" in vars(cls) or "payloads" in vars(cls):
            missing = [name for name in ("connector", "payloads") if not hasattr(cls, name)]
            if missing:
                raise TypeError(f"{cls.__name__}: set {' and '.join(missing)} too (see hub.testing.contract)")
            cls._set_up()
        if getattr(cls, "spec", None) is not None:  # without one: a shared base of several contract classes
            select_tests(cls, ConnectorContract)

    @classmethod
    def _set_up(cls) -> None:
        """Resolve the connector and read the payloads folder into the attributes the tests read."""
        cls.spec = _spec(cls.connector)
        cls.auth = cls.spec.webhook_auth or WebhookAuth()
        found = load_payloads(cls.payloads)
        cls.valid_settings, cls.invalid_settings = found.valid_settings, found.invalid_settings
        cls.golden_dir = found.golden_dir
        cls.signed_requests = [(r.request, r.settings) for r in found.requests]
        cls.request_names = [r.name for r in found.requests]

    @classmethod
    def kit_inputs(cls, arg: str) -> list[tuple[str, Any]] | None:
        """``(id, value)`` of every input the kit generates for the test argument ``arg``, None for others."""
        if arg == "golden_case":
            return [(c.name, c) for c in discover_cases(cls.golden_dir)]
        if arg == "signed_index":
            return [(name, i) for i, name in enumerate(cls.request_names)]
        if arg == "invalid_index":
            return [(f"invalid{i}", i) for i in range(len(cls.invalid_settings))]
        return None

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """pytest hook: one test per golden case, signed request and invalid settings case that applies."""
        for arg, inputs in parameters(type(self), metafunc.function, ConnectorContract).items():
            metafunc.parametrize(arg, [value for _, value in inputs], ids=[i for i, _ in inputs])

    # -- helpers a subclass may reuse ------------------------------------------------------------

    def load(self, raw: Mapping[str, Any] | None = None) -> Settings:
        """Validated settings (``valid_settings`` by default)."""
        return load_settings(self.spec, self.valid_settings if raw is None else raw)

    def build(self, raw_settings: Mapping[str, Any] | None = None) -> Any:
        """A connector object built the way the hub builds it."""
        return self.spec.create(self.load(raw_settings))

    def pure(self, connector: Any, call: Callable[[], T]) -> T:
        """Run ``call`` with the network and the clock of the connector's modules switched off."""
        violations = Violations()
        roots = module_roots_of(self.spec.factory, connector)
        try:
            with no_network(violations), no_clock(roots, violations):
                result = call()
        except ImpureCall as exc:
            pytest.fail(f"{self.spec.id}: not pure: {exc}")
        if violations:
            pytest.fail(f"{self.spec.id}: not pure (exception swallowed): {violations}")
        return result

    def require_capability(self, capability: str) -> None:
        """Skip a test of your own when the connector does not declare ``capability`` (the kit's own
        tests are not generated at all then)."""
        if capability not in self.spec.capabilities:
            pytest.skip(f"{self.spec.id} does not declare {capability!r}")

    @classmethod
    def secrets_to_change(cls, index: int) -> list[str]:
        """The secret settings of signed request ``index`` that sign it and have a value to change."""
        _, raw_settings = cls.signed_requests[index]
        paths = cls.auth.secrets if cls.auth.secrets is not None else secret_fields(cls.spec)
        return [path for path in sorted(paths) if isinstance(value := value_at(raw_settings, path), str) and value]

    # -- the spec --------------------------------------------------------------------------------

    def test_spec_is_well_formed(self) -> None:
        spec = self.spec
        assert isinstance(spec, ConnectorSpec), f"spec must be a ConnectorSpec, got {type(spec).__name__}"
        dataclasses.replace(spec)  # re-runs every check of ConnectorSpec.__post_init__
        assert spec.kind in KINDS
        assert spec.capabilities, f"{spec.id}: declares no capabilities"

    @applies_to(when=entry_point_installed)
    def test_entry_point_names_the_spec(self) -> None:
        mine = entry_points_of(self.spec.id)
        registry = Registry(entry_points=lambda: mine)
        assert registry.failures() == [], f"entry point does not load: {registry.failures()}"
        found = registry.get(self.spec.id)
        assert (found.id, found.version, found.kind) == (self.spec.id, self.spec.version, self.spec.kind)

    def test_declared_capabilities_are_implemented(self) -> None:
        connector = self.build()
        assert caps.spec_of(connector) is self.spec
        problems = []
        for capability in sorted(self.spec.capabilities):
            if not caps.supports(connector, capability):
                problems.append(f"{capability}: {caps.why_unsupported(connector, capability)}")
                continue
            problems += signature_problems(connector, capability)
        assert not problems, f"{self.spec.id}: " + "; ".join(problems)

    # -- settings ---------------------------------------------------------------------------------

    def test_valid_settings_load(self) -> None:
        settings = self.load()
        assert isinstance(settings, Settings)
        schema = settings_json_schema(self.spec)
        json.dumps(schema)
        for path in secret_fields(self.spec):
            node = schema
            for key in path.split("."):
                node = node["properties"][key]
            assert node.get("x-secret") is True, f"{path}: not flagged secret in the settings JSON Schema"

    def test_secrets_never_shown(self) -> None:
        settings = self.load()
        connector = self.spec.create(settings)
        shown = {
            "repr(settings)": repr(settings),
            "str(settings)": str(settings),
            "redact(settings)": json.dumps(redact(self.spec, settings), default=str),
            "repr(connector)": repr(connector),
        }
        for path in sorted(secret_fields(self.spec)):
            value = value_at(settings, path)
            if not isinstance(value, str) or len(value) < 4:  # too short to search for without false hits
                continue
            for where, text in shown.items():
                assert value not in text, f"secret {path!r} is visible in {where}"

    def test_invalid_settings_are_refused(self, invalid_index: int) -> None:
        case = self.invalid_settings[invalid_index]
        raw, field = (case if isinstance(case, tuple) else (case, None))
        with pytest.raises(SettingsError) as caught:
            load_settings(self.spec, raw)
        errors = caught.value.errors
        assert errors and all(isinstance(k, str) and v for k, v in errors.items()), errors
        if field is not None:
            assert any(k == field or k.startswith(field + ".") for k in errors), f"expected an error on {field!r}, got {errors}"

    # -- mapping -----------------------------------------------------------------------------------

    @applies_to(caps.MAP_DELIVERY)
    def test_golden_cases_exist(self) -> None:
        assert self.golden_dir is not None, "map_delivery needs golden_dir with *.input.json cases"
        assert Path(self.golden_dir).is_dir(), f"golden_dir {self.golden_dir} is not a folder"
        assert discover_cases(self.golden_dir), f"no *.input.json in {self.golden_dir}"

    def _map_case(self, case: GoldenCase, raw: Any | None = None, connector: Any | None = None) -> MappedDelivery:
        settings = self.load()
        connector = connector if connector is not None else self.spec.create(settings)
        ctx = build_context(self.spec, settings, case.load_context())
        payload = case.load_input() if raw is None else raw
        mapped = self.pure(connector, lambda: connector.to_delivery(payload, ctx))
        assert isinstance(mapped, MappedDelivery), f"to_delivery returned {type(mapped).__name__}, not MappedDelivery"
        return mapped

    @applies_to(caps.MAP_DELIVERY)
    def test_golden_case_maps_to_expected(self, golden_case: GoldenCase) -> None:
        actual = dump_mapped(self._map_case(golden_case))
        if update_requested():
            write_expected(golden_case, actual)
            return
        expected = golden_case.load_expected()
        if expected is None:
            pytest.fail(f"{golden_case.expected_path} is missing; create it with HUB_UPDATE_GOLDEN=1 and review it")
        assert actual == expected, "mapping differs from the golden file:\n" + diff_documents(expected, actual, golden_case.name)

    @applies_to(caps.MAP_DELIVERY)
    def test_golden_case_is_canonical(self, golden_case: GoldenCase) -> None:
        mapped = self._map_case(golden_case)
        for w in mapped.warnings:
            assert CODE.match(w.code), f"warning code {w.code!r} must be snake_case"
            assert w.field is None or JSON_PATH.match(w.field), f"warning field {w.field!r} must be a JSON path like $.dropoff.address.unit"
            assert w.severity in ("info", "warning", "error"), f"warning severity {w.severity!r}"
        if mapped.delivery is None:
            assert mapped.skip_reason and mapped.skip_reason.strip()
            return
        flags = [w.as_flag() for w in mapped.warnings]
        doc = {**mapped.delivery, "data_quality_flags": [*mapped.delivery.get("data_quality_flags", []), *flags]}
        errors = _validator()(INPUT_SCHEMA, doc)
        assert not errors, f"{golden_case.name}: not a valid {INPUT_SCHEMA}: " + "; ".join(
            f"{e.path}: {e.message}" for e in errors
        )

    @applies_to(caps.MAP_DELIVERY)
    def test_golden_case_mapping_is_pure(self, golden_case: GoldenCase) -> None:
        raw = golden_case.load_input()
        before = copy.deepcopy(raw)
        connector = self.build()
        first = dump_mapped(self._map_case(golden_case, raw, connector))
        assert raw == before, "to_delivery mutated its input"
        second = dump_mapped(self._map_case(golden_case, copy.deepcopy(raw), connector))
        third = dump_mapped(self._map_case(golden_case, copy.deepcopy(raw)))  # a fresh connector object
        assert first == second, "same input, same connector, different output:\n" + diff_documents(first, second, golden_case.name)
        assert first == third, "output depends on connector state:\n" + diff_documents(first, third, golden_case.name)

    @applies_to(caps.RECEIVE_WEBHOOK, caps.MAP_DELIVERY, golden_case=has_headers)
    def test_golden_case_through_webhook(self, golden_case: GoldenCase) -> None:
        headers = golden_case.load_headers()
        assert headers is not None, f"{golden_case.name} has no .headers.json"
        connector = self.build()
        request = make_request(golden_case.input_bytes(), headers)
        events = self.pure(connector, lambda: connector.parse(request))
        assert isinstance(events, list) and all(isinstance(e, InboundEvent) for e in events), events
        upserts = [e for e in events if e.kind == "order.upsert"]
        assert upserts, f"headers {headers} did not parse into an order.upsert event: {events}"
        expected = golden_case.load_expected()
        if expected is None or update_requested():
            pytest.skip("expected file is being (re)generated")
        actual = dump_mapped(self._map_case(golden_case, dict(upserts[0].payload), connector))
        assert actual == expected, "the webhook path maps differently:\n" + diff_documents(expected, actual, golden_case.name)

    # -- inbound signatures ----------------------------------------------------------------------

    @applies_to(caps.RECEIVE_WEBHOOK)
    def test_signed_requests_are_provided(self) -> None:
        assert self.signed_requests, "receive_webhook needs recorded requests: requests/NAME.headers.json and NAME.body"

    def _verify(self, request: InboundRequest, raw_settings: Mapping[str, Any]) -> Verification:
        connector = self.build(raw_settings)
        result = self.pure(connector, lambda: connector.verify(request))
        assert isinstance(result, Verification), f"verify returned {type(result).__name__}, not Verification"
        return result

    def _refused(self, request: InboundRequest, raw_settings: Mapping[str, Any], what: str) -> None:
        result = self._verify(request, raw_settings)
        assert not result.ok, f"verify accepted a request with {what}"
        assert result.reason.strip(), f"verify refused a request with {what} but gave no reason"

    @applies_to(caps.RECEIVE_WEBHOOK)
    def test_signed_request_verifies(self, signed_index: int) -> None:
        request, raw_settings = self.signed_requests[signed_index]
        result = self._verify(request, raw_settings)
        assert result.ok, f"a correctly signed request was refused: {result.reason}"
        connector = self.build(raw_settings)
        events = self.pure(connector, lambda: connector.parse(request))
        assert isinstance(events, list) and events, "parse must return at least one InboundEvent"
        assert all(isinstance(e, InboundEvent) for e in events), events

    @applies_to(caps.RECEIVE_WEBHOOK, when=signs_body, signed_index=has_body)
    def test_tampered_body_is_refused(self, signed_index: int) -> None:
        request, raw_settings = self.signed_requests[signed_index]
        assert request.body, "a request without a body has no byte to flip"
        for index in (0, len(request.body) // 2, len(request.body) - 1):
            tampered = dataclasses.replace(request, body=flip_byte(request.body, index))
            self._refused(tampered, raw_settings, f"byte {index} of the body flipped")

    @applies_to(caps.RECEIVE_WEBHOOK)
    def test_unsigned_request_is_refused(self, signed_index: int) -> None:
        request, raw_settings = self.signed_requests[signed_index]
        if self.auth.header:
            unsigned = dataclasses.replace(request, headers=request.headers.without(self.auth.header))
            self._refused(unsigned, raw_settings, f"no {self.auth.header} header")
        self._refused(dataclasses.replace(request, headers=Headers()), raw_settings, "no headers at all")

    @applies_to(caps.RECEIVE_WEBHOOK, when=sends_token)
    def test_wrong_token_is_refused(self, signed_index: int) -> None:
        request, raw_settings = self.signed_requests[signed_index]
        header = str(self.auth.header)
        token = request.headers.get(header, "")
        assert token, f"recorded request has no {header} header to carry the token"
        for wrong in (token[:-1] + ("x" if token[-1] != "x" else "y"), token + "x", token[:-1], token.upper() + "X"):
            forged = dataclasses.replace(request, headers=request.headers.replacing(header, wrong))
            self._refused(forged, raw_settings, f"a wrong token in {header}")

    @applies_to(caps.RECEIVE_WEBHOOK, signed_index=has_secret_to_change)
    def test_other_secret_is_refused(self, signed_index: int) -> None:
        request, raw_settings = self.signed_requests[signed_index]
        paths = self.secrets_to_change(signed_index)
        assert paths, "no secret setting to change"
        for path in paths:
            value = value_at(raw_settings, path)
            other = value[:-1] + ("x" if value[-1] != "x" else "y")  # same length, so it still validates
            self._refused(request, with_setting(raw_settings, path, other), f"a signature made with another {path}")

    @applies_to(caps.RECEIVE_WEBHOOK)
    def test_garbage_is_refused_without_raising(self) -> None:
        header = self.auth.header or "X-Signature"
        for body, headers in ((b"", {}), (b"\xff\xfe not json", {header: "not-a-signature"}), (b"{}", {header: ""})):
            self._refused(make_request(body, headers), self.valid_settings, f"garbage body {body!r}")
