"""Solomon VRPTW benchmark (56 instances): `python bench/routing.py [--time-limit 5] [--instances C101,R101]
[--variant plain|features|locks|breaks|windows] [--no-peer] [--json]`.

Same as `hub bench routing`. Prints one row per instance and a total row: feasible (independent
checkers), vehicles vs best known, distance gap % vs best known, runtime, and the same for the peer
(OR-Tools with its defaults on the same variant).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.routing.cli import bench_routing  # noqa: E402

if __name__ == "__main__":
    bench_routing()
