"""Generated requests against every operation of the OpenAPI document (Schemathesis), with an admin key.

In the suite: a few examples per operation, and the check that no answer is a server error. `make fuzz`
runs it with more examples and every Schemathesis check (schema conformance of requests and answers,
status codes, headers) and prints what failed, per operation and check.
"""

from __future__ import annotations

import collections
import os
import uuid
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth

from tests.fixtures import make_key

FULL = os.environ.get("HUB_FUZZ_FULL") == "1"
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "50" if FULL else "4"))
VERBOSE = os.environ.get("HUB_FUZZ_VERBOSE") == "1"  # print each failing check's first request and answer
ONLY = os.environ.get("HUB_FUZZ_ONLY", "")  # e.g. "/api/v1/deliveries": only operations whose path contains it
# Whose key sends the requests: admin (default), or driver / carrier (a key issued for a new driver or carrier of
# the tenant), to reach the operations that answer 403 to an admin key.
ROLE = os.environ.get("HUB_FUZZ_ROLE", "admin")


def run_operations(app: Any, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    """(requests sent, [(operation, what failed)]) for every operation of the document."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if ONLY not in operation.path:
            continue

        @given(case=operation.as_strategy())
        # In the suite the examples are the same every run (derandomize): a test must not pass or fail by luck.
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not FULL,
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            nonlocal sent
            sent += 1
            sent_headers = dict(headers)
            if case.headers and "Idempotency-Key" in case.headers:
                # A key names one submission: reusing it with another body is refused (422), a rule between
                # requests that no schema states. Each generated request is a new submission.
                sent_headers["Idempotency-Key"] = uuid.uuid4().hex
            if label == "POST /api/v1/installations" and isinstance(case.body, dict):
                # Registering webhooks calls the store named in the body; a generated one answers 502 (the
                # documented "the store refused"). Stores stood in by local servers test that path
                # (tests/connectors); here the hub's side of an install is what is tried.
                case.body["register_webhooks"] = False
            response = case.call(headers=sent_headers)
            if response.status_code == 422 and '"nul_character"' in response.text:
                # The hub refuses a NUL anywhere in a body (PostgreSQL stores none); the document states it on
                # every string field, but OpenAPI cannot state it inside free-form objects and their keys.
                return
            if response.status_code == 422 and "invalid JMESPath" in response.text:
                # An override is a JMESPath expression: a grammar (balanced brackets, quoting) that no JSON
                # Schema states; the document says so and the answer names the expression at fault.
                return
            if response.status_code == 422 and _only_table_overrides(response):
                # A table override is a merge patch whose result must match the table's own schema: a rule over
                # the patched table, not over the patch, that the document states in words; answers name the table.
                return
            if response.status_code == 400 and '"bad_range"' in response.text:
                # A date range that ends before it starts, or spans too long: a rule between two query fields that
                # no JSON Schema states; the document says so on `to`, and the answer names the rule.
                return
            try:
                if FULL:  # the key is sent by us, so Schemathesis' own auth probing does not apply
                    case.validate_response(response, excluded_checks=[ignored_auth])
                else:
                    case.validate_response(response, checks=[not_a_server_error])
            except BaseException as exc:  # noqa: BLE001 (Schemathesis raises a group of failures)
                for failure in getattr(exc, "exceptions", [exc]):
                    title = getattr(failure, "title", type(failure).__name__)
                    if VERBOSE and (label, title) not in failures:
                        # The body as sent: the curl command masks fields named like secrets, and generated
                        # secrets are exactly what a failing check may be about.
                        print(f"\n--- {label}: {title}\n{case.as_curl_command()}\nbody: {case.body!r}\n"
                              f"{response.status_code} "
                              f"{response.text[:400]}\n{str(failure)[:600]}")
                    failures.append((label, title))

        call()
    return sent, failures


def _only_table_overrides(response: Any) -> bool:
    details = (response.json().get("error") or {}).get("details") or []
    return bool(details) and all(d.get("path", "").startswith("$.overrides.tables.") for d in details)


def role_headers(app: Any, tenant: dict[str, Any], runtime: Any) -> dict[str, str]:
    """The Authorization header of a ROLE key: for a driver or carrier, one issued for a new one."""
    if ROLE == "admin":
        return tenant["headers"]
    client, headers = app.test_client(), tenant["headers"]
    if ROLE == "driver":
        depot = client.post("/api/v1/depots", json={"name": "Fuzz depot", "utc_offset_min": 0}, headers=headers).json
        subject = client.post("/api/v1/drivers", json={"depot_id": depot["id"], "name": "Fuzz"}, headers=headers).json
    else:
        subject = client.post("/api/v1/carriers", json={"name": "Fuzz", "kind": "3pl"}, headers=headers).json
    return make_key(runtime, tenant["id"], ROLE, subject_id=subject["id"])


def test_no_generated_request_gets_a_server_error(app, tenant, clean):
    sent, failures = run_operations(app, role_headers(app, tenant, clean))
    if FULL:
        print(f"\n{sent} requests, {len(failures)} failed checks")
        for (label, what), count in collections.Counter(failures).most_common():
            print(f"{count:5}  {label}  {what}")
    assert sent > 0 and failures == []
