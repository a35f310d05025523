"""The Linux desktop entry and the AppStream metadata: they parse, agree with each other, and
name an icon that ships; the distributions' own validators accept them when installed."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from packaging_support import APP_ID, HICOLOR, RESOURCES

DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def icon_files(name: str) -> list[Path]:
    return sorted(HICOLOR.glob(f"*/apps/{name}.png")) + sorted(HICOLOR.glob(f"*/apps/{name}.svg"))


def test_desktop_entry_starts_the_program() -> None:
    entry = desktop_entry()

    assert entry["Type"] == "Application"
    assert entry["Name"] == "trader-gui"
    assert entry["Exec"] == "trader-gui"
    assert entry["Terminal"] == "false"
    assert {"Office", "Finance"} <= set(filter(None, entry["Categories"].split(";")))


def test_desktop_entry_names_an_icon_that_ships() -> None:
    icon = desktop_entry()["Icon"]

    assert icon == APP_ID
    assert len(icon_files(icon)) >= 8  # every PNG size and the SVG


def test_metainfo_describes_the_same_application() -> None:
    root = ET.parse(METAINFO).getroot()

    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("name") == desktop_entry()["Name"]
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("provides/binary") == "trader-gui"
    assert icon_files(root.findtext("icon[@type='stock']") or "")


def test_metainfo_release_is_the_package_version() -> None:
    from trader_gui import __version__

    releases = ET.parse(METAINFO).getroot().findall("releases/release")

    assert releases[0].get("version") == __version__


def _validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def test_desktop_file_validate_accepts_the_entry() -> None:
    tool = _validator("desktop-file-validate")

    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_appstreamcli_validates_the_metainfo() -> None:
    tool = _validator("appstreamcli")

    result = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
