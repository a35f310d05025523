"""A guard against a Qt binding that under-counts references to None, True and False.

PySide6 6.12.0 (abi3 wheel) returns None, True and False without taking a reference, as if
they were immortal; they are only immortal from Python 3.12 on. On Python 3.11 every call of
a void Qt method then drops one reference to None, and after some tens of thousands of calls
the interpreter aborts ("deallocating None"). The probe below detects the defect at run time
and, only then, gives the three singletons a reference count no program can use up: what
Python 3.12 does for every program. A sound binding is left untouched.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_HEADROOM = 1 << 60
_PROBE_CALLS = 64
_guarded = False


def binding_drops_references() -> bool:
    """True when void Qt calls take a reference to None away (the defect described above)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - _PROBE_CALLS // 2


def ensure_safe_refcounts() -> bool:
    """Apply the guard when needed; returns True when it was applied (now or earlier)."""
    global _guarded
    if _guarded:
        return True
    if sys.version_info >= (3, 12) or not binding_drops_references():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _HEADROOM
    _guarded = True
    log.warning(
        "this PySide6 build drops references to None/True/False on Python %d.%d; "
        "guard applied (use PySide6 < 6.12 or Python >= 3.12 to do without it)",
        *sys.version_info[:2],
    )
    return True
