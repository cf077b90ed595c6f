"""Where the hub finds its own files and the shared benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
MAPPINGS_DIR = REPO_ROOT / "mappings"


def shared_dir() -> Path:
    """The public data set beside the repository (benchmarks, real store payloads)."""
    return Path(os.environ.get("HUB_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()
