"""POD files follow the transaction that wrote them (a refused or failed completion leaves none behind, and
never takes a committed file with it), and HUB_MEDIA_STORE picks the store from the built-in one and the
`delivery_hub.media_stores` entry points (a test package under fixtures/media_store_plugin, installed on
sys.path the way pip would)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pytest
from sqlalchemy import select

from hub.config import Config
from hub.db.engine import transaction
from hub.db.media import (
    FilesystemMediaStore,
    MediaExists,
    UnknownMediaStore,
    Upload,
    media_store,
    media_store_factory,
    media_store_names,
    store_media,
)
from hub.db.models import Delivery, utcnow
from hub.db.models.execution import PodMedia
from hub.errors import ConfigurationError
from hub.execution.pod import PodInput, complete_with_pod
from hub.runtime import Runtime, build_runtime, set_runtime
from tests.execution.setup import driver_headers, image, make_driver, plan_route, pod_form, post_delivery, relative

PLUGIN_DIR = Path(__file__).with_name("fixtures") / "media_store_plugin"
ACTOR = {"kind": "driver", "id": "drv_test"}


def media_files(runtime: Runtime) -> dict[Path, bytes]:
    """Every file in the media directory (shared by the whole test run), with its bytes."""
    root = runtime.config.data_dir / "media"
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} if root.exists() else {}


def rows_of(runtime: Runtime, delivery_id: str) -> list[PodMedia]:
    with runtime.sessions() as session:
        return list(session.execute(select(PodMedia).where(PodMedia.delivery_id == delivery_id)).scalars())


def at_the_door(client: Any, tenant: dict[str, Any], run_jobs: Any, runtime: Runtime, count: int = 1,
                requirements: dict[str, Any] | None = None) -> tuple[list[str], dict[str, str]]:
    """Deliveries on a driver's route for today, started and arriving; returns their ids and the driver's key."""
    deliveries = [post_delivery(client, tenant, run_jobs, f"ORD-{n}", requirements=requirements or {})
                  for n in range(1, count + 1)]
    driver = make_driver(client, tenant)
    plan_route(runtime, driver, deliveries)
    headers = driver_headers(runtime, tenant["id"], driver["id"])
    assert client.post("/api/v1/driver/route/start", headers=headers).status_code == 200
    for delivery in deliveries:
        assert client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers).status_code == 200
    return deliveries, headers


def complete(client: Any, delivery: str, headers: dict[str, str], **form: Any) -> Any:
    return client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(**form), headers=headers,
                       content_type="multipart/form-data")


@pytest.fixture
def plugin_stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test package's stores installed (its dist-info on sys.path); its memory bucket empty."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    media_store_factory.cache_clear()
    import hub_test_media_stores

    hub_test_media_stores.OBJECTS.clear()
    yield hub_test_media_stores
    media_store_factory.cache_clear()


@pytest.fixture
def app_with_store(clean: Runtime, plugin_stores: Any) -> Callable[[str], ContextManager[Any]]:
    """`with app_with_store(name) as client`: a test client of an app started with HUB_MEDIA_STORE=<name>, on
    the same database and Redis; the test's own runtime is the process-wide one again afterwards."""
    @contextmanager
    def start(name: str) -> Iterator[Any]:
        from hub.app import create_app

        runtime = build_runtime(replace(clean.config, media_store=name), run_migrations=False)
        try:
            yield create_app(runtime=runtime).test_client()
        finally:
            set_runtime(clean)
            runtime.close()

    return start


def test_refused_completion_leaves_no_file_and_a_good_one_keeps_its_files(client, tenant, run_jobs, clean):
    (delivery,), headers = at_the_door(client, tenant, run_jobs, clean, requirements={"signature": True})
    before = media_files(clean)

    refused = complete(client, delivery, headers, signature=False, photos=2)
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json["error"]["details"]] == ["$.signature"]
    assert media_files(clean) == before and rows_of(clean, delivery) == []

    done = complete(client, delivery, headers, photos=2)
    assert done.status_code == 200, done.json
    rows = rows_of(clean, delivery)
    new = {path: data for path, data in media_files(clean).items() if path not in before}
    root = clean.config.data_dir / "media"
    assert set(new) == {root / row.storage_key for row in rows} and len(new) == 3  # no stray .part file
    assert sorted(new.values()) == sorted([image("signature.png"), image("door.png"), image("parcel.png")])


def test_a_failed_completion_never_deletes_a_file_an_earlier_pod_references(client, tenant, run_jobs, clean,
                                                                             app_with_store):
    (first, second), headers = at_the_door(client, tenant, run_jobs, clean, count=2)
    before = media_files(clean)
    kept = complete(client, first, headers, photos=2)
    assert kept.status_code == 200, kept.json
    committed = {path: data for path, data in media_files(clean).items() if path not in before}
    assert len(committed) == 3

    # The same three images for the second stop, on a disk that fills up after two of them: the signature and
    # the first photo are written, the second photo fails, the request answers 500 and rolls back.
    with app_with_store("test_full_disk") as full_disk:
        failed = complete(full_disk, second, headers, photos=2)
    assert failed.status_code == 500
    assert media_files(clean) == {**before, **committed}  # its two files are gone; the identical earlier ones stay
    assert rows_of(clean, second) == []
    assert client.get(f"/api/v1/deliveries/{second}", headers=tenant["headers"]).json["status"] == "arriving"
    for url in kept.json["media_urls"].values():  # the first POD is still served, byte for byte
        served = client.get(relative(url))
        assert served.status_code == 200 and served.data in committed.values()

    retried = complete(client, second, headers, photos=2)
    assert retried.status_code == 200, retried.json
    assert len(media_files(clean)) == len(before) + 6


def test_files_follow_their_transaction_and_savepoint(client, tenant, run_jobs, clean):
    (delivery,), _ = at_the_door(client, tenant, run_jobs, clean)
    store = media_store(clean.config)
    before = media_files(clean)
    pod = PodInput(captured_at=utcnow(), signature=Upload("signature", "image/png", image("signature.png")),
                   photos=[Upload("photo", "image/png", image("door.png"))])

    with pytest.raises(RuntimeError, match="after the files"):  # any error once the files are written
        with transaction(clean.sessions) as session:
            complete_with_pod(session, store, session.get(Delivery, delivery), pod, actor=ACTOR, holder=ACTOR)
            assert len(media_files(clean)) == len(before) + 2
            raise RuntimeError("the request failed after the files were written")
    assert media_files(clean) == before

    photo = Upload("photo", "image/png", image("parcel.png"))
    with transaction(clean.sessions) as session:
        row = session.get(Delivery, delivery)
        outer = store_media(session, store, row, photo, ACTOR)
        with pytest.raises(ValueError):
            with session.begin_nested():  # a savepoint rolled back takes its own file, not the outer one
                inner = store_media(session, store, row, photo, ACTOR)
                raise ValueError("savepoint fails")
        with session.begin_nested():  # a released savepoint's file goes with the outer transaction
            released = store_media(session, store, row, photo, ACTOR)
    files = media_files(clean)
    root = clean.config.data_dir / "media"
    assert root / outer.storage_key in files and root / released.storage_key in files
    assert root / inner.storage_key not in files and len(files) == len(before) + 2

    with pytest.raises(RuntimeError):
        with transaction(clean.sessions) as session:
            with session.begin_nested():
                store_media(session, store, session.get(Delivery, delivery), photo, ACTOR)
            raise RuntimeError("the outer transaction fails after the savepoint was released")
    assert media_files(clean) == files


def test_a_key_is_written_once(tmp_path):
    store = FilesystemMediaStore(tmp_path)
    store.put("t/med_1", b"evidence")
    with pytest.raises(MediaExists):
        store.put("t/med_1", b"something else")
    assert store.read("t/med_1") == b"evidence" and [p.name for p in (tmp_path / "t").iterdir()] == ["med_1"]
    store.delete("t/med_1")
    store.delete("t/med_1")  # already gone: fine
    assert not store.path_of("t/med_1").exists()


def test_hub_media_store_selects_the_store(client, tenant, run_jobs, clean, tmp_path, plugin_stores,
                                           app_with_store):
    default = media_store(Config.from_env({"HUB_DATA_DIR": str(tmp_path)}))
    assert isinstance(default, FilesystemMediaStore) and default.root == tmp_path.resolve() / "media"
    config = Config.from_env({"HUB_DATA_DIR": str(tmp_path), "HUB_MEDIA_STORE": "test_memory"})
    assert config.media_store == "test_memory"
    assert isinstance(media_store(config), plugin_stores.MemoryMediaStore)
    assert {"filesystem", "test_memory", "test_full_disk"} <= set(media_store_names())

    (delivery,), headers = at_the_door(client, tenant, run_jobs, clean)
    before = media_files(clean)
    with app_with_store("test_memory") as in_memory:
        done = complete(in_memory, delivery, headers, photos=1)
        assert done.status_code == 200, done.json
        signature_id = done.json["pod"]["signature"]["id"]
        served = in_memory.get(relative(done.json["media_urls"][signature_id]))
    assert set(plugin_stores.OBJECTS) == {row.storage_key for row in rows_of(clean, delivery)}
    assert media_files(clean) == before  # nothing went to the media directory
    assert served.status_code == 200 and served.data == image("signature.png")


def test_an_unknown_media_store_stops_the_start_naming_the_known_ones(clean, plugin_stores):
    with pytest.raises(UnknownMediaStore) as refused:
        build_runtime(replace(clean.config, media_store="s4"), run_migrations=False)
    message = str(refused.value)
    assert "HUB_MEDIA_STORE='s4'" in message and "delivery_hub.media_stores" in message
    assert "filesystem" in message and "test_memory" in message
    assert isinstance(refused.value, ConfigurationError)
    assert Config.from_env({"HUB_MEDIA_STORE": " "}).media_store == "filesystem"
