"""Small pieces several panels share."""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
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


SAMPLE_SLACK = 1.1
"""Room beyond a sample text: digits and signs differ in width in most fonts."""


class SteadyBox(QWidget):
    """Holds a label whose text changes with every poll, so that the change stays inside it.

    Qt answers a label's new text by laying out its panel again, then every widget above it
    up to the main window, docks and all; in a burst of orders that was once per poll. The
    box has no layout (its label is placed by hand), so a new text repaints the label and
    goes no further. Its size holds `sample`, the longest text expected (on as many lines as
    it needs, for a label that wraps); a longer one gets its room the next time the window
    is laid out for any other reason.
    """

    def __init__(self, label: QLabel, sample: str, *, sample_is_minimum: bool = False) -> None:
        super().__init__(label.parentWidget())
        self.label = label
        self._sample = sample
        self._sample_is_minimum = sample_is_minimum
        label.setParent(self)
        policy = label.sizePolicy()
        policy.setHeightForWidth(label.wordWrap())
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:  # noqa: N802
        own = self.label.sizeHint()
        if self.label.wordWrap():  # as wide as the label asks; the sample sets the height
            return QSize(own.width(), self.heightForWidth(own.width()))
        sample = self.label.fontMetrics().horizontalAdvance(self._sample) * SAMPLE_SLACK
        return QSize(max(own.width(), math.ceil(sample) + self._across()), own.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """The text shown now, not the sample, unless the sample must never be cut (money):
        the sample is the room the box asks for, and the window must still fit a laptop."""
        if self._sample_is_minimum and not self.label.wordWrap():
            return self.sizeHint()
        return self.label.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return self.label.wordWrap()

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        inner = max(1, width - self._across())
        lines = self.label.fontMetrics().boundingRect(
            QRect(0, 0, inner, 10_000), Qt.TextFlag.TextWordWrap, self._sample
        )
        margins = self.label.contentsMargins()
        down = 2 * self.label.margin() + margins.top() + margins.bottom()
        return max(self.label.heightForWidth(width), lines.height() + down)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.label.setGeometry(self.rect())

    def _across(self) -> int:
        margins = self.label.contentsMargins()
        return 2 * self.label.margin() + margins.left() + margins.right()
