import re
from hub.accounts.users import add_user
from hub.db.engine import transaction
from tests.console.day import seed_day

def test_seed(client, tenant, run_jobs, clean):
    found = seed_day(client, clean, tenant, run_jobs)
    client.application.testing = True
    with transaction(clean.sessions) as s:
        add_user(s, "ada@example.com", tenant["name"], "admin", "correct horse battery")
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/console/login", data={"email": "ada@example.com", "password": "correct horse battery", "csrf_token": token})
    print(r.status_code, r.headers.get("Location"))
    for path in ["/console/today?day=" + found.day.isoformat(), "/console/deliveries/" + found.orders[found.failed],
                 "/console/deliveries/" + found.orders[found.mismatch],
                 "/console/exceptions", "/console/map?day=" + found.day.isoformat(), "/console/map/picture?day=" + found.day.isoformat(),
                 "/console/routes?day=" + found.day.isoformat(), "/console/integrations", "/console/keys", "/console/people"]:
        r = client.get(path)
        body = r.get_data(as_text=True)
        print(path, r.status_code, len(body))
        if r.status_code != 200:
            print(body[:3000])

