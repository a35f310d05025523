"""`trader-gui login`: fields from stdin lines or no-echo prompts; names printed, never values."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring_doubles import LowPriorityKeyring, MemoryKeyring, keyring_in_use

from trader_gui.cli.login import run_login
from trader_gui.cli.main import main
from trader_gui.credentials import CredentialStore, Secret
from trader_gui.engine.assembly import LaunchOptions
from trader_gui.settings import Settings

SHOONYA_LINES = """\
# from the broker's API page
user=FA12345
password=s3cret-pass

totp_secret = JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP
vendor_code=FA12345_U
api_secret=api=secret=with=equals
"""
SECRETS = ("s3cret-pass", "JBSW", "api=secret=with=equals")


class TerminalInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No config file of the developer's is read."""
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return tmp_path


def login(monkeypatch: pytest.MonkeyPatch, text: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return main(["login", *argv])


def test_stdin_lines_are_stored_and_only_names_printed(
    installed: KeyringBackend,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = login(monkeypatch, SHOONYA_LINES, "shoonya", "--client", "FA12345")

    out, err = capsys.readouterr()
    stored = CredentialStore(installed).load("shoonya", "FA12345")
    assert code == 0
    assert err == ""
    assert out == (
        f"stored shoonya credentials for FA12345 in {installed.name}: "
        "user, password, totp_secret, vendor_code, api_secret\n"
    )
    assert all(secret not in out for secret in SECRETS)
    assert stored is not None
    assert stored["api_secret"] == Secret("api=secret=with=equals")
    assert stored["totp_secret"] == Secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api_key=k\nthe-secret-without-a-name\n", "line 2: expected name=value"),
        ("api_key=k\n\n# note\npin=the-secret\n", "line 4: unknown kite field 'pin'; known: "),
        ("api_key=k\napi_key=the-secret\n", "line 2: api_key is given twice"),
        ("api_key=k\n", "kite needs api_key, api_secret; missing: api_secret"),
        ("=the-secret\n", "line 1: expected name=value"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(
    installed: KeyringBackend,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    code = login(monkeypatch, text, "kite", "--client", "AB1234")

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith(f"trader-gui: {message}")
    assert "the-secret" not in err
    assert CredentialStore(installed).load("kite", "AB1234") is None


def test_forget_deletes_the_account(
    installed: KeyringBackend,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    login(monkeypatch, "api_key=k\napi_secret=s\n", "kite", "--client", "AB1234")
    capsys.readouterr()

    first = login(monkeypatch, "", "kite", "--client", "AB1234", "--forget")
    again = login(monkeypatch, "", "kite", "--client", "AB1234", "--forget")

    out = capsys.readouterr().out.splitlines()
    assert (first, again) == (0, 0)
    assert out == [
        f"forgot kite credentials for AB1234 ({installed.name})",
        f"nothing stored for kite credentials for AB1234 ({installed.name})",
    ]
    assert CredentialStore(installed).load("kite", "AB1234") is None


def test_without_a_secure_keyring_it_says_so_and_writes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    insecure = LowPriorityKeyring()
    with keyring_in_use(insecure):
        code = login(monkeypatch, "api_key=k\napi_secret=s\n", "kite", "--client", "AB1234")

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err == (
        "trader-gui: no secure credential store: start or unlock your keyring; "
        "credentials will not be saved\n"
    )
    assert insecure.writes == 0
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_the_client_id_is_required_unless_configured_for_that_broker(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = login(monkeypatch, "", "kite")

    assert code == 2
    assert capsys.readouterr().err == (
        "trader-gui: login needs --client ID: the kite account to store\n"
    )


def test_an_unknown_broker_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "zerodha", "--client", "AB1234"]) == 2
    assert "invalid choice: 'zerodha'" in capsys.readouterr().err


def test_at_a_terminal_each_field_is_asked_without_echo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend = MemoryKeyring()
    answers = {"api_key": "kite-key", "api_secret": "kite-secret", "access_token": ""}
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return answers[prompt.split()[2].rstrip(":")]

    with keyring_in_use(backend):
        code = run_login(
            argparse.Namespace(login_broker="kite", forget=False),
            Settings(broker="kite", client_id="AB1234"),
            LaunchOptions(),
            stdin=TerminalInput(),
            ask=ask,
        )

    assert code == 0
    assert prompts == [
        "kite AB1234 api_key: ",
        "kite AB1234 api_secret: ",
        "kite AB1234 access_token (optional, Enter to skip): ",
    ]
    assert capsys.readouterr().out.endswith(": api_key, api_secret\n")
    stored = CredentialStore(backend).load("kite", "AB1234")
    assert stored == {"api_key": Secret("kite-key"), "api_secret": Secret("kite-secret")}


def test_login_help_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["login", "--help"])

    out = capsys.readouterr().out
    assert "BROKER" in out
    assert "--forget" in out
