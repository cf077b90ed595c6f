"""Pure parts: response classification, backoff, give-up and disable rules, signatures, the SSRF guard."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from hub.webhooks import classify as policy
from hub.webhooks.signing import new_secret, signed_headers
from hub.egress.targets import TargetRefused, check_target

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("status", "action"), [
    (200, "ok"), (204, "ok"), (410, "disable"), (408, "retry"), (429, "retry"), (500, "retry"), (503, "retry"),
    (400, "dead"), (401, "dead"), (404, "dead"), (422, "dead"), (301, "dead"), (None, "retry"),
])
def test_classify(status, action):
    assert policy.classify(status, error="ConnectionError" if status is None else None).action == action


def test_a_refused_target_is_not_retried():
    assert policy.classify(None, error="target refused", transient_error=False).action == "dead"


def test_retry_after_seconds_and_dates():
    assert policy.classify(429, headers={"Retry-After": "120"}).retry_after_s == 120
    date = policy.classify(503, headers={"retry-after": "Wed, 25 Nov 2026 08:10:00 GMT"}, now=NOW)
    assert date.retry_after_s == 600
    assert policy.next_delay_s(date, 1, rand=lambda: 0.0) == 600
    huge = policy.classify(503, headers={"Retry-After": str(10 * 86400)})
    assert policy.next_delay_s(huge, 1, rand=lambda: 0.0) == policy.MAX_RETRY_AFTER_S


def test_backoff_grows_is_capped_and_covers_more_than_a_day():
    low = [policy.backoff_s(n, rand=lambda: 0.0) for n in range(1, 15)]
    assert low[:4] == [10, 30, 90, 270] and max(low) == policy.BACKOFF_CAP_S
    assert policy.backoff_s(3, rand=lambda: 1.0) == 90 * 1.25  # jitter only ever adds
    elapsed, tries = 0.0, 1
    while not policy.gives_up(NOW, NOW + timedelta(seconds=elapsed)):
        elapsed += policy.backoff_s(tries, rand=lambda: 0.0)
        tries += 1
    assert elapsed >= 24 * 3600 and 8 <= tries <= 12


def test_endpoint_is_disabled_only_after_days_and_many_failures():
    assert not policy.endpoint_is_dead(100, NOW - timedelta(days=2), NOW)
    assert not policy.endpoint_is_dead(3, NOW - timedelta(days=5), NOW)
    assert policy.endpoint_is_dead(policy.DISABLE_AFTER_FAILURES, NOW - timedelta(days=3), NOW)


def test_signatures_verify_with_standardwebhooks_and_two_during_rotation():
    old, new = new_secret(), new_secret()
    body = '{"type":"delivery.created"}'
    headers = signed_headers("msg_1", body, new, previous=old)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers) == {"type": "delivery.created"}
    assert Webhook(old).verify(body, headers) == {"type": "delivery.created"}
    with pytest.raises(Exception):
        Webhook(new_secret()).verify(body, headers)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost:8000/", "http://10.0.0.5/",
                                 "http://192.168.1.1/", "http://169.254.169.254/latest", "http://[::1]/",
                                 "http://0.0.0.0/", "http://[fe80::1]/"])
def test_private_targets_are_refused(url):
    with pytest.raises(TargetRefused):
        check_target(url, allow_private=False)
    check_target(url, allow_private=True)


def test_public_literal_addresses_pass():
    check_target("https://93.184.215.14/hooks", allow_private=False)
    check_target("https://[2606:4700:4700::1111]/hooks", allow_private=False)
