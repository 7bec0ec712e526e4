"""A pytest plugin: the ``kenar_mock_server`` fixture.

Installed with the SDK (entry point ``pytest11``), so any project that has
both pytest and kenar_api_client can write::

    def test_my_integration(kenar_mock_server):
        config = kenar_mock_server.configuration()
        ...
"""

from __future__ import annotations

from typing import Iterator

import pytest

from kenar_api_client.testing import MockKenarServer


@pytest.fixture
def kenar_mock_server() -> Iterator[MockKenarServer]:
    """A fresh :class:`MockKenarServer` for one test, stopped afterwards."""
    with MockKenarServer() as server:
        yield server
