"""The main window: sidebar | search + track table | detail panel, with drops, menus and status.

The window only arranges and connects. It receives the app's services (`AppServices`: the job
pool, `ScanQueue`, `AnalysisQueue` and the library's `LibraryEvents`) rather than creating them;
scans, queries, model loading and inference all run on pool threads, their results come back as
signals, and each view refreshes itself on the library's events, coalesced, so a 10,000-file drop
or a long analysis leaves the event loop free. Each concern has its own module, which the window
only places and wires: menus and shortcuts (`window_menus`), adding files and scan reports
(`library_intake`), the Analysis commands (`analysis_commands`), getting a model
(`model_controller`), playlists (`gui.playlists`), writing genres into tags and undoing that
(`gui.tag_writing`), the sidebar's counts (`sidebar_counts`), search (`search_box`). What cannot
be read is listed in the Problems panel and counted in the status bar, never raised as a dialog.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from desktop_app.analysis.precision_switch import PrecisionPlan, window_words
from desktop_app.genres.taxonomy import MY_GENRES_MODEL, TAXONOMIES
from desktop_app.gui.analysis_commands import AnalysisCommands
from desktop_app.gui.analysis_queue import AnalysisProgress
from desktop_app.gui.browse_column import TaxonomySwitch, browse_column, column
from desktop_app.gui.detail import DetailPanel
from desktop_app.gui.library_intake import LibraryIntake
from desktop_app.gui.model_banner import ModelBanner
from desktop_app.gui.model_controller import ModelController
from desktop_app.gui.my_genres_flow import MyGenresFlow
from desktop_app.gui.playlists import PlaylistsPanel
from desktop_app.gui.problems_panel import ProblemsPanel
from desktop_app.gui.resources import app_icon
from desktop_app.gui.search_box import SearchBox
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.gui.sidebar import LibrarySidebar
from desktop_app.gui.sidebar_counts import CountsResult, SidebarCounter
from desktop_app.gui.similar_panel import SimilarTracksPanel
from desktop_app.gui.status_bar import StatusBar
from desktop_app.gui.tag_writing import TagWriteCommands
from desktop_app.gui.tag_writing.preview import TrackSelection, given_tracks
from desktop_app.gui.track_detail_reader import TrackDetailReader
from desktop_app.gui.track_table_model import TrackTableModel
from desktop_app.gui.track_table_view import TrackTable
from desktop_app.gui.window_menus import build_menus
from desktop_app.gui.workers import describe
from desktop_app.inference.identity import MODEL_TITLES, ModelIdentity
from desktop_app.inference.registry import CCMUSIC
from desktop_app.library.browse import ModelInfo, Scope, ordered_track_ids
from desktop_app.library.database import Library
from desktop_app.library.playlists import get_playlist, playlist_track_ids
from desktop_app.library.scanner import ScanProgress
from desktop_app.library.search import SearchQuery, parse_search
from desktop_app.wording import plural

if TYPE_CHECKING:
    from desktop_app.gui.listen.live_view import ListenWindow


class MainWindow(QMainWindow):
    """Genrescope's window over one open library."""

    libraryChosen = Signal(str)
    """Settings chose another library location (as given, password included): `LibraryHost` opens it."""

    def __init__(
        self,
        library: Library,
        settings: AppSettings,
        services: AppServices | None = None,
        parent: QWidget | None = None,
        *,
        location_override: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.settings = settings
        self.location_override = location_override
        """``--db`` or ``GENRESCOPE_DB`` when one of them chose this run's library (the setting waits)."""
        self.services = services if services is not None else AppServices(library, self)
        self.listen_window: ListenWindow | None = None
        """The app's (gui/app.py); a window built without them owns its own."""
        self.setWindowTitle("Genrescope")
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.resize(1400, 820)

        self.jobs, self.scans, self.analysis = self.services.jobs, self.services.scans, self.services.analysis
        events = self.services.events
        self.table_model = TrackTableModel(library, self.jobs, events, self)
        self._counts = SidebarCounter(library, self.jobs, events, settings, self)
        self.model_control = ModelController(self.services, settings, self)
        self.model_info: ModelInfo | None = None
        self._shown_track_id: int | None = None
        self.detail_reader = TrackDetailReader(library, self.jobs, events, lambda: self.model_info, self)
        self._froze_after_model = False
        self.precision_plans: dict[str, PrecisionPlan] = {}
        """The precision plan the analysis queue last reported, by checked model (`precision_switch`)."""

        self._build_widgets()
        self.menus = build_menus(self)
        self._connect()
        self._restore_layout()
        self.model_control.refresh()
        self.table_model.request_reload()
        self._counts.request()
        self.services.watch.active = lambda: self.isVisible() and not self.isMinimized()
        self.services.watch.start()

    # --- construction -----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar = LibrarySidebar(self)
        self.sidebar.setMinimumWidth(180)
        self.taxonomy_box = TaxonomySwitch(self.settings.taxonomy, self)
        self.playlists = PlaylistsPanel(self.library, self.jobs, self.services.events, self)
        self.similar = SimilarTracksPanel(self.library, self.jobs, self.services.events, self)
        self.my_genres = MyGenresFlow(self.library, self.jobs, self.services.events, self)
        self.left = browse_column(self, self.taxonomy_box, self.sidebar, self.playlists, self.similar)

        self.banner = ModelBanner(self)
        self.search = SearchBox(self)

        self.table = TrackTable(self.table_model, self)
        centre = column(self, self.banner, self.search, self.table)
        self.centre_stack = QStackedWidget(self)
        self.centre_stack.addWidget(centre)
        self.centre_stack.addWidget(self.playlists.view)  # while a playlist is selected

        self.detail = DetailPanel(self, local_path=lambda stored: self.library.paths.to_local(stored))
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
        self.analysis_commands = AnalysisCommands(self.services, self.problems, self)
        self.intake = LibraryIntake(self.services, self.settings, self.problems, self.playlists.commands, self)
        self.tag_writes = TagWriteCommands(self.library, self.jobs, self.services.events, self)
        self.tag_writes.shortcut_on(self.centre_stack, self.sidebar, self.detail)

        self.status_bar = StatusBar(self)
        self.setStatusBar(self.status_bar)
        # Its widgets under the names the window (and its tests) always used.
        bar = self.status_bar
        self.status_text, self.count_label, self.model_label = bar.status_text, bar.count_label, bar.model_label
        self.progress, self.cancel_button, self.problems_button = bar.progress, bar.cancel_button, bar.problems_button

    def _connect(self) -> None:
        self.sidebar.scopeSelected.connect(self._scope_selected)
        self.taxonomy_box.chosen.connect(self.set_taxonomy)
        self.search.searched.connect(self._apply_search)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.doubleClicked.connect(lambda _index: self.detail.player.play())
        self.table_model.reloaded.connect(self._table_reloaded)
        self.table.showingAll.connect(self._showing_all)
        self.table.openFolderRequested.connect(self.intake.choose_folder)
        self.table.addFilesRequested.connect(self.intake.choose_files)
        self.table_model.reloadFailed.connect(self._background_failed)
        self.scans.progress.connect(self._scan_progress)
        self.scans.scanned.connect(self._hide_progress_if_idle)
        self.scans.failed.connect(self._hide_progress_if_idle)
        self.intake.message.connect(self.set_status)
        self.intake.selectTrack.connect(self.table.select_track)
        self.analysis.modelLoading.connect(lambda: self._show_progress(0, 0, "Loading the CCMusic model…"))
        self.analysis.modelLoaded.connect(self._model_loaded)
        self.analysis.precisionChanged.connect(self._precision_changed)
        self.analysis.progress.connect(self._analysis_progress)
        self.analysis_commands.message.connect(self.set_status)
        self.analysis_commands.runEnded.connect(self._analysis_ended)
        self.banner.installRequested.connect(self.model_control.install)
        self.banner.importRequested.connect(self.model_control.choose_import)
        self.model_control.message.connect(self.set_status)
        events = self.services.events
        self._counts.counted.connect(self._show_counts)
        self._counts.failed.connect(self._background_failed)
        self.detail_reader.refreshed.connect(self.detail.show_track)  # the shown track's new analyses
        events.analysesChanged.connect(self._analyses_changed)
        self.detail_reader.failed.connect(self._background_failed)
        events.modelsChanged.connect(self._update_model_info)
        self.cancel_button.clicked.connect(self.analysis_commands.cancel)
        self.problems_button.clicked.connect(self.toggle_problems)
        self.problems.countChanged.connect(self.status_bar.show_problem_count)
        self.detail.player.nextRequested.connect(lambda: self.table.step(1))
        self.detail.player.previousRequested.connect(lambda: self.table.step(-1))
        self.sidebar.itemClicked.connect(self._sidebar_clicked)
        self.sidebar.genrePlaylistRequested.connect(self.playlists.commands.new_from_genre)
        self.sidebar.allGenrePlaylistsRequested.connect(self.playlists.commands.new_for_all_genres)
        self.playlists.playlistSelected.connect(self._playlist_selected)
        self.playlists.message.connect(self.set_status)
        self.playlists.commands.problemsFound.connect(self.problems.add)
        self.playlists.view.trackSelected.connect(self._show_track)
        self.similar.trackActivated.connect(self._similar_activated)
        self.similar.playlistCreated.connect(self.playlists.select_playlist)
        self.similar.message.connect(self.set_status)
        self.my_genres.message.connect(self.set_status)
        self.my_genres.applied.connect(self._my_genres_applied)
        self.tag_writes.write_action.triggered.connect(self.write_genre_to_selection)
        self.tag_writes.message.connect(self.set_status)
        self.tag_writes.problemsFound.connect(self.problems.add)
        self.sidebar.tagWriteRequested.connect(self.write_genre_to_scope)
        self.playlists.tagWriteRequested.connect(self.write_genre_to_playlist)
        # Grad-CAM and the activation explorer use the analysis queue's models: one copy in memory.
        self.detail.set_classifier_source(self.analysis.classifier)
        self.detail.set_tagger_source(self.analysis.tagger)

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
        """No scan running and the table, sidebar and detail panel show the library as it is (analysis aside)."""
        return not (
            self.scans.busy or self.table_model.is_reloading or self._counts.pending or self.detail_reader.pending
        )

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
        self.taxonomy_box.show_taxonomy(model)
        self.menus.check_taxonomy(model)
        self.apply_settings()
        self._update_model_info()
        title = TAXONOMIES[model].title
        self.set_status(f"Showing {title}." if title.endswith("genres") else f"Showing {title} genres.")

    def _update_model_info(self, identity: ModelIdentity | None = None) -> None:
        """Whose analyses the sidebar and table show: the current model of the chosen taxonomy."""
        info = self.model_control.shown_model(self.settings.taxonomy, identity)
        source = self.model_control.state.source
        if info != self.model_info:
            self.model_info = self._counts.model = info
            self.table_model.set_model_info(info)
            self._counts.request()
        if self.settings.taxonomy == CCMUSIC and source is None:
            self.banner.show_missing(self.model_control.state.problem)
        elif info is not None and info.is_test:
            self.banner.show_test_model(info.label)
        else:
            self.banner.hide_banner()
        if info is None:
            self.model_label.setText("No CCMusic model" if source is None else "CCMusic: not loaded yet")
            self.model_label.setToolTip("")
            return
        title = MODEL_TITLES.get(info.name, info.name)
        words = window_words(info.name, self.precision_plans)
        short = f" · {words.short}" if words.short else ""
        self.model_label.setText(f"{'TEST ' if info.is_test else ''}{title} · sha256 {info.sha256[:12]}{short}")
        self.model_label.setToolTip("\n".join(part for part in (info.label, words.sentence) if part))

    def _precision_changed(self, plan: PrecisionPlan) -> None:
        self.precision_plans[plan.model] = plan
        self._update_model_info()

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
        if self.intake.drop(event.mimeData().urls()):
            event.acceptProposedAction()

    def _scan_progress(self, progress: ScanProgress) -> None:
        if progress.phase == "walking":
            self._show_progress(0, 0, f"Looking for files… {progress.done:,}")
        elif progress.phase == "reading":
            self._show_progress(progress.done, progress.total, "Reading tags %v / %m")

    # --- analysis ---------------------------------------------------------------------------

    def analyse_selection(self) -> None:
        self.analysis_commands.analyse(self.selected_track_ids())

    def add_table_actions(self, *actions: QAction) -> None:
        """The track table's context menu: ``actions``, on the selected tracks."""
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions(list(actions))

    def _analysis_progress(self, progress: AnalysisProgress) -> None:
        if progress.total:
            self._show_progress(progress.done, progress.total, f"{progress.phase} %v / %m")
        if self.model_info is None or self.model_info.id is None:
            self._update_model_info()

    def _analyses_changed(self, track_ids: list[int] | None) -> None:
        """The shown track's analyses arrived: the detail panel re-reads them itself (`TrackDetailReader`),
        the similar-tracks pane asks again if it had nothing to show (the track had no embedding)."""
        if track_ids is not None and self._shown_track_id in track_ids:
            self.similar.show_track(self._shown_track_id)

    def _analysis_ended(self, analysed: bool, model: ModelIdentity | None) -> None:
        self._hide_progress_if_idle()
        if analysed:
            self._update_model_info(model)

    # --- genre tags -------------------------------------------------------------------------

    def selected_track_ids(self) -> list[int]:
        """The tracks selected in the centre: the track table's, or the shown playlist's."""
        if self.centre_stack.currentWidget() is self.playlists.view:
            view = self.playlists.view
            return view.model.track_ids(sorted({i.row() for i in view.table.selectionModel().selectedRows()}))
        return self.table.selected_track_ids()

    def write_genre_to_selection(self) -> None:
        track_ids = self.selected_track_ids()
        if not track_ids:
            self.set_status("Select the tracks whose files should get a genre first.")
            return
        self.tag_writes.open_dialog(given_tracks(track_ids), self.settings.taxonomy)

    def write_genre_to_scope(self, scope: Scope, label: str) -> None:
        """The tracks of a sidebar entry, as the table would show them (shown taxonomy and model)."""
        view = replace(self.table_model.view, scope=scope, search=parse_search(""))
        where = f"{TAXONOMIES[view.taxonomy].title}'s {label}" if scope.kind == "predicted" else f"“{label}”"
        selection = TrackSelection(f"the tracks in {where}", lambda conn: list(ordered_track_ids(conn, view)))
        self.tag_writes.open_dialog(selection, self.settings.taxonomy)

    def write_genre_to_playlist(self, playlist_id: int) -> None:
        known = self.playlists.commands.known.get(playlist_id)
        models = dict(self.playlists.models)
        name = f"the playlist “{known.name}”" if known is not None else "the playlist"
        selection = TrackSelection(
            f"the tracks of {name}", lambda conn: playlist_track_ids(conn, get_playlist(conn, playlist_id), models)
        )
        self.tag_writes.open_dialog(selection, self.settings.taxonomy)

    # --- browsing ---------------------------------------------------------------------------

    def _apply_search(self, query: SearchQuery) -> None:
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
        self.search.clear_quietly()
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

    def forget_shown_track(self, removed: list[int]) -> None:
        """Tracks left the library: if the detail panel shows one of them, it shows none."""
        if self._shown_track_id in removed:
            self._show_track(None)

    def _show_track(self, track_id: int | None) -> None:
        self._shown_track_id = track_id
        self.similar.show_track(track_id)
        self.detail.show_track(self.detail_reader.read(track_id))

    # --- settings and lifetime ----------------------------------------------------------------

    def open_listen(self) -> None:
        """Analysis → Listen…: the live view (one per window, kept while it is open)."""
        from desktop_app.gui.listen.live_view import ListenWindow  # QtMultimedia loads on first use

        if self.listen_window is None:
            self.listen_window = ListenWindow(self.services, self.settings.device, self)
        self.listen_window.show()
        self.listen_window.raise_()

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self.jobs,
            self,
            current_location=str(self.library.location),
            override=self.location_override,
            library=self.library,
        )
        if dialog.folder_mappings is not None:  # stored at once, OK or not
            dialog.folder_mappings.changed.connect(self.paths_changed)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self.settings_accepted(dialog)

    def paths_changed(self) -> None:
        """This machine's folder mappings changed: the shown track's file may be elsewhere now. (The
        table shows the paths as stored and availability as the last scan found it: unchanged.)"""
        self.detail.show_track(self.detail.current_track())

    def settings_accepted(self, dialog: SettingsDialog) -> None:
        """Follow an accepted Settings dialog: store it, rescan new folders, open a new library."""
        old_folders = set(self.settings.library_folders)
        dialog.apply()
        self.apply_settings()
        if dialog.location_changed and self.location_override is not None:
            self.settings.library_location = dialog.chosen_location  # for the next start without the override
            self.settings.sync()
        elif dialog.location_changed:
            self.libraryChosen.emit(dialog.chosen_location)  # stored once it opened (gui/library_switch.py)
            return  # the new window scans the folders (start_up)
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
            self.intake.add_paths(paths)
        else:
            self.analysis.enqueue(None)

    def shutdown(self) -> None:
        """Stop workers and wait for them, so the library can be closed safely."""
        self.services.shutdown()
        self.detail.player.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.listen_window is not None:
            self.listen_window.close()
        self.save_layout()
        self.shutdown()
        event.accept()
