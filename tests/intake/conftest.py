"""Fixtures for the intake: a keyring double as the program's store, and running intakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from intake_support import Intake, IntakeFactory
from keyring_doubles import MemoryKeyring

from trader_gui import credentials
from trader_gui.domain.instruments import InstrumentCatalog


@pytest.fixture(autouse=True)
def keyring_store(monkeypatch: pytest.MonkeyPatch) -> credentials.CredentialStore:
    """Every test's token lives in a keyring of its own, in memory."""
    store = credentials.CredentialStore(MemoryKeyring())
    monkeypatch.setattr(credentials, "default_store", lambda: store)
    return store


@pytest_asyncio.fixture
async def intakes(
    tmp_path: Path, catalog: InstrumentCatalog, clock: Any
) -> AsyncIterator[IntakeFactory]:
    factory = IntakeFactory(tmp_path, catalog, clock)
    yield factory
    await factory.close()


@pytest_asyncio.fixture
async def intake(intakes: IntakeFactory) -> Intake:
    """An intake with no approval step and a rate no test reaches."""
    return await intakes.start()
