"""The window's menu bar and its keyboard shortcuts, in one place to read them all.

`build_menus` lays out File, Edit, Playback, Analysis, Model, Playlists and Help over what the
window already has (its parts and their actions); the window keeps no menu code of its own. The
actions tests and other code reach for by name are fields of `WindowMenus`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from desktop_app.config.logs import log_path
from desktop_app.genres.taxonomy import GENRE_TAXONOMIES
from desktop_app.gui.track_menu import TrackMenu

if TYPE_CHECKING:
    from desktop_app.gui.main_window import MainWindow

MENUS = (
    ("file", "&File"),
    ("edit", "&Edit"),
    ("play", "&Playback"),
    ("analysis", "&Analysis"),
    ("model", "&Model"),
    ("playlists", "P&laylists"),
    ("help", "&Help"),
)


@dataclass
class WindowMenus:
    """The menus by name, and the actions other code triggers or checks."""

    window: MainWindow
    by_name: dict[str, QMenu] = field(default_factory=dict)
    taxonomies: QActionGroup | None = None
    """One checkable action per genre taxonomy (Ctrl+1, Ctrl+2, …)."""
    open_folder: QAction | None = None
    find: QAction | None = None
    analyse: QAction | None = None
    listen: QAction | None = None
    cancel: QAction | None = None
    tracks: TrackMenu | None = None
    """The track table's right-click menu beyond Analyse and Write genre (its actions are also in Edit)."""

    def add(
        self,
        menu_name: str,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str | None = None,
    ) -> QAction:
        """A new action in menu ``menu_name``, with an optional shortcut and status-bar tip."""
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.by_name[menu_name].addAction(action)
        return action

    def check_taxonomy(self, model: str) -> None:
        if self.taxonomies is not None:
            for action in self.taxonomies.actions():
                action.setChecked(action.data() == model)


def build_menus(window: MainWindow) -> WindowMenus:
    menus = WindowMenus(window)
    bar = window.menuBar()
    menus.by_name = {name: bar.addMenu(title) for name, title in MENUS}
    add = menus.add

    intake = window.intake
    menus.open_folder = add(
        "file",
        "&Open folder…",
        intake.choose_folder,
        QKeySequence.StandardKey.Open,
        "Add a music folder to the library",
    )
    add("file", "&Add files…", intake.choose_files, "Ctrl+Shift+O")
    add("file", "&Rescan library folders", intake.rescan_library_folders, "F5")
    menus.by_name["file"].addSeparator()
    add("file", "&Settings…", window.open_settings, QKeySequence.StandardKey.Preferences)
    menus.by_name["file"].addSeparator()
    add("file", "&Quit", window.close, "Ctrl+Q")

    menus.find = add("edit", "&Find", window.search.focus, QKeySequence.StandardKey.Find)
    add("edit", "Select &all", window.table.selectAll, QKeySequence.StandardKey.SelectAll)
    add("edit", "Show &problems", window.toggle_problems)
    menus.by_name["edit"].addSeparator()
    tags = window.tag_writes
    menus.by_name["edit"].addActions([tags.write_action, tags.undo_action])

    play = window.detail.play_pause_action
    play.setShortcut(QKeySequence(Qt.Key.Key_Space))
    window.addAction(play)
    menus.by_name["play"].addAction(play)
    add("play", "&Next track", window.detail.player.request_next, "Ctrl+Right")
    add("play", "&Previous track", window.detail.player.request_previous, "Ctrl+Left")

    menus.taxonomies = QActionGroup(window)
    for number, taxonomy in enumerate(GENRE_TAXONOMIES, start=1):

        def show(_checked: bool = False, model: str = taxonomy.model) -> None:
            # QAction.triggered passes ``checked``: a lone default argument would receive it
            window.set_taxonomy(model)

        title = f"Show {taxonomy.title}" + ("" if taxonomy.title.endswith("genres") else " genres")
        action = add("analysis", title, show, f"Ctrl+{number}")
        action.setCheckable(True)
        action.setData(taxonomy.model)
        action.setChecked(taxonomy.model == window.settings.taxonomy)
        menus.taxonomies.addAction(action)
    menus.by_name["analysis"].addSeparator()

    menus.analyse = add(
        "analysis", "Analyse &selection", window.analyse_selection, "Ctrl+R", "Classify the selected tracks' genres"
    )
    window.add_table_actions(menus.analyse, tags.write_action)
    menus.tracks = TrackMenu(window)
    window.add_table_actions(*menus.tracks.actions)
    tracks = menus.tracks
    window.playlists.view.table.addActions(
        [tracks.add_to_playlist.menuAction(), tracks.copy_paths, tracks.show_in_folder]
    )
    menus.by_name["edit"].addSeparator()
    menus.by_name["edit"].addActions([menus.tracks.copy_paths, menus.tracks.show_in_folder, menus.tracks.remove])
    add("analysis", "Analyse &everything not analysed", window.analysis_commands.analyse_all, "Ctrl+Shift+R")
    menus.by_name["analysis"].addSeparator()
    add(
        "analysis",
        "&Learn my genres from genre tags…",
        lambda: window.my_genres.start("tags"),
        "Ctrl+L",
        "Learn your own genres from the tracks whose files carry a genre tag",
    )
    add(
        "analysis",
        "Learn my genres from &playlists…",
        lambda: window.my_genres.start("playlists"),
        tip="Learn your own genres from your manual playlists, each named after a genre",
    )
    menus.listen = add(
        "analysis",
        "&Listen…",
        window.open_listen,
        "Ctrl+Shift+L",
        "Classify what is playing in the room (a microphone, or the system's output) live",
    )
    toolbar = window.addToolBar("Listen")
    toolbar.setObjectName("listenToolbar")
    toolbar.addAction(menus.listen)
    menus.cancel = add("analysis", "&Cancel", window.analysis_commands.cancel, "Esc", "Stop scanning and analysing")
    menus.by_name["analysis"].addSeparator()
    add(
        "analysis",
        "Acti&vation explorer…",
        window.detail.open_activation_explorer,
        tip="What each stage of the network responds to in the window at the playhead",
    )

    add("model", "&Install model…", window.model_control.install)
    add("model", "I&mport model file…", window.model_control.choose_import)

    commands = window.playlists.commands
    menus.by_name["playlists"].addActions(list(commands.menu_actions.values()))
    menus.by_name["playlists"].addAction(commands.undo_action)

    add("help", "&About Genrescope", lambda: show_about(window))
    return menus


def show_about(parent: QWidget) -> None:
    """Help → About: what Genrescope is, its models' origins, and where its log file is."""
    from desktop_app import __version__

    QMessageBox.about(
        parent,
        "About Genrescope",
        f"<b>Genrescope {__version__}</b><p>A music-library organizer that classifies genre from the "
        "audio itself: broad genres and tags from the built-in MusiCNN tagger (Pons et al., ISC licence), "
        "and the CCMusic VGG19_BN network on CQT spectrograms (16 genres) when it is installed.</p>"
        f"<p>Log file (attach it to a bug report): {escape(str(log_path()))}</p>",
    )
