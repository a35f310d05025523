"""The application icon: one SVG and a PNG of every size, found through the package."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib.resources import as_file

import pytest
from packaging_support import APP_ID, HICOLOR, ICON_SIZES, png_size

from trader_gui.resource_files import resource

SVG = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"


@pytest.mark.parametrize("size", ICON_SIZES)
def test_each_size_is_a_png_of_that_size(size: int) -> None:
    path = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"

    assert png_size(path) == (size, size)


def test_the_svg_is_square_svg() -> None:
    root = ET.parse(SVG).getroot()

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


def test_the_window_icon_loads_through_the_package() -> None:
    icon = resource("icons", "hicolor", "256x256", "apps", f"{APP_ID}.png")

    with as_file(icon) as path:
        assert png_size(path) == (256, 256)
