"""Getting the CCMusic model: finding the installed one, downloading it, importing a file; and
whose analyses the window shows for a taxonomy (`shown_model`).

The download (about 488 MB) and the import's validation run on the job pool; the download shows a
cancellable window-modal progress dialog, and a failure is a message box opened with ``open()``,
so workers keep reporting meanwhile. The controller hands the model it finds to the analysis
queue, announces it as `LibraryEvents.modelsChanged` (the window then shows whose predictions are
on screen) and queues the library for analysis after an install. It tells the window by signals
and never calls it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from desktop_app.analysis.current import current_models
from desktop_app.genres.taxonomy import MY_GENRES_MODEL
from desktop_app.gui.services import AppServices
from desktop_app.gui.settings import AppSettings
from desktop_app.gui.workers import Job, JobContext, describe
from desktop_app.inference.identity import MODEL_TITLES, ModelIdentity
from desktop_app.inference.registry import CCMUSIC, CCMusicState, builtin_sha256, find_ccmusic
from desktop_app.library.browse import ModelInfo, current_model


class ModelController(QObject):
    """Public: ``state``, `refresh`, `use_settings`, `install`, `choose_import`, `import_file`;
    ``last_dialog`` (the latest progress dialog or message) for tests; ``message`` for the status bar."""

    message = Signal(str)

    def __init__(self, services: AppServices, settings: AppSettings, window: QWidget) -> None:
        super().__init__(window)
        self._services = services
        self._settings = settings
        self._window = window
        self.state = CCMusicState(None)
        self.last_dialog: QWidget | None = None
        self._install_job: Job | None = None
        """The download or import in progress: the model store takes one install at a time."""

    def refresh(self) -> None:
        """Look for the installed CCMusic model again, hand it to the analysis queue, announce it."""
        self.state = find_ccmusic()
        self.use_settings()
        self._services.events.modelsChanged.emit()

    def shown_model(self, taxonomy: str, identity: ModelIdentity | None = None) -> ModelInfo | None:
        """Whose analyses the window shows for ``taxonomy``: its current model in the library, or
        (nothing analysed yet) the model that will analyse; ``identity`` is CCMusic's once loaded.
        None: no CCMusic model, or one whose file is not hashed yet and no earlier analyses."""
        source = self.state.source
        with self._services.library.engine.connect() as conn:
            if taxonomy == CCMUSIC:
                sha = identity.sha256 if identity is not None else source.sha256 if source is not None else None
                # A file not hashed yet (sha None) shows the last model's analyses until it loads.
                info = current_model(conn, sha, taxonomy)
            elif taxonomy == MY_GENRES_MODEL:
                info = current_models(conn).get(taxonomy) or ModelInfo(
                    None, "", "My genres: not learned yet (Analysis → Learn my genres)", "learned", taxonomy
                )
            else:
                info = current_model(conn, builtin_sha256()[taxonomy], taxonomy)
        if info is not None:
            return info
        if taxonomy != CCMUSIC:
            sha = builtin_sha256()[taxonomy]
            return ModelInfo(None, sha, f"{MODEL_TITLES[taxonomy]}, sha256 {sha[:12]}", "builtin", taxonomy)
        if identity is not None:
            return ModelInfo(None, identity.sha256, identity.label, identity.origin, taxonomy)
        if source is not None and source.sha256 is not None:
            label = ModelIdentity(source.sha256, str(source.path), source.origin).label
            return ModelInfo(None, source.sha256, label, source.origin, taxonomy)
        return None

    def use_settings(self) -> None:
        """Load the model on the device, in the precision choice, the settings name (next time the
        queue needs it)."""
        self._services.analysis.set_model(self.state.source, self._settings.device, self._settings.precision)

    def install(self) -> None:
        """Download the published checkpoint in a worker, with a cancellable progress dialog."""
        from desktop_app.inference import hub

        if self._install_job is not None:
            self.message.emit("A model is being installed already.")
            return

        dialog = QProgressDialog("Downloading the genre model (about 488 MB)…", "Cancel", 0, 0, self._window)
        dialog.setWindowTitle("Install model")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)

        def work(context: JobContext) -> hub.HubInstall:
            return hub.download_model(
                progress=lambda done, total: context.report((done, total)), cancel=context.cancelled
            )

        def progress(value: tuple[int, int | None]) -> None:
            done, total = value
            if total:
                dialog.setMaximum(1000)
                dialog.setValue(int(1000 * done / total))
                dialog.setLabelText(f"Downloading the genre model: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB…")

        def finished(result: hub.HubInstall) -> None:
            self._install_job = None
            dialog.close()
            self.message.emit(f"CCMusic model installed (revision {result.revision}). {result.checksum_message()}")
            self._installed()

        def failed(error: Exception) -> None:
            self._install_job = None
            dialog.close()
            if isinstance(error, hub.DownloadCancelled):
                self.message.emit("Download cancelled; the next install resumes where it stopped.")
            else:
                self._inform("The model could not be installed", describe(error))

        job = self._services.jobs.start(
            work, name="model download", on_done=finished, on_failed=failed, on_progress=progress
        )
        self._install_job = job
        dialog.canceled.connect(job.cancel)
        dialog.show()
        self.last_dialog = dialog

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window,
            "Import a genre model",
            str(Path.home()),
            "PyTorch checkpoint (*.pt *.pth *.bin);;All files (*)",
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Validate and install ``path`` in a worker; the result shows in the status bar."""
        from desktop_app.inference import model_store

        if self._install_job is not None:
            self.message.emit("A model is being installed already.")
            return
        self.message.emit(f"Checking and importing {Path(path).name}…")

        def failed(error: Exception) -> None:
            self._install_job = None
            self.message.emit("The model file was not imported.")
            # Not imported here: if the worker never loaded torch, this cannot be a CheckpointError.
            checkpoint = sys.modules.get("desktop_app.inference.checkpoint")
            if checkpoint is not None and isinstance(error, checkpoint.CheckpointError):
                # The store validates its own copy; name the file the user chose, not the copy.
                self._inform("The model could not be imported", f"Cannot use {path} as the genre model: {error.detail}")
            else:
                self._inform("The model could not be imported", describe(error))

        def done(_model: object) -> None:
            self._install_job = None
            self.message.emit(f"Imported {Path(path).name} as the genre model.")
            self._installed()

        self._install_job = self._services.jobs.start(
            lambda _context: model_store.import_model(path), name="model import", on_done=done, on_failed=failed
        )

    def _installed(self) -> None:
        self.refresh()
        self._services.analysis.enqueue(None)

    def _inform(self, title: str, text: str) -> None:
        """A window-modal message that does not block the event loop (workers keep reporting)."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self._window)
        box.setObjectName("informBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_dialog = box
