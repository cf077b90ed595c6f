"""Start an RQ worker on all of the hub's queues, with the scheduler: `python worker.py` (= `hub worker`)."""

import sys

from hub.config import Config, require_explicit_secret_key
from hub.errors import ConfigurationError
from hub.worker import run_worker

if __name__ == "__main__":
    try:
        require_explicit_secret_key(Config.from_env())  # as `hub worker`: a shared database needs HUB_SECRET_KEY
    except ConfigurationError as exc:
        sys.exit(f"Error: {exc}")
    run_worker()
