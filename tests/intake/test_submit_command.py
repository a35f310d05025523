"""`trader-gui submit`, `status` and `intake-token` against a running intake.

The command line is synchronous (requests); it runs on a thread while the test's loop serves.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from intake_support import Intake, IntakeFactory

from trader_gui import credentials
from trader_gui.cli.main import main
from trader_gui.domain.enums import Source
from trader_gui.domain.senders import SenderApproval
from trader_gui.engine.intake_token import TOKEN_NAME, read_token
from trader_gui.settings import Settings, save_settings

pytestmark = pytest.mark.asyncio

ORDER = ["--symbol", "SBIN", "--side", "buy", "--quantity", "10", "--strategy", "cli1"]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file: the settings are the defaults, the trader's own files untouched."""
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    async def run(*argv: str) -> Result:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def assert_one_line_error(result: Result) -> None:
    assert result.code == 1
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("trader-gui: ")
    assert "Traceback" not in result.err


async def test_submit_sends_one_order_and_status_follows_it(intake: Intake, run, clock) -> None:
    port = str(intake.service.port)

    sent = await run("submit", *ORDER, "--intake-port", port)

    assert sent.code == 0, sent.err
    command_id, status, tag, detail = sent.out.rstrip("\n").split("\t")
    assert (status, tag) == ("SENT_TO_BROKER", "-")
    assert "Accepted by paper" in detail
    record = intake.runtime.repository.get(command_id)
    assert record is not None
    assert record.command.source is Source.EXTERNAL
    assert record.command.strategy == "cli1"
    clock.advance(1)
    await intake.runtime.watcher.poll_once()
    followed = await run("status", command_id, "--intake-port", port)
    assert followed.code == 0
    assert followed.out.split("\t")[:2] == [command_id, "EXECUTED"]


async def test_submit_again_with_the_same_key_sends_nothing_new(intake: Intake, run) -> None:
    argv = [
        "submit",
        *ORDER,
        "--client-order-id",
        "cli-7",
        "--intake-port",
        str(intake.service.port),
    ]

    first = await run(*argv)
    again = await run(*argv)

    assert (first.code, again.code) == (0, 0)
    assert first.out.split("\t")[0] == again.out.split("\t")[0]
    assert len(intake.runtime.broker.order_book()) == 1


async def test_a_blocked_order_prints_its_line_and_exits_1(intake: Intake, run) -> None:
    await intake.runtime.engine.set_kill_switch(True, by="trader")

    result = await run("submit", *ORDER, "--intake-port", str(intake.service.port))

    assert result.code == 1
    assert result.out.split("\t")[1:3] == ["FAILED", "KILL_SWITCH_ACTIVE"]


async def test_a_wrong_token_is_one_clear_line_and_nothing_is_recorded(
    intake: Intake, run, keyring_store: credentials.CredentialStore
) -> None:
    keyring_store.set_secret(TOKEN_NAME, "not-the-running-token")

    result = await run("submit", *ORDER, "--intake-port", str(intake.service.port))

    assert_one_line_error(result)
    assert "refused the token" in result.err
    assert intake.orders() == []


async def test_nothing_listening_is_one_clear_line(run, keyring_store) -> None:
    keyring_store.set_secret(TOKEN_NAME, "some-token")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = str(probe.getsockname()[1])

    result = await run("submit", *ORDER, "--intake-port", free_port)

    assert_one_line_error(result)
    assert f"nothing is listening on 127.0.0.1:{free_port}" in result.err


async def test_without_a_port_the_intake_is_off(run) -> None:
    result = await run("status", "XABC")

    assert_one_line_error(result)
    assert "--intake-port" in result.err


async def test_status_of_an_unknown_order_is_one_line(intake: Intake, run) -> None:
    result = await run("status", "XNOSUCHORDER", "--intake-port", str(intake.service.port))

    assert_one_line_error(result)
    assert "no order 'XNOSUCHORDER'" in result.err


async def test_intake_token_prints_it_and_rotates_it(
    run, keyring_store: credentials.CredentialStore
) -> None:
    missing = await run("intake-token")
    rotated = await run("intake-token", "--rotate")
    shown = await run("intake-token")

    assert_one_line_error(missing)
    assert rotated.code == 0
    token = keyring_store.get_secret(TOKEN_NAME)
    assert token is not None
    assert rotated.out.strip() == shown.out.strip() == token.reveal()


async def test_a_port_out_of_range_is_a_usage_error(run) -> None:
    result = await run("status", "XABC", "--intake-port", "70000")

    assert result.code == 2
    assert "a port is 1 to 65535" in result.err


async def test_submit_as_a_named_sender_uses_its_token(
    intakes: IntakeFactory, run, tmp_path: Path
) -> None:
    intake = await intakes.start(senders=(("tradingview", SenderApproval.NEVER),))
    config = tmp_path / "config.toml"
    save_settings(Settings(intake_senders={"tradingview": "never"}), config)
    port = str(intake.service.port)

    sent = await run("submit", *ORDER, "--intake-port", port, "--sender", "TradingView")
    shown = await run("intake-token", "--sender", "tradingview", "--config", str(config))
    status = await run(
        "status", sent.out.split("\t")[0], "--intake-port", port, "--sender", "tradingview"
    )

    assert sent.code == 0, sent.err
    (record,) = intake.orders()
    assert record.command.sender == "tradingview"
    assert shown.out.strip() == read_token(sender="tradingview").reveal()  # type: ignore[union-attr]
    assert status.code == 0


async def test_an_unknown_or_misspelt_sender_is_one_clear_line(intake: Intake, run) -> None:
    port = str(intake.service.port)

    unknown = await run("submit", *ORDER, "--intake-port", port, "--sender", "nobody")
    no_such = await run("intake-token", "--sender", "nobody")
    misspelt = await run("submit", *ORDER, "--intake-port", port, "--sender", "my bot")

    assert_one_line_error(unknown)
    assert "no intake token for sender 'nobody'" in unknown.err
    assert_one_line_error(no_such)
    assert "there is no intake sender 'nobody'" in no_such.err
    assert misspelt.code == 2
    assert "not a sender name" in misspelt.err
    assert intake.orders() == []
