"""Dialogs a coroutine can await without a nested event loop.

qasync forbids `QDialog.exec()` and the static `QMessageBox` helpers inside a coroutine:
each dialog here is opened with `open()` and its `finished` signal resolves a future.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QMessageBox, QWidget


async def finished(dialog: QDialog) -> int:
    """Open the dialog window-modal and wait for its result; closes it if the wait is cancelled."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(done)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)
        if dialog.isVisible():
            dialog.reject()


def question(
    parent: QWidget | None,
    *,
    title: str,
    text: str,
    details: str = "",
    accept: str = "OK",
    reject: str = "Cancel",
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
    default_accept: bool = True,
) -> tuple[QMessageBox, QAbstractButton]:
    """A yes/no message box, not yet shown, and its accept button."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("question")
    box.setTextFormat(Qt.TextFormat.PlainText)
    if details:
        box.setInformativeText(details)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(reject, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes if default_accept else no)
    box.setEscapeButton(no)
    return box, yes


async def answer(box: QMessageBox, yes: QAbstractButton) -> bool:
    """Show a box from `question` and wait: True when the trader chose its accept button."""
    try:
        await finished(box)
        return box.clickedButton() is yes
    finally:
        box.deleteLater()


async def ask(parent: QWidget | None, **options: Any) -> bool:
    """A yes/no question (see `question` for the options); True on the accept button."""
    box, yes = question(parent, **options)
    return await answer(box, yes)
