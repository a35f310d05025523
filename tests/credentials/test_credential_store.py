"""The credential store's logic: per broker and account, validated, Kite's token per session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from keyring.backend import KeyringBackend
from keyring_doubles import BrokenKeyring, MemoryKeyring

from trader_gui.credentials import (
    CredentialError,
    CredentialStore,
    CredentialStoreError,
    Secret,
    current_totp,
    kite_session_day,
    normalize_totp_secret,
)

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SHOONYA = {
    "password": "s3cret-pass",
    "totp_secret": TOTP_SECRET,
    "vendor_code": "FA12345_U",
    "api_secret": "api-secret-value",
    "imei": "abc1234",
}
KITE = {"api_key": "kite-key-1", "api_secret": "kite-secret-1"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def plain(fields: dict[str, Secret] | None) -> dict[str, str] | None:
    return None if fields is None else {name: value.reveal() for name, value in fields.items()}


def test_saved_fields_load_back_and_delete(backend: KeyringBackend) -> None:
    store = CredentialStore(backend)

    names = store.save("shoonya", "FA12345", SHOONYA)

    assert names == ["user", "password", "totp_secret", "vendor_code", "api_secret", "imei"]
    assert plain(store.load("shoonya", "fa12345")) == {"user": "FA12345", **SHOONYA}
    assert store.delete("shoonya", "FA12345") is True
    assert store.load("shoonya", "FA12345") is None
    assert store.delete("shoonya", "FA12345") is False


def test_accounts_and_brokers_are_isolated(backend: KeyringBackend) -> None:
    store = CredentialStore(backend)
    other = SHOONYA | {"password": "other-pass"}

    store.save("shoonya", "FA12345", SHOONYA)
    store.save("shoonya", "FA99999", other)
    store.save("kite", "FA12345", KITE)
    store.delete("shoonya", "FA99999")

    assert plain(store.load("shoonya", "FA12345")) == {"user": "FA12345", **SHOONYA}
    assert store.load("shoonya", "FA99999") is None
    assert plain(store.load("kite", "FA12345")) == KITE


def test_a_second_save_replaces_the_entry(backend: KeyringBackend) -> None:
    store = CredentialStore(backend)
    store.save("kite", "AB1234", KITE | {"access_token": "day-token"})

    store.save("kite", "AB1234", KITE | {"api_secret": "rotated"})

    assert plain(store.load("kite", "AB1234")) == KITE | {"api_secret": "rotated"}


def test_named_secrets(backend: KeyringBackend) -> None:
    store = CredentialStore(backend)

    store.set_secret("telegram-bot-token", "123:abc")
    store.set_secret("intake-token", Secret("intake-1"))

    assert store.get_secret("telegram-bot-token") == Secret("123:abc")
    assert store.get_secret("Intake-Token") == Secret("intake-1")
    assert store.delete_secret("intake-token") is True
    assert store.get_secret("intake-token") is None
    assert store.delete_secret("intake-token") is False
    assert store.get_secret("never-set") is None


def test_kite_token_lasts_until_six_in_the_morning_ist(backend: KeyringBackend) -> None:
    clock = Clock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC))  # 09:30 IST
    store = CredentialStore(backend, clock=clock)
    store.save("kite", "AB1234", KITE)
    store.save_access_token("kite", "AB1234", "token-of-the-25th")

    clock.now = datetime(2026, 11, 26, 0, 29, tzinfo=UTC)  # 05:59 IST next day
    still = store.load("kite", "AB1234")
    clock.now = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 06:00 IST: Kite ended the session
    next_day = store.load("kite", "AB1234")

    assert still is not None
    assert still["access_token"] == Secret("token-of-the-25th")
    assert plain(next_day) == KITE


def test_kite_token_given_at_login_is_stamped_with_its_session(backend: KeyringBackend) -> None:
    clock = Clock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    store = CredentialStore(backend, clock=clock)

    store.save("kite", "AB1234", KITE | {"access_token": "typed-token"})
    today = plain(store.load("kite", "AB1234"))
    clock.now += timedelta(days=1)
    tomorrow = plain(store.load("kite", "AB1234"))

    assert today == KITE | {"access_token": "typed-token"}
    assert tomorrow == KITE


def test_kite_session_day_turns_at_six_ist() -> None:
    assert str(kite_session_day(datetime(2026, 11, 25, 0, 29, tzinfo=UTC))) == "2026-11-24"
    assert str(kite_session_day(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))) == "2026-11-25"


def test_shoonya_access_token_replaces_the_password_fields() -> None:
    store = CredentialStore(MemoryKeyring())

    names = store.save("shoonya", "FA12345", {"access_token": "oauth-token"})

    assert names == ["user", "access_token"]


def test_access_token_needs_the_account_first() -> None:
    store = CredentialStore(MemoryKeyring())

    with pytest.raises(CredentialError, match="run `trader-gui login kite --client AB1234`"):
        store.save_access_token("kite", "ab1234", "token")


@pytest.mark.parametrize(
    ("broker", "fields", "message"),
    [
        ("shoonya", SHOONYA | {"pin": "1234"}, r"unknown shoonya field\(s\): pin; known: user, "),
        (
            "shoonya",
            {"password": "p", "vendor_code": "v"},
            "shoonya needs password, totp_secret, vendor_code, api_secret "
            r"\(or access_token\); missing: totp_secret, api_secret",
        ),
        ("kite", {"api_key": "k", "api_secret": "  "}, "missing: api_secret"),
        ("zerodha", KITE, "unknown broker 'zerodha': choose one of shoonya, kite"),
    ],
)
def test_bad_fields_are_refused_with_a_sentence(
    broker: str, fields: dict[str, str], message: str
) -> None:
    backend = MemoryKeyring()

    with pytest.raises(CredentialError, match=message):
        CredentialStore(backend).save(broker, "FA12345", fields)

    assert backend.writes == 0


@pytest.mark.parametrize("client_id", ["", "  ", "FA 123", "shoonya:FA1", "X" * 65])
def test_bad_client_ids_are_refused(client_id: str) -> None:
    with pytest.raises(CredentialError, match="client id"):
        CredentialStore(MemoryKeyring()).save("kite", client_id, KITE)


@pytest.mark.parametrize("secret", ["123456", "not base32 at all!", "JBSWY3DP", "JBSWY3DPEHPK3PX1"])
def test_malformed_totp_secret_is_refused_without_quoting_it(secret: str) -> None:
    with pytest.raises(CredentialError, match="totp_secret is not a valid TOTP key") as raised:
        CredentialStore(MemoryKeyring()).save("shoonya", "FA1", SHOONYA | {"totp_secret": secret})

    assert secret not in str(raised.value)


def test_totp_secret_is_stored_as_the_broker_shows_it_normalised() -> None:
    store = CredentialStore(MemoryKeyring())
    spaced = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"

    store.save("shoonya", "FA1", SHOONYA | {"totp_secret": spaced})
    loaded = store.load("shoonya", "FA1")

    assert loaded is not None
    assert loaded["totp_secret"].reveal() == TOTP_SECRET
    assert normalize_totp_secret(spaced) == TOTP_SECRET


def test_current_totp_is_the_authenticator_code() -> None:
    assert current_totp(TOTP_SECRET) == pyotp.TOTP(TOTP_SECRET).now()
    assert current_totp(Secret(TOTP_SECRET.lower())) == pyotp.TOTP(TOTP_SECRET).now()


def test_secret_is_masked_everywhere_but_reveal() -> None:
    secret = Secret("hunter2")

    logged = "%s %r" % (secret, secret)  # noqa: UP031 - the way logging formats
    shown = [repr(secret), str(secret), f"{secret}", logged, repr([secret])]

    assert all("hunter2" not in text for text in shown)
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2")
    assert secret != Secret("hunter3")
    assert bool(Secret("")) is False


def test_a_failing_keyring_is_one_sentence_without_the_secret() -> None:
    store = CredentialStore(BrokenKeyring())

    with pytest.raises(CredentialStoreError) as written:
        store.save("kite", "AB1234", KITE)
    with pytest.raises(CredentialStoreError) as read:
        store.load("kite", "AB1234")

    assert str(written.value) == (
        "the keyring could not write credentials (KeyringError): "
        "start or unlock your keyring and try again"
    )
    assert "kite-secret-1" not in str(written.value)
    assert "KeyringLocked" in str(read.value)
    assert written.value.__cause__ is None
    assert written.value.__suppress_context__ is True


def test_an_unreadable_entry_says_how_to_fix_it(service: str) -> None:
    backend = MemoryKeyring()
    backend.set_password(service, "kite:AB1234", "not json")

    with pytest.raises(CredentialStoreError, match="trader-gui login kite --client AB1234"):
        CredentialStore(backend).load("kite", "AB1234")


def test_entries_live_under_one_service_as_json(service: str) -> None:
    backend = MemoryKeyring()

    CredentialStore(backend).save("kite", "ab1234", KITE)

    assert list(backend.entries) == [(service, "kite:AB1234")]
