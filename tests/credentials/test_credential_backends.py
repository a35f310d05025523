"""Which keyrings are trusted: a plain-file or missing one is said plainly and never written."""

from __future__ import annotations

import logging

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring_doubles import LowPriorityKeyring, MemoryKeyring, PlaintextKeyring, keyring_in_use

from trader_gui.credentials import (
    NO_SECURE_STORE,
    CredentialStore,
    Secret,
    assess_backend,
    default_store,
    delete_secret,
    get_secret,
    set_secret,
)

SENTENCE = "no secure credential store: start or unlock your keyring; credentials will not be saved"
KITE = {"api_key": "kite-key-1", "api_secret": "kite-secret-1"}


class Chain(ChainerBackend):
    """A chainer over given members (keyring's own discovers them from the machine)."""

    members: tuple[KeyringBackend, ...] = ()

    @property  # type: ignore[misc]
    def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
        return list(self.members)


KeyringBackend._classes.discard(Chain)  # type: ignore[attr-defined]


def chain(*members: KeyringBackend) -> Chain:
    made = Chain()
    made.members = members
    return made


def test_the_sentence_is_exactly_as_agreed() -> None:
    assert NO_SECURE_STORE == SENTENCE


@pytest.mark.parametrize(
    "backend",
    [
        PlaintextKeyring(),
        LowPriorityKeyring(),
        fail.Keyring(),
        null.Keyring(),
        chain(PlaintextKeyring(), LowPriorityKeyring()),
        chain(),
    ],
    ids=["plaintext-name", "priority-0.5", "fail", "null", "chain-of-insecure", "empty-chain"],
)
def test_insecure_or_missing_keyrings_are_refused(backend: KeyringBackend) -> None:
    chosen, status = assess_backend(backend)

    assert chosen is None
    assert status.secure is False
    assert status.sentence == SENTENCE


def test_a_chainer_is_narrowed_to_its_secure_member() -> None:
    secure = MemoryKeyring()

    chosen, status = assess_backend(chain(secure, PlaintextKeyring()))

    assert chosen is secure
    assert status.secure is True
    assert status.sentence == f"credentials are kept in {status.name}"


@pytest.mark.parametrize("make", [PlaintextKeyring, LowPriorityKeyring])
def test_without_a_secure_keyring_credentials_stay_in_memory_for_the_session(
    make: type[MemoryKeyring], caplog: pytest.LogCaptureFixture
) -> None:
    insecure = make()

    with caplog.at_level(logging.WARNING, logger="trader_gui.credentials"):
        store = CredentialStore(insecure)
    store.save("kite", "AB1234", KITE)
    store.set_secret("intake-token", "tok-1")

    assert store.backend_status().sentence == SENTENCE
    assert SENTENCE in caplog.text
    assert store.load("kite", "AB1234") == {name: Secret(v) for name, v in KITE.items()}
    assert store.get_secret("intake-token") == Secret("tok-1")
    assert insecure.writes == 0
    assert insecure.entries == {}
    assert CredentialStore(insecure).load("kite", "AB1234") is None  # gone with the session
    assert store.delete("kite", "AB1234") is True


def test_the_default_store_follows_the_program_keyring() -> None:
    backend = MemoryKeyring()
    with keyring_in_use(backend):
        set_secret("telegram-bot-token", "123:abc")
        found = get_secret("telegram-bot-token")
        removed = delete_secret("telegram-bot-token")
        status = default_store().backend_status()

    assert found == Secret("123:abc")
    assert removed is True
    assert status.secure is True
    assert backend.entries == {}
