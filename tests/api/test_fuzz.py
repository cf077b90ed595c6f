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

FULL = os.environ.get("HUB_FUZZ_FULL") == "1"
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "50" if FULL else "4"))
VERBOSE = os.environ.get("HUB_FUZZ_VERBOSE") == "1"  # print each failing check's first request and answer
ONLY = os.environ.get("HUB_FUZZ_ONLY", "")  # e.g. "/api/v1/deliveries": only operations whose path contains it


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
            response = case.call(headers=sent_headers)
            try:
                if FULL:  # the key is sent by us, so Schemathesis' own auth probing does not apply
                    case.validate_response(response, excluded_checks=[ignored_auth])
                else:
                    case.validate_response(response, checks=[not_a_server_error])
            except BaseException as exc:  # noqa: BLE001 (Schemathesis raises a group of failures)
                for failure in getattr(exc, "exceptions", [exc]):
                    title = getattr(failure, "title", type(failure).__name__)
                    if VERBOSE and (label, title) not in failures:
                        print(f"\n--- {label}: {title}\n{case.as_curl_command()}\n{response.status_code} "
                              f"{response.text[:400]}\n{str(failure)[:600]}")
                    failures.append((label, title))

        call()
    return sent, failures


def test_no_generated_request_gets_a_server_error(app, tenant):
    sent, failures = run_operations(app, tenant["headers"])
    if FULL:
        print(f"\n{sent} requests, {len(failures)} failed checks")
        for (label, what), count in collections.Counter(failures).most_common():
            print(f"{count:5}  {label}  {what}")
    assert sent > 0 and failures == []
