"""PNG rendering of a plan."""

from __future__ import annotations

import struct
from pathlib import Path

from hub.routing.render import plan_title, render_png

from routing_plan_fixtures import berlin_plan, berlin_problem

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_writes_a_png(tmp_path: Path) -> None:
    out = render_png(berlin_problem(), berlin_plan(), tmp_path / "plan.png")
    data = out.read_bytes()
    assert out == tmp_path / "plan.png"
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (990, 825)  # 9 x 7.5 inches at 110 dpi
    assert len(data) > 10_000  # an actual picture, not an empty canvas


def test_custom_title_and_dpi(tmp_path: Path) -> None:
    out = render_png(berlin_problem(), berlin_plan(), str(tmp_path / "small.png"), title="test", dpi=40)
    width, height = struct.unpack(">II", out.read_bytes()[16:24])
    assert (width, height) == (360, 300)


def test_title_totals_in_real_and_benchmark_units() -> None:
    from dataclasses import replace

    assert plan_title(berlin_problem(), berlin_plan()) == "berlin: 2 vehicles, 9.5 km, 0.6 h, 2 unassigned"
    scaled = replace(berlin_problem(), scale=1000, name="C101")
    assert plan_title(scaled, berlin_plan()) == "C101: 2 vehicles, 9.5 units, 2 time units, 2 unassigned"
