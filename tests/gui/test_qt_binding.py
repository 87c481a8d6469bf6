"""Guard: the Qt binding must not lose references to None/True, or the app aborts after minutes.

PySide6 6.12.0 on Python < 3.12 drops one reference to None on every call of a void Qt method and
one to True on every ``Signal.emit`` from Python. Before 3.12 these objects are not immortal, so a
running window counts them down to zero and CPython aborts with "Fatal Python error: none_dealloc"
(or bool_dealloc). Measured here: the detail panel alone, while playing, loses ~180 references to
None and ~35 to True per second: an abort after about 7 minutes of playback. PySide6 6.11.3 on
Python 3.11 and 6.12.0 on Python 3.12 are clean. The fix belongs in pyproject.toml: exclude
6.12.0 on Python < 3.12, or move the project to Python >= 3.12.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(float)


def test_calls_and_emits_keep_none_and_true_alive(qtbot) -> None:
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(200):
        emitter.setObjectName("probe")  # a void method
        emitter.fired.emit(1.0)
    lost = before[0] - sys.getrefcount(None), before[1] - sys.getrefcount(True)
    assert lost == (0, 0), (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} lost {lost[0]} references to "
        f"None and {lost[1]} to True in 200 calls: a long session will abort (see this file's docstring)"
    )
