"""Who may see and do what in the console: sign-in, the session cookie, CSRF, roles, tenants, rate limits."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from hub.config import Config
from hub.console import session as console_session
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent
from hub.accounts.users import remove_user
from tests.api.test_deliveries_api import example_input
from tests.console.people import PASSWORD, csrf_of, other_tenant, person, sign_in


def _delivery(client, tenant, run_jobs, external_id="ACC-1"):  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/deliveries", json=example_input(external_id), headers=tenant["headers"])
    assert answer.status_code in (201, 202), answer.get_json()
    run_jobs()
    return answer.get_json()["id"]


def _events(runtime, delivery_id):  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return [e.type for e in session.query(DeliveryEvent).filter_by(delivery_id=delivery_id)]


def test_pages_need_sign_in_and_sign_in_needs_the_right_password(app, clean, tenant):  # type: ignore[no-untyped-def]
    email = person(clean, tenant["name"], "viewer")
    anonymous = app.test_client()
    page = anonymous.get("/console/today?q=1")
    assert page.status_code == 302 and page.headers["Location"].startswith("/console/login?next=/console/today")
    assert anonymous.post("/console/deliveries/dlv_x/actions/resolve").status_code in (400, 401)
    token = csrf_of(anonymous.get("/console/login"))
    wrong = anonymous.post("/console/login", data={"email": email, "password": "not the password", "csrf_token": token})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    right = anonymous.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token,
                                                   "next": "https://evil.example/console"})
    assert right.status_code == 302 and right.headers["Location"] == "/console/today"  # never another site
    assert anonymous.get("/console/today").status_code == 200
    anonymous.post("/console/logout", data={"csrf_token": csrf_of(anonymous.get("/console/today"))})
    assert anonymous.get("/console/today").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_expires(app, clean, tenant):  # type: ignore[no-untyped-def]
    email = person(clean, tenant["name"], "viewer")
    client = app.test_client()
    token = csrf_of(client.get("/console/login"))
    answer = client.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("hub_console=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie and "Secure" not in cookie  # the test hub's public URL is http
    assert console_session.SESSION_LIFETIME == timedelta(hours=12)
    https = Flask("https-hub")
    console_session.configure(https, Config.from_env(public_url="https://hub.example", secret_key="k"))
    assert https.config["SESSION_COOKIE_SECURE"] is True and https.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert https.secret_key != "k"  # a key of its own, derived from the hub's secret key


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    delivery_id = _delivery(client, tenant, run_jobs)
    email = person(clean, tenant["name"], "admin")
    signed = sign_in(app, email)
    before = _events(clean, delivery_id)
    for data in ({"note": "forged"}, {"note": "forged", "csrf_token": "not-the-token"}):
        refused = signed.post(f"/console/deliveries/{delivery_id}/actions/resolve", data=data)
        assert refused.status_code == 400 and "reload the page" in refused.get_data(as_text=True)
    assert signed.post("/console/keys", data={"role": "integration"}).status_code == 400
    assert _events(clean, delivery_id) == before
    fresh = app.test_client()
    fresh.get("/console/login")
    assert fresh.post("/console/login", data={"email": email, "password": PASSWORD}).status_code == 400
    done = signed.post(f"/console/deliveries/{delivery_id}/actions/resolve",
                       data={"note": "checked by phone", "csrf_token": signed.csrf})
    assert done.status_code == 302 and _events(clean, delivery_id)[-1] == "delivery.exception_resolved"


def test_a_viewer_sees_but_cannot_act(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    delivery_id = _delivery(client, tenant, run_jobs)
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    page = viewer.get(f"/console/deliveries/{delivery_id}").get_data(as_text=True)
    assert "ACC-1" in page and "Mark resolved" not in page and "Reassign" not in page
    assert "API keys" not in viewer.get("/console/today").get_data(as_text=True)
    before = _events(clean, delivery_id)
    for action in ("resolve", "contact", "reassign", "reschedule"):
        answer = viewer.post(f"/console/deliveries/{delivery_id}/actions/{action}",
                             data={"note": "x", "csrf_token": viewer.csrf})
        assert answer.status_code == 403, action
    assert viewer.post("/console/routes/plan", data={"csrf_token": viewer.csrf}).status_code == 403
    assert viewer.get("/console/keys").status_code == 403
    assert viewer.post("/console/keys", data={"role": "integration", "csrf_token": viewer.csrf}).status_code == 403
    assert viewer.get("/console/people").status_code == 403
    assert _events(clean, delivery_id) == before

    dispatcher = sign_in(app, person(clean, tenant["name"], "dispatcher"))
    assert "Mark resolved" in dispatcher.get(f"/console/deliveries/{delivery_id}").get_data(as_text=True)
    assert dispatcher.get("/console/keys").status_code == 403  # keys and people are for admins


def test_another_tenants_operator_sees_nothing_of_it(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    delivery_id = _delivery(client, tenant, run_jobs)
    key_id = client.post("/api/v1/keys", json={"role": "integration"}, headers=tenant["headers"]).get_json()["id"]
    stranger = other_tenant(clean)
    outsider = sign_in(app, person(clean, stranger["name"], "admin"))
    assert delivery_id not in outsider.get("/console/today").get_data(as_text=True)
    assert outsider.get(f"/console/deliveries/{delivery_id}").status_code == 404
    for path in (f"/console/deliveries/{delivery_id}/actions/resolve", f"/console/keys/{key_id}/revoke",
                 "/console/integrations/subscriptions/sub_x/replay", f"/console/routes/rpl_x/stops/{delivery_id}/move"):
        assert outsider.post(path, data={"note": "x", "vehicle_id": "v", "csrf_token": outsider.csrf}).status_code == 404, path
    assert "ACC-1" not in outsider.get("/console/exceptions").get_data(as_text=True)
    assert client.get(f"/api/v1/keys/{key_id}", headers=tenant["headers"]).get_json()["active"] is True


def test_failed_sign_ins_are_limited_before_the_password_is_checked(app, clean, tenant):  # type: ignore[no-untyped-def]
    email = person(clean, tenant["name"], "admin")
    client = app.test_client()
    token = csrf_of(client.get("/console/login"))
    for _ in range(10):  # PER_ACCOUNT: 10 per 15 minutes
        assert client.post("/console/login", data={"email": email, "password": "guess", "csrf_token": token}).status_code == 401
    limited = client.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0  # even the right password waits
    assert "Too many failed sign-ins" in limited.get_data(as_text=True)
    other = person(clean, tenant["name"], "viewer")
    assert client.post("/console/login", data={"email": other, "password": PASSWORD, "csrf_token": token}).status_code == 302


def test_a_removed_person_is_signed_out_at_the_next_click(app, clean, tenant):  # type: ignore[no-untyped-def]
    email = person(clean, tenant["name"], "dispatcher")
    signed = sign_in(app, email)
    with transaction(clean.sessions) as session:
        remove_user(session, email)
    assert signed.get("/console/today").status_code == 302
