"""Fixtures several test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_wallet_lifecycle import Devnet, devnet


@pytest.fixture(scope="session")
def demo_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    """One demo network (scripts/devnet, demo data loaded) for the wallet scenarios that
    run on it one after the other: each works on vouchers of its own, so none depends on
    the others' leaving the ledger as they found it. Starting it costs a minute."""
    with devnet(tmp_path_factory.mktemp("demo")) as net:
        yield net
