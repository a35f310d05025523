"""Helpers for the packaging tests: the checkout's files, and `trader-gui` as a real process
with every folder it may touch under a temporary home."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESOURCES = PROJECT_ROOT / "resources"
APP_ID = "io.github.tradergui.TraderGui"
HICOLOR = RESOURCES / "icons" / "hicolor"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def folders(home: Path) -> dict[str, str]:
    """HOME and the XDG folders, so platformdirs puts everything under `home`."""
    return {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON", "QT_"))}
    env.update(folders(home))
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["TMPDIR"] = str(home / "tmp")
    (home / "tmp").mkdir(exist_ok=True)
    return env


def run_process(home: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """`python <args>` as a trader's shell runs it, in `home`."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(home),
        cwd=home,
        check=False,
    )


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk comes first)."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert header[12:16] == b"IHDR", f"{path} has no IHDR first"
    width, height = struct.unpack(">II", header[16:24])
    return width, height
