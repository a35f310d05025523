"""Keyring backends for tests: a secure-looking one in memory, and insecure look-alikes.

keyring registers every backend class it sees and would pick these on its own; they are taken
out of its registry, so only a test's `keyring.set_keyring` puts them to use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.errors
from keyring.backend import KeyringBackend


@contextmanager
def keyring_in_use(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """The backend as the program's keyring (`keyring.get_keyring()`), then the one before."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


class MemoryKeyring(KeyringBackend):
    """A secure backend for the logic: entries in a dict, calls counted."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend: refused by name, whatever its priority."""


class LowPriorityKeyring(MemoryKeyring):
    """A backend keyring itself calls not recommended (priority below 1)."""

    priority = 0.5  # type: ignore[assignment]


class BrokenKeyring(MemoryKeyring):
    """A secure backend whose daemon fails, with a message that quotes what it was given."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked(f"locked while reading {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError(f"could not store {password}")


for _double in (MemoryKeyring, PlaintextKeyring, LowPriorityKeyring, BrokenKeyring):
    KeyringBackend._classes.discard(_double)  # type: ignore[attr-defined]
