"""Keyrings for the credential tests: an in-memory one always, the real Secret Service if here.

The real one is used only when the session bus has a Secret Service whose default collection
exists and is unlocked (tests/run-suite.sh starts gnome-keyring that way); otherwise its tests
skip with the reason. Every test writes under its own service name and the real entries are
deleted afterwards, so a developer's own `trader-gui` credentials are never touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring_doubles import MemoryKeyring, keyring_in_use

import trader_gui.credentials


def _secret_service_problem(backend: KeyringBackend) -> str | None:
    """Why the real keyring cannot be used here, or None when it can."""
    from keyring.backends import SecretService

    if not isinstance(backend, SecretService.Keyring):
        return (
            f"keyring backend is {backend}, not the Secret Service: run inside "
            "dbus-run-session with gnome-keyring unlocked (see tests/run-suite.sh)"
        )
    import secretstorage

    try:
        with closing(secretstorage.dbus_init()) as connection:
            # The default alias only: asking for it to be created would open a prompt.
            if secretstorage.Collection(connection).is_locked():
                return "the default Secret Service collection is locked"
    except secretstorage.exceptions.SecretStorageException as error:
        return (
            f"no usable default Secret Service collection ({type(error).__name__}): "
            "unlock gnome-keyring with --unlock to create it"
        )
    return None


@pytest.fixture(scope="session")
def secret_service() -> KeyringBackend:
    backend = keyring.get_keyring()
    problem = _secret_service_problem(backend)
    if problem:
        pytest.skip(problem)
    return backend


@pytest.fixture(params=["memory", "secret-service"])
def backend(request: pytest.FixtureRequest) -> KeyringBackend:
    """Each logic test runs on the in-memory backend and, when present, the real keyring."""
    if request.param == "memory":
        return MemoryKeyring()
    return request.getfixturevalue("secret_service")  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A service name of this test's own; real entries under it are deleted afterwards."""
    name = f"trader-gui-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(trader_gui.credentials, "SERVICE", name)
    trader_gui.credentials.default_store.cache_clear()
    yield name
    trader_gui.credentials.default_store.cache_clear()
    _delete_real_entries(name)


@pytest.fixture
def installed(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """The backend as the program's keyring (`keyring.get_keyring()`), restored afterwards."""
    with keyring_in_use(backend):
        yield backend


def _delete_real_entries(service: str) -> None:
    from keyring.backends import SecretService

    if not isinstance(keyring.get_keyring(), SecretService.Keyring):
        return
    import secretstorage

    try:
        with closing(secretstorage.dbus_init()) as connection:
            collection = secretstorage.Collection(connection)
            for item in collection.search_items({"service": service}):
                item.delete()
    except secretstorage.exceptions.SecretStorageException:
        pass
