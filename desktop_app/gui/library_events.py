"""What changed in the library, announced once for every view that shows it.

Whatever writes to the library on the window's behalf (a scan, an analysis, a playlist import or
edit, a model install or a learned model) emits here, and whatever shows the library (the track
table, the sidebar counts, the playlists, the similar-tracks pane, the detail panel) subscribes.
The writer does not know who is showing what, so a new view never needs the window to relay a
change to it by hand. Quod Libet's library signals (``changed``, ``added``, ``removed``) are the
model; the signals here are coarser because every view re-reads what it shows on a worker anyway.
Created once per library, by `desktop_app.gui.services.AppServices`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class LibraryEvents(QObject):
    """The library's change signals, emitted on the GUI thread."""

    tracksChanged = Signal()
    """Tracks were added, updated or found missing (a scan, a playlist import that scanned files)."""
    analysesChanged = Signal(object)
    """Analyses were written: the track ids, or None when any track's may have changed (an
    analysis run ended, a learned model classified the library)."""
    playlistsChanged = Signal()
    """A playlist was created, edited, renamed, deleted or imported."""
    modelsChanged = Signal()
    """A model was installed, imported or learned, or the installed ones were looked for again:
    whose predictions are current may differ."""
