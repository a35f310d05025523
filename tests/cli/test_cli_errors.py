"""Bad input to the command line: one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest
from cli_support import Cli, assert_one_line_error

from trader_gui import __version__


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--nonsense"], "unrecognized arguments: --nonsense"),
        (["kill-switch", "maybe"], "invalid choice: 'maybe'"),
        (["kill-switch"], "required: action"),
        (["basket"], "required: file"),
        (["basket", "b.csv", "--wait", "soon"], "invalid float value: 'soon'"),
        (["orders", "--status", "DONE"], "invalid choice: 'DONE'"),
        (["orders", "--limit", "ten"], "invalid int value: 'ten'"),
        (["launch-rockets"], "invalid choice: 'launch-rockets'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(cli: Cli, argv: list[str], says: str) -> None:
    result = cli.run(*argv, db=False)

    assert_one_line_error(result)
    assert result.code == 2
    assert says in result.err
    assert result.out == ""


@pytest.mark.parametrize(
    "argv",
    [["orders"], ["kill-switch", "status"], ["kill-switch", "on"]],
)
def test_a_file_that_is_not_a_database_gives_one_line(cli: Cli, argv: list[str]) -> None:
    not_a_database = cli.home / "notes.txt"
    not_a_database.write_bytes(b"my trading notes, not a database\n" * 100)
    before = not_a_database.read_bytes()

    result = cli.run(*argv, "--db", f"sqlite:///{not_a_database}", db=False)

    assert_one_line_error(result)
    assert result.code == 1
    assert "cannot open the database" in result.err
    assert "not a database" in result.err
    assert result.out == ""
    assert not_a_database.read_bytes() == before  # the trader's file is left alone


def test_a_bad_database_in_a_real_process_prints_no_traceback(cli: Cli) -> None:
    """Out of pytest's log capture, an unconfigured logger would print to stderr."""
    not_a_database = cli.home / "notes.txt"
    not_a_database.write_bytes(b"not a database\n" * 100)

    result = cli.run_process("orders", "--db", f"sqlite:///{not_a_database}")

    assert_one_line_error(result)
    assert "not a database" in result.err


def test_a_url_no_database_driver_knows_gives_one_line(cli: Cli) -> None:
    result = cli.run("orders", "--db", "nosuchdb://somewhere/orders", db=False)

    assert_one_line_error(result)
    assert "cannot open the database" in result.err


def test_version_from_python_dash_m(cli: Cli) -> None:
    result = cli.run_process("--version")

    assert result.code == 0, result.err
    assert result.out.strip() == f"trader-gui {__version__}"
    assert result.err == ""
