"""The hub's web app served over real HTTP, as `hub demo` serves it, for the demo's steps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def hub_url(app: Any) -> Iterator[str]:
    """The hub's web app on a free 127.0.0.1 port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
