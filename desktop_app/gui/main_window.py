"""The main window: sidebar | search + track table | detail panel, with drops, menus and status.

The window only arranges and connects. It receives the app's services (`AppServices`: the job
pool, `ScanQueue`, `AnalysisQueue` and the library's `LibraryEvents`) rather than creating them;
scans, queries, model loading and inference all run on pool threads, their results come back as
signals, and each view refreshes itself on the library's events, coalesced, so a 10,000-file drop
or a long analysis leaves the event loop free. Getting a model is `ModelController`'s. What cannot
be read is listed in the Problems panel and counted in the status bar, never raised as a dialog.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.analysis.current import current_models
from desktop_app.config.logs import log_path
from desktop_app.genres.taxonomy import GENRE_TAXONOMIES, MY_GENRES_MODEL, TAXONOMIES
from desktop_app.gui.analysis_queue import AnalysisOutcome, AnalysisProgress
from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.model_banner import ModelBanner
from desktop_app.gui.model_controller import ModelController
from desktop_app.gui.my_genres_flow import MyGenresFlow
from desktop_app.gui.playlists_panel import PlaylistsPanel
from desktop_app.gui.problems_panel import ProblemsPanel
from desktop_app.gui.resources import app_icon
from desktop_app.gui.scan_queue import ScanOutcome
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.gui.sidebar import SCOPE_ROLE, LibrarySidebar
from desktop_app.gui.similar_panel import SimilarTracksPanel
from desktop_app.gui.status_bar import StatusBar
from desktop_app.gui.track_table_model import TrackTableModel
from desktop_app.gui.track_table_view import TrackTable
from desktop_app.gui.workers import CoalescingJob, JobContext, describe
from desktop_app.inference.identity import MODEL_TITLES, ModelIdentity
from desktop_app.inference.registry import CCMUSIC, builtin_sha256
from desktop_app.library.browse import (
    ModelInfo,
    Scope,
    SidebarCounts,
    current_model,
    sidebar_counts,
    track_detail,
)
from desktop_app.library.database import Library
from desktop_app.library.playlist_formats import READERS as PLAYLIST_READERS
from desktop_app.library.scanner import ScanProgress
from desktop_app.library.search import parse_search
from desktop_app.library.tags import printable_path
from desktop_app.wording import plural

SEARCH_DELAY_MS = 0
"""Typing is applied on the next event-loop turn (a paste or a burst of keys makes one search): the
table's reloads already fold into the one in flight, and an id query takes at most ~50 ms on a
100,000-track library (bench/startup.py), so a longer delay only made every search slower."""
COUNTS_INTERVAL_MS = 400
SEARCH_HINT = 'Search: words, or artist: album: title: genre: predicted: year:1990-1999 (quote "two words")'


@dataclass(frozen=True)
class CountsResult:
    """What the sidebar-counts job read, with what it was read for."""

    model: ModelInfo | None
    threshold: float
    counts: SidebarCounts
    taxonomy: str
    models: dict[str, int]
    """The current model id of each name, for smart and genre playlists."""


def local_paths(urls: list[QUrl]) -> tuple[list[str], list[str]]:
    """(local file paths, other URLs as text) from dropped URLs."""
    paths, others = [], []
    for url in urls:
        if url.isLocalFile() and url.toLocalFile():
            paths.append(_os_path(url))
        else:
            others.append(url.toString())
    return paths, others


def _os_path(url: QUrl) -> str:
    """The path as the file system spells it. A file manager percent-encodes a name's bytes;
    toLocalFile() decodes them as UTF-8 and turns a name that is not UTF-8 into one that does
    not exist, so on POSIX the bytes are decoded here, as Python names files."""
    if os.name == "nt":
        return url.toLocalFile()
    return os.fsdecode(unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded)))


def _missing_reason(path: str) -> str:
    return "broken link: what it points to does not exist" if os.path.islink(path) else "not found"


class MainWindow(QMainWindow):
    """Genrescope's window over one open library."""

    def __init__(
        self,
        library: Library,
        settings: AppSettings,
        services: AppServices | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.settings = settings
        self.services = services if services is not None else AppServices(library, self)
        """The app's (gui/app.py); a window built without them owns its own."""
        self.setWindowTitle("Genrescope")
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.resize(1400, 820)

        self.jobs, self.scans, self.analysis = self.services.jobs, self.services.scans, self.services.analysis
        events = self.services.events
        self.table_model = TrackTableModel(library, self.jobs, events, self)
        self._counts = CoalescingJob(
            self.jobs,
            "sidebar counts",
            self._counts_work,
            self._show_counts,
            self._background_failed,
            COUNTS_INTERVAL_MS,
            self,
        )
        self.model_control = ModelController(self.services, settings, self)
        self.model_info: ModelInfo | None = None
        self._shown_track_id: int | None = None
        self._froze_after_model = False
        self._analysis_asked = False
        """The user asked for an analysis (menu): say so even if there turns out to be nothing to do."""

        self._build_widgets()
        self._build_menus()
        self._connect()
        self._restore_layout()
        self.model_control.refresh()
        self.table_model.request_reload()
        self._counts.request()
        self._connect_explanations()

    # --- construction -----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar = LibrarySidebar(self)
        self.sidebar.setMinimumWidth(180)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.taxonomy_box = QComboBox(self)
        self.taxonomy_box.setObjectName("taxonomySwitch")
        self.taxonomy_box.setToolTip("Which genres the sidebar, the table and genre playlists use (Ctrl+1, Ctrl+2)")
        for taxonomy in GENRE_TAXONOMIES:
            self.taxonomy_box.addItem(f"Genres: {taxonomy.title}", taxonomy.model)
        self.taxonomy_box.setCurrentIndex(self.taxonomy_box.findData(self.settings.taxonomy))
        browse = QWidget(self)
        browse_layout = QVBoxLayout(browse)
        browse_layout.setContentsMargins(0, 0, 0, 0)
        browse_layout.setSpacing(4)
        browse_layout.addWidget(self.taxonomy_box)
        browse_layout.addWidget(self.sidebar, 1)
        self.playlists = PlaylistsPanel(self.library, self.jobs, self.services.events, self)
        self.left = QSplitter(Qt.Orientation.Vertical, self)
        self.left.setObjectName("leftSplitter")
        self.left.addWidget(browse)
        self.left.addWidget(self.playlists)
        self.similar = SimilarTracksPanel(self.library, self.jobs, self.services.events, self)
        self.my_genres = MyGenresFlow(self.library, self.jobs, self.services.events, self)
        self.left.addWidget(self.similar)
        self.left.setStretchFactor(0, 3)
        self.left.setStretchFactor(1, 1)
        self.left.setStretchFactor(2, 1)

        self.banner = ModelBanner(self)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(SEARCH_HINT)
        self.search.setClearButtonEnabled(True)
        self.search.setAcceptDrops(False)  # a dropped file is added to the library, not typed in
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

        self.table = TrackTable(self.table_model, self)
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(4)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.search)
        centre_layout.addWidget(self.table, 1)
        self.centre_stack = QStackedWidget(self)
        self.centre_stack.addWidget(centre)
        self.centre_stack.addWidget(self.playlists.view)  # while a playlist is selected

        self.detail = DetailPanel(self)
        self.detail.setMinimumWidth(320)
        self.detail.set_low_confidence_thresholds(self.settings.low_confidence_thresholds())

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.centre_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([240, 780, 420])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.problems = ProblemsPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems)
        self.problems.hide()

        self.status_bar = StatusBar(self)
        self.setStatusBar(self.status_bar)
        # Its widgets under the names the window (and its tests) always used.
        bar = self.status_bar
        self.status_text, self.count_label, self.model_label = bar.status_text, bar.count_label, bar.model_label
        self.progress, self.cancel_button, self.problems_button = bar.progress, bar.cancel_button, bar.problems_button

    def _action(
        self,
        menu_name: str,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self._menus[menu_name].addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {
            name: bar.addMenu(title)
            for name, title in [
                ("file", "&File"),
                ("edit", "&Edit"),
                ("play", "&Playback"),
                ("analysis", "&Analysis"),
                ("model", "&Model"),
                ("playlists", "P&laylists"),
                ("help", "&Help"),
            ]
        }
        self.open_folder_action = self._action(
            "file",
            "&Open folder…",
            self.choose_folder,
            QKeySequence.StandardKey.Open,
            "Add a music folder to the library",
        )
        self._action("file", "&Add files…", self.choose_files, "Ctrl+Shift+O")
        self._action("file", "&Rescan library folders", self.rescan_library_folders, "F5")
        self._menus["file"].addSeparator()
        self._action("file", "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        self._menus["file"].addSeparator()
        self._action("file", "&Quit", self.close, "Ctrl+Q")

        self.find_action = self._action("edit", "&Find", self.focus_search, QKeySequence.StandardKey.Find)
        self._action("edit", "Select &all", self.table.selectAll, QKeySequence.StandardKey.SelectAll)
        self._action("edit", "Show &problems", self.toggle_problems)

        play = self.detail.play_pause_action
        play.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.addAction(play)
        self._menus["play"].addAction(play)
        self._action("play", "&Next track", self.detail.player.request_next, "Ctrl+Right")
        self._action("play", "&Previous track", self.detail.player.request_previous, "Ctrl+Left")

        self._taxonomy_actions = QActionGroup(self)
        for number, taxonomy in enumerate(GENRE_TAXONOMIES, start=1):

            def show(_checked: bool = False, model: str = taxonomy.model) -> None:
                # QAction.triggered passes ``checked``: a lone default argument would receive it
                self.set_taxonomy(model)

            action = self._action(
                "analysis",
                f"Show {taxonomy.title}" + ("" if taxonomy.title.endswith("genres") else " genres"),
                show,
                f"Ctrl+{number}",
            )
            action.setCheckable(True)
            action.setData(taxonomy.model)
            action.setChecked(taxonomy.model == self.settings.taxonomy)
            self._taxonomy_actions.addAction(action)
        self._menus["analysis"].addSeparator()

        self.analyse_action = self._action(
            "analysis", "Analyse &selection", self.analyse_selection, "Ctrl+R", "Classify the selected tracks' genres"
        )
        self._action("analysis", "Analyse &everything not analysed", self.analyse_all, "Ctrl+Shift+R")
        self._menus["analysis"].addSeparator()
        self._action(
            "analysis",
            "&Learn my genres from genre tags…",
            lambda: self.my_genres.start("tags"),
            "Ctrl+L",
            "Learn your own genres from the tracks whose files carry a genre tag",
        )
        self._action(
            "analysis",
            "Learn my genres from &playlists…",
            lambda: self.my_genres.start("playlists"),
            tip="Learn your own genres from your manual playlists, each named after a genre",
        )
        self.cancel_action = self._action("analysis", "&Cancel", self.cancel_work, "Esc", "Stop scanning and analysing")

        self._action("model", "&Install model…", self.model_control.install)
        self._action("model", "I&mport model file…", self.model_control.choose_import)

        self._menus["playlists"].addActions(list(self.playlists.actions_by_name.values()))
        self._menus["playlists"].addAction(self.playlists.undo_action)

        self._action("help", "&About Genrescope", self.show_about)

    def _connect(self) -> None:
        self.sidebar.scopeSelected.connect(self._scope_selected)
        self.taxonomy_box.currentIndexChanged.connect(
            lambda index: self.set_taxonomy(self.taxonomy_box.itemData(index))
        )
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self._search_timer.timeout.connect(self._apply_search)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.doubleClicked.connect(lambda _index: self.detail.player.play())
        self.table_model.reloaded.connect(self._table_reloaded)
        self.table.showingAll.connect(self._showing_all)
        self.table_model.reloadFailed.connect(self._background_failed)
        self.scans.progress.connect(self._scan_progress)
        self.scans.scanned.connect(self._scanned)
        self.scans.failed.connect(self._scan_failed)
        self.analysis.modelLoading.connect(lambda: self._show_progress(0, 0, "Loading the CCMusic model…"))
        self.analysis.modelLoaded.connect(self._model_loaded)
        self.analysis.progress.connect(self._analysis_progress)
        self.analysis.finished.connect(self._analysis_finished)
        self.analysis.failed.connect(self._analysis_failed)
        self.banner.installRequested.connect(self.model_control.install)
        self.banner.importRequested.connect(self.model_control.choose_import)
        self.model_control.message.connect(self.set_status)
        events = self.services.events
        for signal in (events.tracksChanged, events.analysesChanged, events.modelsChanged):
            signal.connect(self._counts.request)
        events.analysesChanged.connect(self._analyses_changed)
        events.modelsChanged.connect(self._update_model_info)
        self.cancel_button.clicked.connect(self.cancel_work)
        self.problems_button.clicked.connect(self.toggle_problems)
        self.problems.countChanged.connect(self.status_bar.show_problem_count)
        self.detail.player.nextRequested.connect(lambda: self.table.step(1))
        self.detail.player.previousRequested.connect(lambda: self.table.step(-1))
        self.sidebar.itemClicked.connect(self._sidebar_clicked)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.playlists.playlistSelected.connect(self._playlist_selected)
        self.playlists.message.connect(self.set_status)
        self.playlists.problemsFound.connect(self.problems.add)
        self.playlists.view.trackSelected.connect(self._show_track)
        self.similar.trackActivated.connect(self._similar_activated)
        self.similar.playlistCreated.connect(self.playlists.select_playlist)
        self.similar.message.connect(self.set_status)
        self.my_genres.message.connect(self.set_status)
        self.my_genres.applied.connect(self._my_genres_applied)

    def _restore_layout(self) -> None:
        for name, restore in (
            ("geometry", self.restoreGeometry),
            ("state", self.restoreState),
            ("splitter", self.splitter.restoreState),
            ("left_splitter", self.left.restoreState),
            ("table_header", self.table.horizontalHeader().restoreState),
        ):
            state = self.settings.layout(name)
            if state is not None:
                restore(state)

    def save_layout(self) -> None:
        self.settings.set_layout("geometry", self.saveGeometry())
        self.settings.set_layout("state", self.saveState())
        self.settings.set_layout("splitter", self.splitter.saveState())
        self.settings.set_layout("left_splitter", self.left.saveState())
        self.settings.set_layout("table_header", self.table.horizontalHeader().saveState())
        self.settings.sync()

    def is_idle(self) -> bool:
        """No scan running and the table and sidebar show the library as it is (analysis aside)."""
        return not (self.scans.busy or self.table_model.is_reloading or self._counts.pending)

    # --- status -----------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.status_bar.set_status(text)

    def _show_progress(self, done: int, total: int, text: str) -> None:
        self.status_bar.show_progress(done, total, text)

    def _hide_progress_if_idle(self) -> None:
        if not self.scans.busy and not self.analysis.busy:
            self.status_bar.hide_progress()

    def toggle_problems(self) -> None:
        self.problems.setVisible(not self.problems.isVisible())

    def _background_failed(self, error: Exception) -> None:
        self.set_status(f"Could not read the library: {describe(error)}")

    # --- model ------------------------------------------------------------------------------

    def set_taxonomy(self, model: str) -> None:
        """Browse by ``model``'s genres (``broad-genre`` or ``ccmusic``): sidebar, table, playlists."""
        if model not in TAXONOMIES or model == self.settings.taxonomy:
            return
        self.settings.taxonomy = model
        self.taxonomy_box.setCurrentIndex(self.taxonomy_box.findData(model))
        for action in self._taxonomy_actions.actions():
            action.setChecked(action.data() == model)
        self.apply_settings()
        self._update_model_info()
        title = TAXONOMIES[model].title
        self.set_status(f"Showing {title}." if title.endswith("genres") else f"Showing {title} genres.")

    def _update_model_info(self, identity: ModelIdentity | None = None) -> None:
        """Whose analyses the sidebar and table show: the current model of the chosen taxonomy."""
        name = self.settings.taxonomy
        source = self.model_control.state.source
        with self.library.engine.connect() as conn:
            if name == CCMUSIC:
                sha = identity.sha256 if identity is not None else source.sha256 if source is not None else None
                # A file not hashed yet (sha None) shows the last model's analyses until it loads.
                info = current_model(conn, sha, name)
            elif name == MY_GENRES_MODEL:
                info = current_models(conn).get(name) or ModelInfo(
                    None, "", "My genres: not learned yet (Analysis → Learn my genres)", "learned", name
                )
            else:
                info = current_model(conn, builtin_sha256()[name], name)
        if info is None:
            if name != CCMUSIC:
                sha = builtin_sha256()[name]
                info = ModelInfo(None, sha, f"{MODEL_TITLES[name]}, sha256 {sha[:12]}", "builtin", name)
            elif identity is not None:
                info = ModelInfo(None, identity.sha256, identity.label, identity.origin, name)
            elif source is not None and source.sha256 is not None:
                label = ModelIdentity(source.sha256, str(source.path), source.origin).label
                info = ModelInfo(None, source.sha256, label, source.origin, name)
        if info != self.model_info:
            self.model_info = info
            self.table_model.set_model_info(info)
            self._counts.request()
        if name == CCMUSIC and source is None:
            self.banner.show_missing(self.model_control.state.problem)
        elif info is not None and info.is_test:
            self.banner.show_test_model(info.label)
        else:
            self.banner.hide_banner()
        if info is None:
            self.model_label.setText("No CCMusic model" if source is None else "CCMusic: not loaded yet")
        else:
            title = MODEL_TITLES.get(info.name, info.name)
            self.model_label.setText(f"{'TEST ' if info.is_test else ''}{title} · sha256 {info.sha256[:12]}")
        self.model_label.setToolTip(info.label if info is not None else "")

    def _model_loaded(self, identity: ModelIdentity) -> None:
        if not self._froze_after_model:
            # torch's objects are here for good: keep the cyclic GC from rescanning them (see
            # app.py). Once only: each freeze also pins whatever cyclic garbage exists then.
            self._froze_after_model = True
            gc.freeze()
        self._update_model_info(identity)

    # --- adding files -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths, others = local_paths(event.mimeData().urls())
        if not paths and not others:
            return
        event.acceptProposedAction()
        if others:
            self.problems.add(({"path": url, "reason": "not a local file"} for url in others), "drop")
        self.add_paths(paths)

    def add_paths(self, paths: list[str], *, remember: bool = False) -> None:
        """Scan files and folders into the library, select the first, queue them for analysis.

        Playlist files (M3U, M3U8, PLS, XSPF) are imported as playlists instead: the desktop
        launcher offers "Open with Genrescope" for them. ``remember`` makes folders library folders
        (rescanned on start when the setting says so).
        """
        existing = [os.path.abspath(p) for p in paths if os.path.exists(p)]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            self.problems.add(({"path": printable_path(p), "reason": _missing_reason(p)} for p in missing), "add")
        playlist_files = [p for p in existing if os.path.isfile(p) and Path(p).suffix.lower() in PLAYLIST_READERS]
        for path in playlist_files:
            self.playlists.import_file(path)
        existing = [p for p in existing if p not in playlist_files]
        if not existing:
            if not playlist_files:
                self.set_status("Nothing to add: " + (f"{len(missing)} path(s) not found." if missing else "no files."))
            return
        if remember:
            for path in existing:
                if os.path.isdir(path):
                    self.settings.add_library_folder(path)
        self.scans.scan(existing, select_first=True)
        self.set_status(f"Adding {self._describe_paths(existing)}…")

    @staticmethod
    def _describe_paths(paths: list[str]) -> str:
        return Path(printable_path(paths[0])).name + (f" and {len(paths) - 1} more" if len(paths) > 1 else "")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a music folder", str(Path.home()))
        if folder:
            self.add_paths([folder], remember=True)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add music files", str(Path.home()))
        if files:
            self.add_paths(files)

    def rescan_library_folders(self) -> None:
        folders = self.settings.library_folders
        if not folders:
            self.set_status("No library folders yet: use Open folder… (Ctrl+O) to add one.")
            return
        self.scans.scan(folders)
        self.set_status("Rescanning the library folders…")

    def _scan_progress(self, progress: ScanProgress) -> None:
        if progress.phase == "walking":
            self._show_progress(0, 0, f"Looking for files… {progress.done:,}")
        elif progress.phase == "reading":
            self._show_progress(progress.done, progress.total, "Reading tags %v / %m")

    def _scanned(self, outcome: ScanOutcome) -> None:
        result = outcome.result
        problems = self.problems.add(result.error_files, "scan")
        text = f"{self._describe_paths(list(outcome.request.paths))}: {len(outcome.track_ids):,} tracks ready"
        if problems:
            names = ", ".join(Path(p["path"]).name for p in result.error_files[:3])
            more = f" and {problems - 3:,} more" if problems > 3 else ""
            text += f"; {problems:,} could not be read ({names}{more}; see Problems)"
        prefix = "Scan cancelled: " if result.cancelled else ""
        self.set_status(prefix + text + ".")
        if outcome.request.select_first and outcome.track_ids:
            self.table.select_track(outcome.track_ids[0])
        if outcome.track_ids and not result.cancelled:
            self.analysis.enqueue(outcome.track_ids)
        self._hide_progress_if_idle()

    def _scan_failed(self, error: Exception) -> None:
        self.set_status(f"The scan stopped: {describe(error)}")
        self._hide_progress_if_idle()

    # --- analysis ---------------------------------------------------------------------------

    def analyse_selection(self) -> None:
        ids = self.table.selected_track_ids()
        if not ids:
            self.set_status("Select tracks to analyse first.")
            return
        self.analysis.enqueue(ids)
        self._analysis_asked = True
        self.set_status(f"Analysing {plural(len(ids), 'selected track')}…")

    def analyse_all(self) -> None:
        self.analysis.enqueue(None)
        self._analysis_asked = True
        self.set_status("Analysing every track not analysed yet…")

    def cancel_work(self) -> None:
        busy = self.scans.busy or self.analysis.busy
        self.scans.cancel()
        self.analysis.cancel()
        if busy:
            self.set_status("Stopping… (finished work is kept)")

    def _analysis_progress(self, progress: AnalysisProgress) -> None:
        if progress.total:
            self._show_progress(progress.done, progress.total, f"{progress.phase} %v / %m")
        if self.model_info is None or self.model_info.id is None:
            self._update_model_info()

    def _analyses_changed(self, track_ids: list[int] | None) -> None:
        """The detail panel shows the selected track's new analyses as they arrive."""
        if track_ids is not None and self._shown_track_id in track_ids:
            self._show_track(self._shown_track_id)

    def _analysis_finished(self, outcome: AnalysisOutcome) -> None:
        self._hide_progress_if_idle()
        if outcome.model is None and not outcome.tagged and not outcome.failed and not outcome.cancelled:
            if self._analysis_asked:
                self.set_status("Nothing to analyse: the models have analysed those tracks already.")
            self._analysis_asked = False
            return
        self._analysis_asked = False
        problems = self.problems.add(outcome.error_files, "analysis")
        parts = [f"tagged {plural(outcome.tagged, 'track')}"]
        if outcome.model is not None:
            parts.append(f"CCMusic analysed {outcome.analysed:,}")
        text = "Built-in tagger " + ", ".join(parts)
        if problems:
            text += f"; {problems:,} could not be analysed (see Problems)"
        if outcome.model is not None and outcome.model.origin == "test":
            text += " (CCMusic with TEST weights: not real predictions)"
        self.set_status(("Analysis stopped. " if outcome.cancelled else "") + text + ".")
        self._update_model_info(outcome.model)

    def _analysis_failed(self, error: Exception) -> None:
        self.set_status(f"Analysis stopped: {describe(error)}")
        self._hide_progress_if_idle()

    # --- browsing ---------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _apply_search(self) -> None:
        query = parse_search(self.search.text())
        if query.problems:
            self.set_status("; ".join(query.problems))
        self.table_model.set_view(replace(self.table_model.view, search=query))

    def _scope_selected(self, scope: Scope) -> None:
        self.playlists.select_playlist(None)
        self.table_model.set_view(replace(self.table_model.view, scope=scope))

    def _sidebar_clicked(self) -> None:
        # Back from a playlist to the sidebar entry that was still current (no change signal then).
        if self.centre_stack.currentWidget() is self.playlists.view:
            self._scope_selected(self.sidebar.current_scope())

    def _playlist_selected(self, playlist_id: int | None) -> None:
        self.centre_stack.setCurrentIndex(0 if playlist_id is None else 1)
        if playlist_id is not None:
            self.sidebar.clearSelection()

    def _sidebar_menu(self, point: QPoint) -> None:
        """Right-click on a predicted genre: make a playlist of it."""
        item = self.sidebar.itemAt(point)
        scope = item.data(0, SCOPE_ROLE) if item is not None else None
        menu = QMenu(self)
        if item is not None and scope is not None and scope.kind == "predicted":
            menu.addAction(f"Playlist from {item.text(0)}…", lambda: self.playlists.new_from_genre(scope.value))
        menu.addAction("Playlists for all genres…", self.playlists.new_for_all_genres)
        menu.popup(self.sidebar.viewport().mapToGlobal(point))

    def _counts_work(self) -> Callable[[JobContext], CountsResult]:
        info, threshold, library = self.model_info, self.settings.low_confidence, self.library
        taxonomy = self.settings.taxonomy
        model_id = info.id if info is not None else None

        def work(_context: JobContext) -> CountsResult:
            with library.engine.connect() as conn:
                models = {name: m.id for name, m in current_models(conn).items() if m.id is not None}
                return CountsResult(info, threshold, sidebar_counts(conn, model_id, threshold), taxonomy, models)

        return work

    def _show_counts(self, result: CountsResult) -> None:
        self.sidebar.set_counts(result.counts, result.model, result.threshold, TAXONOMIES[result.taxonomy])
        self.playlists.set_models(result.models, result.taxonomy)

    def _table_reloaded(self) -> None:
        shown = self.table_model.rowCount()
        view = self.table_model.view
        filtered = view.scope != Scope("all") or not view.search.is_empty
        self.count_label.setText(plural(shown, "track") + (" shown" if filtered else ""))

    def _showing_all(self) -> None:
        """The table switched to All tracks to show a track: clear the search box and the sidebar to match."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.sidebar.blockSignals(True)
        self.sidebar.select_scope(Scope("all"))
        self.sidebar.blockSignals(False)

    def _current_row_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        track_id = self.table.current_track_id()
        if track_id != self._shown_track_id:
            self._show_track(track_id)

    def _my_genres_applied(self, _model_id: int) -> None:
        self.set_taxonomy(MY_GENRES_MODEL)

    def _similar_activated(self, track_id: int) -> None:
        self.playlists.select_playlist(None)
        self.table.select_track(track_id)

    def _show_track(self, track_id: int | None) -> None:
        self._shown_track_id = track_id
        self.similar.show_track(track_id)
        if track_id is None:
            self.detail.show_track(None)
            return
        with self.library.engine.connect() as conn:
            self.detail.show_track(track_detail(conn, track_id, self.model_info, current_models(conn)))

    # --- settings and lifetime ----------------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        old_folders = set(self.settings.library_folders)
        dialog.apply()
        self.apply_settings()
        new_folders = [f for f in self.settings.library_folders if f not in old_folders]
        if new_folders:
            self.scans.scan(new_folders)

    def apply_settings(self) -> None:
        """Make the window follow the stored settings (device, threshold)."""
        threshold = self.settings.low_confidence
        self.model_control.use_settings()
        self.table_model.set_view(replace(self.table_model.view, low_confidence=threshold))
        self.detail.set_low_confidence_thresholds(self.settings.low_confidence_thresholds())
        self._counts.request()

    def start_up(self, paths: list[str] | None = None) -> None:
        """After showing: rescan the library folders (if set), add ``paths``, analyse what is left."""
        if self.settings.rescan_on_start and self.settings.library_folders:
            self.scans.scan(self.settings.library_folders)
        if paths:
            self.add_paths(paths)
        else:
            self.analysis.enqueue(None)

    def show_about(self) -> None:
        from desktop_app import __version__

        QMessageBox.about(
            self,
            "About Genrescope",
            f"<b>Genrescope {__version__}</b><p>A music-library organizer that classifies genre from the "
            "audio itself: broad genres and tags from the built-in MusiCNN tagger (Pons et al., ISC licence), "
            "and the CCMusic VGG19_BN network on CQT spectrograms (16 genres) when it is installed.</p>"
            f"<p>Log file (attach it to a bug report): {escape(str(log_path()))}</p>",
        )

    def shutdown(self) -> None:
        """Stop workers and wait for them, so the library can be closed safely."""
        self.services.shutdown()
        self.detail.player.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.shutdown()
        event.accept()

    # --- explanations -------------------------------------------------------------------------

    def _connect_explanations(self) -> None:
        """Grad-CAM and the activation explorer use the analysis queue's model: one copy in memory."""
        self.detail.set_classifier_source(self.analysis.classifier)
        self.detail.set_tagger_source(self.analysis.tagger)
        self._menus["analysis"].addSeparator()
        self._action(
            "analysis",
            "Acti&vation explorer…",
            self.detail.open_activation_explorer,
            tip="What each stage of the network responds to in the window at the playhead",
        )
