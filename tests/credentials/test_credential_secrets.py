"""No secret value reaches a log, the terminal, a file, an error or any object's repr.

A whole session is run with DEBUG logging on everything (keyring and the D-Bus libraries
included) into a file and pytest's capture; then every place a secret could leak is searched.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from trader_gui.cli.main import main
from trader_gui.credentials import (
    CredentialError,
    CredentialStore,
    current_totp,
    default_store,
    get_secret,
    set_secret,
)

SECRETS = {
    "password": "Pw-leakcheck-7Hq",
    "totp_secret": "KRUGS4ZAOBQXG43XN5ZGIIDMMVQWW4TFEO",
    "api_secret": "Api-leakcheck-9Zx",
    "access_token": "Tok-leakcheck-3Lm",
    "kite_secret": "Kite-leakcheck-5Rt",
    "kite_token": "KiteTok-leakcheck-8Wd",
    "telegram": "Bot-leakcheck-2Yv",
    "bad_totp": "Bad-leakcheck-1Qs",
    "stray_line": "Stray-leakcheck-6Np",
}
LOGIN_LINES = f"""\
password={SECRETS["password"]}
totp_secret={SECRETS["totp_secret"]}
vendor_code=FA12345_U
api_secret={SECRETS["api_secret"]}
access_token={SECRETS["access_token"]}
"""
SHOONYA_FIELDS = {
    "password": SECRETS["password"],
    "vendor_code": "FA12345_U",
    "api_secret": SECRETS["api_secret"],
}


@pytest.fixture
def debug_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


def test_no_secret_leaks_anywhere(
    installed: KeyringBackend,
    debug_log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    log = logging.getLogger("tests.leakcheck")
    shown: list[object] = []

    # Act: log in from stdin lines, then what the program does with the credentials.
    monkeypatch.setattr("sys.stdin", io.StringIO(LOGIN_LINES))
    assert main(["login", "shoonya", "--client", "FA12345"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{SECRETS['stray_line']}\n"))
    assert main(["login", "kite", "--client", "AB1234"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(f"api_key=k\nunknown={SECRETS['password']}\n"))
    assert main(["login", "kite", "--client", "AB1234"]) == 2

    store = CredentialStore(clock=lambda: datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    shoonya = store.load("shoonya", "FA12345")
    store.save("kite", "AB1234", {"api_key": "kite-key", "api_secret": SECRETS["kite_secret"]})
    store.save_access_token("kite", "AB1234", SECRETS["kite_token"])
    kite = store.load("kite", "AB1234")
    set_secret("telegram-bot-token", SECRETS["telegram"])
    telegram = get_secret("telegram-bot-token")
    with pytest.raises(CredentialError) as bad_totp:
        store.save("shoonya", "FA1", {**SHOONYA_FIELDS, "totp_secret": SECRETS["bad_totp"]})
    assert shoonya is not None
    assert kite is not None
    code = current_totp(shoonya["totp_secret"])
    log.debug("loaded %s %r %s %r", shoonya, kite, shoonya["password"], telegram)
    log.debug("store %r status %r", store, store.backend_status())
    shown += [store, store.backend_status(), default_store(), shoonya, kite, telegram, code]
    shown += [*shoonya.values(), *kite.values(), bad_totp.value, *caplog.records]

    # Assert: the values did reach the keyring...
    assert shoonya["password"].reveal() == SECRETS["password"]
    assert kite["access_token"].reveal() == SECRETS["kite_token"]
    assert telegram is not None
    assert telegram.reveal() == SECRETS["telegram"]
    out, err = capsys.readouterr()
    assert "stored shoonya credentials for FA12345" in out
    assert "line 1: expected name=value" in err
    assert "stored kite credentials for AB1234" in debug_log.read_text(encoding="utf-8")
    # ...and nowhere else.
    places = {
        "stdout": out,
        "stderr": err,
        "caplog": caplog.text,
        "messages": "\n".join(r.getMessage() for r in caplog.records),
        "exceptions": f"{bad_totp.value} {bad_totp.value!r} {bad_totp.getrepr()}",
        "reprs": "\n".join(f"{item!r} {item!s}" for item in shown),
    }
    for path in tmp_path.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    leaks = [
        f"{label} in {place}"
        for place, text in places.items()
        for label, value in SECRETS.items()
        if value in text
    ]
    assert leaks == []
