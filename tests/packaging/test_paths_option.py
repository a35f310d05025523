"""`trader-gui --paths`: every place the program keeps files, one per line, nothing created."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_support import folders

from trader_gui.cli.main import main

LABELS = (
    "config folder",
    "config file",
    "data folder",
    "database",
    "paper broker",
    "log folder",
    "log file",
    "cache folder",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name, value in folders(home).items():
        monkeypatch.setenv(name, value)
    return home


def places(out: str) -> dict[str, str]:
    """{label: path} from the printed lines (the label is the text before the path)."""
    found = {}
    for line in out.splitlines():
        label = next(label for label in LABELS if line.startswith(label))
        found[label] = line[len(label) :].strip()
    return found


def test_prints_each_place_under_the_users_folders(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--paths"])

    out = capsys.readouterr().out
    assert code == 0
    assert len(out.splitlines()) == len(LABELS)
    found = places(out)
    assert list(found) == list(LABELS)
    assert found["config folder"] == str(home / "config" / "trader-gui")
    assert found["config file"] == str(home / "config" / "trader-gui" / "config.toml")
    assert found["data folder"] == str(home / "data" / "trader-gui")
    assert found["database"] == str(home / "data" / "trader-gui" / "trader_gui.sqlite3")
    assert found["paper broker"] == str(home / "data" / "trader-gui" / "paper_broker.sqlite3")
    assert found["log folder"].startswith(str(home / "state" / "trader-gui"))
    assert found["log file"] == str(Path(found["log folder"]) / "trader_gui.log")
    assert found["cache folder"] == str(home / "cache" / "trader-gui")


def test_creates_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--paths"]) == 0

    assert not any(home.rglob("trader-gui"))


def test_shows_the_config_and_database_this_command_line_would_use(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "elsewhere.toml"
    database = tmp_path / "orders.sqlite3"

    code = main(["--paths", "--config", str(config), "--db", f"sqlite:///{database}"])

    found = places(capsys.readouterr().out)
    assert code == 0
    assert found["config file"] == str(config)
    assert found["database"] == str(database)


def test_never_prints_a_database_password(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--paths", "--db", "postgresql://trader:s3cret@db.example/orders"])

    found = places(capsys.readouterr().out)
    assert code == 0
    assert "s3cret" not in found["database"]
    assert found["database"].startswith("postgresql://trader:")
    assert found["database"].endswith("@db.example/orders")
