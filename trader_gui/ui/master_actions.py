"""File → Refresh symbol masters… and File → Load symbol master files…: the by-hand refresh.

Both go through the bridge to the engine's refresher, which works on its own thread: the
window keeps painting and tickets keep going out while a master downloads or loads. The
result (how many instruments, from where, what was left out, or why nothing changed) is
shown in a box that does not block the window, and the status bar's symbol count follows.
"""

from __future__ import annotations

from collections.abc import Awaitable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from trader_gui.engine.master_refresh import MasterOutcome
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.tasks import TaskKeeper

FILE_FILTER = "Symbol masters (*.zip *.txt *.csv);;All files (*)"


class MasterActions(QObject):
    finished = Signal(object)
    """MasterOutcome, once a refresh or a load by hand has ended."""
    status_message = Signal(str)

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._tasks = tasks
        self._window = window
        self.file_dialog: QFileDialog | None = None
        self.result_box: QMessageBox | None = None
        self.refresh_action = QAction("Refresh symbol masters…", window)
        self.refresh_action.setObjectName("refreshMastersAction")
        self.refresh_action.setToolTip(
            "Fetch today's symbol masters from the broker now; the list in use stays on a failure"
        )
        self.refresh_action.triggered.connect(self.refresh)
        self.load_action = QAction("Load symbol master files…", window)
        self.load_action.setObjectName("loadMastersAction")
        self.load_action.setToolTip(
            "Load master files you downloaded: Shoonya's zips or text files, Kite's instruments CSV"
        )
        self.load_action.triggered.connect(self.choose_files)

    def refresh(self) -> None:
        self._start(self._bridge.masters_source or "the broker")
        self._tasks.spawn(self._report(self._bridge.refresh_masters()), name="refresh masters")

    def choose_files(self) -> QFileDialog:
        """A dialog that does not block the window; the files load once chosen."""
        if self.file_dialog is not None:
            self.file_dialog.raise_()
            return self.file_dialog
        dialog = QFileDialog(self._window, "Load symbol master files")
        dialog.setObjectName("mastersFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(FILE_FILTER)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self.load)
        dialog.destroyed.connect(lambda *_: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def load(self, paths: list[str]) -> None:
        if not paths:
            return
        self._start(f"{len(paths)} file{'s' if len(paths) != 1 else ''}")
        self._tasks.spawn(self._report(self._bridge.load_master_files(paths)), name="load masters")

    def _start(self, source: str) -> None:
        self.refresh_action.setEnabled(False)
        self.load_action.setEnabled(False)
        self.status_message.emit(f"Loading symbol masters from {source}… orders go on meanwhile.")

    async def _report(self, work: Awaitable[MasterOutcome]) -> None:
        try:
            outcome = await work
        finally:
            self.refresh_action.setEnabled(True)
            self.load_action.setEnabled(True)
        self._show(outcome)
        self.finished.emit(outcome)

    def _show(self, outcome: MasterOutcome) -> None:
        if self.result_box is not None:
            self.result_box.close()
        box = QMessageBox(
            QMessageBox.Icon.Information if outcome.loaded else QMessageBox.Icon.Warning,
            "Symbol masters",
            outcome.sentence,
            QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setObjectName("mastersResult")
        box.setTextFormat(Qt.TextFormat.PlainText)
        if outcome.loaded:
            box.setInformativeText(self._bridge.masters.text)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: setattr(self, "result_box", None))
        self.result_box = box
        box.show()

    def close_dialogs(self) -> None:
        for dialog in (self.file_dialog, self.result_box):
            if dialog is not None:
                dialog.close()
