"""Small pieces several panels share."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QHeaderView, QLabel, QWidget


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark a field red through the stylesheet's `[invalid="true"]` rule."""
    if widget.property("invalid") == invalid:
        return
    widget.setProperty("invalid", invalid)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def set_state(widget: QWidget, name: str, value: str) -> None:
    """Set a dynamic property the stylesheet selects on (e.g. `state="on"`), and repolish."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    return label


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setObjectName("separator")
    return line


def fit_columns(
    header: QHeaderView, samples: dict[int, str], *, bold: set[int] = frozenset()
) -> None:
    """Size columns to hold a sample text (and their title) in the font in use, so nothing is
    clipped whatever the platform's font and scaling."""
    model = header.model()
    plain = QFontMetrics(header.font())
    font = QFont(header.font())
    font.setBold(True)
    strong = QFontMetrics(font)
    for column, sample in samples.items():
        metrics = strong if column in bold else plain
        title = str(model.headerData(column, header.orientation())) if model else ""
        width = max(metrics.horizontalAdvance(sample), strong.horizontalAdvance(title) + 8)
        header.resizeSection(column, width + 14)
