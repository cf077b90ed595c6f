"""People for the console tests: accounts made with hub.accounts, and a test client signed in as one of them."""

from __future__ import annotations

import re
import uuid
from typing import Any

from hub.accounts.users import add_user
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.ledger.tenants import create_tenant, issue_key
from hub.runtime import Runtime

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def person(runtime: Runtime, tenant_name: str, role: str, email: str | None = None) -> str:
    email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.com"
    with transaction(runtime.sessions) as session:
        add_user(session, email, tenant_name, role, PASSWORD)
    return email


def other_tenant(runtime: Runtime) -> dict[str, Any]:
    name = f"other-{uuid.uuid4().hex[:6]}"
    with transaction(runtime.sessions) as session:
        row = create_tenant(session, name)
        _, key = issue_key(session, row, "admin")
    return {"name": name, "id": row.id, "key": key, "headers": {"Authorization": f"Bearer {key}"}}


def csrf_of(page: Any) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_in(app: Any, email: str, password: str = PASSWORD) -> Any:
    """A new test client signed in as `email`; its `.csrf` is the session's form token."""
    client = app.test_client()
    token = csrf_of(client.get("/console/login"))
    answer = client.post("/console/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    client.csrf = csrf_of(client.get("/console/today"))
    return client


def tenant_name(runtime: Runtime, tenant_id: str) -> str:
    with runtime.sessions() as session:
        return session.get(Tenant, tenant_id).name
