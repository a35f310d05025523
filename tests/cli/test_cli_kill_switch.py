"""`trader-gui kill-switch on|off|status`: the persisted switch, set from a shell."""

from __future__ import annotations

from cli_support import Cli


def test_a_fresh_account_has_the_switch_off(cli: Cli) -> None:
    result = cli.run("kill-switch", "status")

    assert result.code == 0
    assert result.out == "kill switch for PAPER: OFF\n"
    assert result.err == ""


def test_switching_on_is_kept_with_who_and_why(cli: Cli) -> None:
    switched = cli.run("kill-switch", "on", "--reason", "feed looks wrong")

    status = cli.run("kill-switch", "status")

    assert switched.code == 0
    assert "kill switch for PAPER: ON" in switched.out
    assert status.code == 0
    assert status.out.startswith("kill switch for PAPER: ON since ")
    assert "by command line" in status.out
    assert status.out.rstrip().endswith(": feed looks wrong")


def test_switching_off_again(cli: Cli) -> None:
    cli.run("kill-switch", "on", "--reason", "halt")

    switched = cli.run("kill-switch", "off")
    status = cli.run("kill-switch", "status")

    assert switched.code == 0
    assert "kill switch for PAPER: OFF" in switched.out
    assert status.out.startswith("kill switch for PAPER: OFF since ")
    assert "by command line" in status.out
    assert "halt" not in status.out


def test_the_switch_belongs_to_one_account(cli: Cli) -> None:
    cli.run("kill-switch", "on", "--reason", "halt", "--client", "ACC1")

    other = cli.run("kill-switch", "status", "--client", "ACC2")
    same = cli.run("kill-switch", "status", "--client", "ACC1")

    assert other.out == "kill switch for ACC2: OFF\n"
    assert same.out.startswith("kill switch for ACC1: ON")
