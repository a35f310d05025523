"""Find the data files shipped with the program, installed, editable or frozen alike."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """A file under `resources/`, e.g. `resource("instruments.csv")`."""
    node = resources.files("trader_gui.resources")
    for part in parts:
        node = node.joinpath(part)
    return node
