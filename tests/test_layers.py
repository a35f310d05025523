"""The layer rules (import-linter contracts in pyproject.toml) run with the tests."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.fail(
            f"lint-imports is not installed next to {sys.executable}: pip install import-linter"
        )
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def contract_names() -> list[str]:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def test_every_layer_contract_is_kept() -> None:
    names = contract_names()

    result = lint_imports()

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"Contracts: {len(names)} kept, 0 broken." in report
    for name in names:
        assert f"{name} KEPT" in report


def test_the_checker_reports_a_broken_contract(tmp_path: Path) -> None:
    """Guard for the test above: a contract the code breaks really fails the run."""
    config = tmp_path / "broken.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_package = "trader_gui"\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "validation may not use the enums (it does)"\n'
        'type = "forbidden"\n'
        'source_modules = ["trader_gui.domain.validation"]\n'
        'forbidden_modules = ["trader_gui.domain.enums"]\n',
        encoding="utf-8",
    )

    result = lint_imports(str(config))

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
