"""Where the hub finds its own files, including the public data sets kept in the repository."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
MAPPINGS_DIR = REPO_ROOT / "mappings"
#: The Solomon VRPTW instances and best-known solutions (see its README.md).
SOLOMON_DIR = REPO_ROOT / "bench" / "data" / "solomon"
#: Real store and carrier payload samples (see its README.md and INDEX.md).
PAYLOADS_DIR = REPO_ROOT / "tests" / "data" / "payloads"
