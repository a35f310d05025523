"""The window fits a common desktop screen with every panel docked."""

from __future__ import annotations

from ui_support import Terminal

SCREEN_WIDTH = 1600
"""A common desktop width (1600 x 900 and wider): every dock shown, nothing off-screen."""


def test_the_window_with_every_panel_docked_fits_a_1600_pixel_screen(terminal: Terminal) -> None:
    """Counts and the last poll give way before the window outgrows the screen; the P&L
    figures keep their room."""
    window = terminal.window
    window.status.show_masters(terminal.bridge.masters)

    assert window.minimumSizeHint().width() <= SCREEN_WIDTH
    assert window.status.minimumSizeHint().width() <= SCREEN_WIDTH
