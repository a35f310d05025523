"""`trader-gui masters load FILE...|refresh|status`: one line, the cache the next start uses,
exit 2 on bad input and the last good masters kept."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli, assert_one_line_error
from master_server import MasterServer, Reply, master_server, shoonya_day, write_shoonya_day

WAIT_S = 30


@pytest.fixture
def server() -> Iterator[MasterServer]:
    with master_server() as running:
        yield running


def shoonya_config(cli: Cli, url: str) -> Path:
    config = cli.home / "config.toml"
    config.write_text(
        f'broker = "shoonya"\nclient_id = "FA12345"\nsymbol_master_url = "{url}"\n'
        "symbol_master_timeout_s = 5\n",
        encoding="utf-8",
    )
    return config


def test_downloaded_files_load_into_the_cache(cli: Cli) -> None:
    files = write_shoonya_day(cli.home / "downloads")

    loaded = cli.run("masters", "load", *map(str, files), db=False)
    status = cli.run("masters", "status", db=False)

    assert loaded.code == 0, loaded.err
    assert loaded.out.startswith("Loaded 10 instruments from NSE_symbols.txt.zip")
    assert "Left out 3 rows (blank rows: 2, indices: 1)" in loaded.out
    assert len(loaded.lines) == 1
    assert status.out.startswith("10 instruments cached on ")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("NSE_symbols.txt.zip", None, "no such file", id="missing"),
        pytest.param("NSE_symbols.txt.zip", b"PK\x03\x04 cut", "damaged", id="corrupt-zip"),
        pytest.param(
            "instruments.csv", b"hello,world\n1,2\n", "neither a Shoonya", id="not-a-master"
        ),
    ],
)
def test_a_bad_file_is_refused_in_one_line_with_exit_2_and_the_cache_kept(
    cli: Cli, name: str, content: bytes | None, reason: str
) -> None:
    good = cli.run("masters", "load", *map(str, write_shoonya_day(cli.home / "d")), db=False)
    assert good.code == 0
    bad = cli.home / name
    if content is not None:
        bad.write_bytes(content)

    result = cli.run("masters", "load", str(bad), db=False)

    assert result.code == 2
    assert_one_line_error(result)
    assert reason in result.err
    assert cli.run("masters", "status", db=False).out.startswith("10 instruments cached")


def test_refresh_fetches_shoonyas_masters(cli: Cli, server: MasterServer) -> None:
    server.serve_day(shoonya_day())
    config = shoonya_config(cli, server.url)

    result = cli.run("masters", "refresh", "--config", str(config), db=False)

    assert result.code == 0, result.err
    assert result.out.startswith("Loaded 10 instruments")
    assert len(server.requests) == 5


def test_a_failed_refresh_says_why_in_one_line(cli: Cli, server: MasterServer) -> None:
    server.serve_day(shoonya_day())
    server.replies["BSE_symbols.txt.zip"] = Reply(500, b"down for maintenance")
    config = shoonya_config(cli, server.url)

    result = cli.run("masters", "refresh", "--config", str(config), db=False)

    assert result.code == 1
    assert_one_line_error(result)
    assert "HTTP 500" in result.err
    assert "down for maintenance" in result.err
    assert cli.run("masters", "status", db=False).out.startswith("no symbol masters cached")


def test_the_paper_broker_has_nothing_to_refresh(cli: Cli) -> None:
    result = cli.run("masters", "refresh", db=False)

    assert result.code == 2
    assert_one_line_error(result)
    assert "masters load FILE" in result.err


def test_masters_without_an_action_is_a_usage_error(cli: Cli) -> None:
    result = cli.run("masters", db=False)

    assert result.code == 2
    assert_one_line_error(result)


def test_headless_starts_on_the_cached_masters_and_logs_the_count(cli: Cli) -> None:
    loaded = cli.run("masters", "load", *map(str, write_shoonya_day(cli.home / "d")), db=False)
    assert loaded.code == 0
    process = cli.start_headless()
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "Symbols: " in line:
                break
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT_S)

    assert "Symbols: 10 from Shoonya, " in seen[-1], "".join(seen)
    assert process.returncode == 0
