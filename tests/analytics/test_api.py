"""The analytics API's edges: tenant isolation, roles, CSV columns, validation errors; and `hub report`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from hub.api.analytics_schemas import DwellRow, FigureRow, PlannedRow, ProfitRow, ScorecardRow, HeatmapRow
from hub.cli import main
from tests.analytics import history
from tests.analytics.test_figures import RANGE
from tests.fixtures import make_key

TABLES = {"figures": FigureRow, "scorecards/drivers": ScorecardRow, "scorecards/carriers": ScorecardRow,
          "heatmap": HeatmapRow, "dwell": DwellRow, "profitability": ProfitRow, "planned-vs-actual": PlannedRow}


def test_tenants_see_only_their_own_figures(clean, client, tenant, run_jobs):
    ids = history.build(clean, client, tenant, run_jobs)
    other_tenant = {"id": None}
    from hub.db.engine import transaction
    from hub.ledger.tenants import create_tenant, issue_key

    with transaction(clean.sessions) as session:
        other = create_tenant(session, "other-tenant")
        _, key = issue_key(session, other, "admin")
        other_tenant["id"] = other.id
    headers = {"Authorization": f"Bearer {key}"}
    history.post(client, headers, "A")
    run_jobs()
    mine = client.get("/api/v1/analytics/figures", query_string=RANGE, headers=tenant["headers"]).json["items"]
    theirs = client.get("/api/v1/analytics/figures", query_string=RANGE, headers=headers).json["items"]
    assert sum(r["deliveries"] for r in mine) == len(history.ORDERS)
    assert sum(r["deliveries"] for r in theirs) == 1
    for path in TABLES:
        body = client.get(f"/api/v1/analytics/{path}", query_string=RANGE, headers=headers).json
        assert all(r.get("key") not in ("R1", "K1", "D1") for r in body["items"]), path
    drill = client.get("/api/v1/analytics/deliveries", query_string={**RANGE, "figure": "deliveries"},
                       headers=headers).json["delivery_ids"]
    assert len(drill) == 1 and not set(drill) & set(ids.values())


def test_roles(clean, client, tenant):
    integration = make_key(clean, tenant["id"], "integration")
    driver = make_key(clean, tenant["id"], "driver", subject_id="R1")
    assert client.get("/api/v1/analytics/figures", query_string=RANGE, headers=integration).status_code == 200
    refused = client.get("/api/v1/analytics/figures", query_string=RANGE, headers=driver)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/analytics/figures", query_string=RANGE).status_code == 401


def test_bad_queries_name_the_field(clean, client, tenant):
    unknown = client.get("/api/v1/analytics/figures", query_string={**RANGE, "by": "planet"},
                         headers=tenant["headers"])
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "bad_query"
    assert [d["path"] for d in unknown.json["error"]["details"]] == ["query.by"]
    backwards = client.get("/api/v1/analytics/figures", query_string={"from": "2030-03-10", "to": "2030-03-01"},
                           headers=tenant["headers"])
    assert backwards.status_code == 400 and backwards.json["error"]["code"] == "bad_range"
    assert backwards.json["error"]["details"] == [{"path": "query.to", "message": "must not be before from"}]
    too_long = client.get("/api/v1/analytics/dwell", query_string={"from": "2030-01-01", "to": "2031-03-01"},
                          headers=tenant["headers"])
    assert too_long.status_code == 400 and "spans more than 400 days" in too_long.json["error"]["message"]
    missing = client.get("/api/v1/analytics/dwell", headers=tenant["headers"])
    assert missing.status_code == 400 and "query.from" in {d["path"] for d in missing.json["error"]["details"]}


def test_a_cell_that_is_no_h3_cell_holds_no_deliveries(clean, client, tenant):
    answer = client.get("/api/v1/analytics/deliveries", query_string={**RANGE, "cell": "not-a-cell"},
                        headers=tenant["headers"])
    assert answer.status_code == 200 and answer.json["delivery_ids"] == []


def test_the_document_says_every_table_answers_csv_too(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in [*(f"/api/v1/analytics/{p}" for p in TABLES), "/api/v1/analytics/deliveries"]:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path


def test_every_table_exports_csv_with_the_schema_columns(clean, client, tenant, run_jobs):
    history.build(clean, client, tenant, run_jobs)
    for path, schema in TABLES.items():
        answer = client.get(f"/api/v1/analytics/{path}", query_string={**RANGE, "format": "csv"},
                            headers=tenant["headers"])
        assert answer.status_code == 200 and answer.mimetype == "text/csv", path
        assert "attachment" in answer.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
        assert rows[0] == list(schema().fields), path
        json_rows = client.get(f"/api/v1/analytics/{path}", query_string=RANGE, headers=tenant["headers"]).json["items"]
        assert len(rows) - 1 == len(json_rows) > 0, path
    ids = client.get("/api/v1/analytics/deliveries", query_string={**RANGE, "format": "csv", "figure": "late"},
                     headers=tenant["headers"]).get_data(as_text=True).splitlines()
    assert ids[0] == "delivery_id" and len(ids) == 2


def test_report_writes_html_and_pngs(clean, client, tenant, run_jobs, tmp_path: Path):
    history.build(clean, client, tenant, run_jobs)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", "--tenant", tenant["name"], "--from", "2030-03-01",
                                       "--to", "2030-03-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["cost_per_delivery.png", "dwell.png", "failed_heatmap.png", "planned_vs_actual.png",
                    "rates.png", "route_profit.png"]
    for name in pngs:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"src='{name}'" in page
    assert "http" not in page  # nothing to fetch
    assert "2030-03-11" in page and "R1" in page and "not_home" in page
    assert (out / "daily.csv").read_text().startswith("period,period_start")
