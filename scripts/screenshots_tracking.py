"""Write the tracking page's screenshots (phone size, 390x844) to docs/screenshots/tracking/.

    python scripts/screenshots_tracking.py

Runs tests/customer/test_tracking_screenshots.py with HUB_SCREENSHOTS=1 against the usual test services
(HUB_TEST_REDIS_URL, and HUB_TEST_DATABASE_URL or SQLite) in a real headless Chromium: the page on the way,
delivered with its proof of delivery, and after a failed attempt with the link to choose what happens next.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "HUB_SCREENSHOTS": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/customer/test_tracking_screenshots.py"]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
