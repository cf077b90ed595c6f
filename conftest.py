"""Root conftest: the hub's test fixtures (real database, real Redis) for tests/ and every connector's tests/."""

pytest_plugins = ["tests.fixtures", "tests.browser"]
