"""Start an RQ worker on all of the hub's queues, with the scheduler: `python worker.py` (= `hub worker`)."""

from hub.worker import run_worker

if __name__ == "__main__":
    run_worker()
