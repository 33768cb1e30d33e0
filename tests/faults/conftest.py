"""Fixtures of the fault tests: a private PostgreSQL cluster (one per run), a database in it per
test, and users of a report on Telegram prepared through the engine before `loa run` starts."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.faults.postgres import PrivateCluster, private_cluster

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivateCluster]:
    """The private cluster (skips the test where it cannot run)."""
    with private_cluster() as started:
        yield started


@pytest.fixture
def private_database(cluster: PrivateCluster) -> str:
    """A new empty database on the private cluster; its name."""
    name = f"loa_fault_{next(_databases)}"
    cluster.create_database(name)
    return name
