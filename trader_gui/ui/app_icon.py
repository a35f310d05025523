"""The application's icon, every size read from the package at start."""

from __future__ import annotations

from importlib import resources as importlib_resources

from PySide6.QtGui import QIcon, QPixmap

from trader_gui.resource_files import resource

APP_ID = "io.github.tradergui.TraderGui"
"""The desktop entry's id: Wayland matches a window to its .desktop file by this name."""
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


class IconMissingError(Exception):
    pass


def application_icon() -> QIcon:
    """Read now: a zipped install hands out temporary files, and QIcon reads only on paint."""
    icon = QIcon()
    for size in ICON_SIZES:
        part = resource("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")
        with importlib_resources.as_file(part) as path:
            pixmap = QPixmap(str(path))
        if pixmap.isNull() or pixmap.width() != size:
            raise IconMissingError(f"the {size}x{size} icon cannot be read from {part}")
        icon.addPixmap(pixmap)
    return icon
