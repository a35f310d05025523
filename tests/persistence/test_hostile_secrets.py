"""A whole Shoonya session with real credentials, then a search for every secret everywhere.

Against the fake Noren server on 127.0.0.1, through the real command line: `login` from
stdin, a basket sent through the six steps, `orders`, the kill switch, a run whose broker
cannot be reached, a run whose login is refused, and a crash inside the adapter during a
poll (its traceback goes to the log). Then the database (with its -wal), the paper file, the
logs, the config folder, everything printed, pytest's log capture and the reprs of the
objects that hold the credentials are searched for each secret the fake knows: the password
and its hash, the TOTP secret, the API secret and the app key made from it, and every
session token it handed out. None may appear. (They do travel to the fake: that is the wire.)
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring_doubles import MemoryKeyring, keyring_in_use
from postgres_support import noren_fake_module

import trader_gui.brokers.noren_translate
import trader_gui.credentials
from trader_gui.brokers.broker_credentials import shoonya_credentials
from trader_gui.brokers.shoonya import ShoonyaBroker
from trader_gui.cli.main import main
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings, save_settings

BASKET = (
    "symbol,exchange,side,quantity,order_type,price,trigger_price,product,strategy,execution_type\n"
    "SBIN,NSE,BUY,10,LIMIT,800.00,,MIS,leak1,ENTRY\n"
    "SBIN,NSE,SELL,5,MARKET,,,MIS,leak2,ENTRY\n"
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every folder the program writes to, under this test's own directory; a memory keyring."""
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setattr(trader_gui.credentials, "SERVICE", "trader-gui-leak-test")
    trader_gui.credentials.default_store.cache_clear()
    with keyring_in_use(MemoryKeyring()):
        yield tmp_path
    trader_gui.credentials.default_store.cache_clear()


@pytest.fixture
def fake() -> Iterator[Any]:
    with noren_fake_module().running_fake() as server:
        server.add_scrip("NSE", "SBIN-EQ", "3045", "808.05")
        yield server


def test_no_secret_of_a_whole_session_is_written_anywhere(
    home: Path,
    fake: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    catalog: InstrumentCatalog,
) -> None:
    caplog.set_level(logging.DEBUG)
    printed: list[str] = []

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        printed.extend([out, err])
        return code

    account = ("--client", fake.user)
    shoonya = account  # broker, host and account come from the config file, as saved by Settings
    save_settings(
        Settings(
            broker="shoonya",
            client_id=fake.user,
            broker_url=fake.host,
            poll_interval_s=0.2,
            keep_market_hours=False,  # the fake takes orders at any hour, as a test host does
        ),
        AppPaths.standard().config_file,
    )
    basket = home / "basket.csv"
    basket.write_text(BASKET, encoding="utf-8")
    login_lines = (
        f"password={fake.password}\ntotp_secret={fake.totp_secret}\n"
        f"vendor_code={fake.vendor_code}\napi_secret={fake.api_secret}\nimei={fake.imei}\n"
    )

    # Act: a trader's day, with the things that go wrong.
    assert run("login", "shoonya", *account, stdin=login_lines) == 0
    assert run("basket", str(basket), "--wait", "0", *shoonya) == 0
    assert len(fake.calls_to("PlaceOrder")) == 2
    assert run("orders", "--json", *account) == 0
    assert run("kill-switch", "on", "--reason", "leak test", *account) == 0
    unreachable = ("--broker", "shoonya", "--broker-url", "http://127.0.0.1:9/NorenWClientTP")
    run("basket", str(basket), "--wait", "0", *unreachable, *account)
    fake.inject(
        noren_fake_module().Fault.NOT_OK, "QuickAuth", emsg="Invalid Input : Wrong Password"
    )
    run("basket", str(basket), "--wait", "0", *shoonya)

    def adapter_bug(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("adapter bug while reading a position row")

    monkeypatch.setattr(trader_gui.brokers.noren_translate, "parse_position", adapter_bug)
    monkeypatch.setattr(trader_gui.brokers.shoonya, "parse_position", adapter_bug)
    fake.fill(fake.orders_tagged(_first_tag(fake))[0]["norenordno"], price="800.00")
    run("kill-switch", "off", *account)
    assert run("basket", str(basket), "--wait", "0", *shoonya) == 1  # never ready: no good poll

    credentials = shoonya_credentials(fake.user)
    broker = ShoonyaBroker(catalog, host=fake.host, credentials=credentials, client_id=fake.user)
    broker.login()

    # Assert: the session happened...
    secrets = {f"secret {i}": value for i, value in enumerate(fake.secrets()) if value}
    assert len(fake.session_tokens) >= 2
    assert any("adapter bug" in record.getMessage() for record in caplog.records)
    # ...and no secret is anywhere the program writes or shows.
    places = {"printed": "\n".join(printed), "caplog": caplog.text}
    places["reprs"] = f"{credentials!r} {credentials!s} {broker!r} {vars(broker)!r}"
    broker.close()
    for path in home.rglob("*"):
        if path.is_file() and path != basket:
            places[str(path.relative_to(home))] = path.read_bytes().decode("utf-8", "replace")
    assert any(name.endswith(".sqlite3") for name in places)
    assert any(name.endswith(".log") for name in places)
    assert any(name.endswith("config.toml") for name in places)
    leaks = [
        f"{label} in {place}"
        for place, text in places.items()
        for label, value in secrets.items()
        if value in text
    ]
    assert leaks == []


def _first_tag(fake: Any) -> str:
    """The client tag (command_id) of the first order the fake received."""
    return str(fake.calls_to("PlaceOrder")[0].jdata["remarks"])
