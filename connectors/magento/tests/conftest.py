"""Fixtures for the Magento connector's tests: a stand-in store on pytest-httpserver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from connectors.magento.testing import StandInMagento


@pytest.fixture
def magento(httpserver: HTTPServer) -> Iterator[StandInMagento]:
    yield StandInMagento(httpserver)
