"""Render the application icon's PNGs from its SVG, in the freedesktop `hicolor` layout.

    python packaging/make_icons.py            # writes resources/icons/hicolor/NxN/apps/*.png

The SVG is the one source; the PNGs are committed because the program and the frozen bundle
load PNGs only (no QtSvg at run time), and because desktop environments want one file per
size. The layout is the icon theme's own, so installing is one copy into
~/.local/share/icons/. Rendering goes through Qt's own SVG renderer, so the PNGs match what
Qt would draw, and needs no display (the offscreen platform is used).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICON_NAME = "io.github.tradergui.TraderGui"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons" / "hicolor"
SOURCE = ICONS / "scalable" / "apps" / f"{ICON_NAME}.svg"


def png_path(root: Path, size: int) -> Path:
    return root / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


def render(source: Path, root: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """One PNG per size, transparent outside the tile; the paths written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {source} is not an SVG Qt can draw")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = png_path(root, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):  # PNG, from the suffix
            raise SystemExit(f"make_icons: cannot write {target}")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the SVG to render")
    parser.add_argument("--out", type=Path, default=ICONS, help="the hicolor folder to fill")
    args = parser.parse_args(argv)
    for path in render(args.source, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
