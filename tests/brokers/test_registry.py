"""Choosing the broker by name: the paper broker needs nothing, real ones need credentials."""

from __future__ import annotations

import pytest
from keyring_doubles import MemoryKeyring

from trader_gui import credentials
from trader_gui.brokers.broker_credentials import CredentialsUnavailableError
from trader_gui.brokers.kite import KiteBroker
from trader_gui.brokers.registry import BrokerOptions, UnknownBrokerError, create_broker
from trader_gui.brokers.shoonya import ShoonyaBroker
from trader_gui.credentials import CredentialStore


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> CredentialStore:
    memory = CredentialStore(MemoryKeyring(), service="trader-gui-registry-test")
    monkeypatch.setattr(credentials, "default_store", lambda: memory)
    monkeypatch.setattr("trader_gui.brokers.broker_credentials.default_store", lambda: memory)
    return memory


def test_paper_is_built_without_any_account(catalog) -> None:
    broker = create_broker(BrokerOptions("paper", "PAPER"), catalog)
    try:
        assert broker.name == "paper"
    finally:
        broker.close()


def test_unknown_broker_names_the_choices(catalog) -> None:
    with pytest.raises(UnknownBrokerError, match="paper, shoonya, kite"):
        create_broker(BrokerOptions("angel", "X"), catalog)


def test_real_brokers_without_credentials_say_how_to_log_in(catalog, store) -> None:
    for name in ("shoonya", "kite"):
        with pytest.raises(CredentialsUnavailableError, match=f"trader-gui login {name}"):
            create_broker(BrokerOptions(name, "FA12345"), catalog)


def test_real_brokers_are_built_from_the_keyring_with_the_given_host(catalog, store) -> None:
    store.save(
        "shoonya",
        "FA12345",
        {
            "password": "pw",
            "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
            "vendor_code": "FA12345_U",
            "api_secret": "secret",
        },
    )
    store.save("kite", "AB1234", {"api_key": "key", "api_secret": "secret"})

    shoonya = create_broker(
        BrokerOptions("shoonya", "FA12345", url="http://127.0.0.1:9/NorenWClientTP"), catalog
    )
    kite = create_broker(BrokerOptions("kite", "AB1234", url="http://127.0.0.1:9"), catalog)
    try:
        assert isinstance(shoonya, ShoonyaBroker)
        assert isinstance(kite, KiteBroker)
        assert not kite.has_session
    finally:
        shoonya.close()
        kite.close()
