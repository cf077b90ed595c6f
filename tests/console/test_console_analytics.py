"""The console's analytics page shows the ledger's figures for a known history (tests/analytics/history.py) and
every count opens exactly the deliveries the figure counted; another tenant's operator sees none of it."""

from __future__ import annotations

import re

from hub.analytics.figures import Drill, Scope, deliveries_behind
from tests.analytics import history
from tests.console.people import other_tenant, person, sign_in

RANGE = "from=2030-03-01&to=2030-03-31"


def test_the_figures_and_the_deliveries_behind_them(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    history.build(clean, client, tenant, run_jobs)
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    page = viewer.get(f"/console/analytics?{RANGE}&period=week").get_data(as_text=True)
    assert "On time, first attempt, cost and satisfaction" in page and "scorecards" in page
    links = re.findall(r'href="(/console/analytics/deliveries\?[^"]+figure=on_time&[^"]*)"', page.replace("&amp;", "&"))
    assert links, "each count links to its deliveries"
    with clean.sessions() as session:
        march = Scope(tenant["id"], history.at(1, "00:00").date(), history.at(31, "00:00").date())
        everything = set(deliveries_behind(session, march, Drill(figure="on_time")))
    listed = set()
    for link in links:
        listed |= set(re.findall(r"(dlv_[0-9A-Z]+)</a>", viewer.get(link).get_data(as_text=True)))
    assert listed == everything and listed  # the weekly rows together list every on-time delivery counted


def test_depots_drivers_and_carriers_show_by_name_with_their_id_at_hand(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    history.build(clean, client, tenant, run_jobs)
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    page = viewer.get(f"/console/analytics?{RANGE}&by=depot").get_data(as_text=True)
    assert '<span title="D1">Depot 1</span>' in page  # the figures' rows
    assert '<span title="R1">Ana</span>' in page and '<span title="K1">Carrier 1</span>' in page  # the scorecards


def test_bad_choices_say_what_is_allowed_and_other_tenants_see_nothing(app, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    history.build(clean, client, tenant, run_jobs)
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    answer = viewer.get(f"/console/analytics?{RANGE}&by=planet")
    assert answer.status_code == 400 and "by must be one of tenant, depot" in answer.get_data(as_text=True)
    stranger = sign_in(app, person(clean, other_tenant(clean)["name"], "admin"))
    page = stranger.get(f"/console/analytics?{RANGE}").get_data(as_text=True)
    assert "dlv_" not in page and "No delivery in this range yet." in page
