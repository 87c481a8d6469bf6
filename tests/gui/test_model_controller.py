"""Getting a model from the window: download with a progress dialog, offline failure, import refusal."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.settings import AppSettings
from desktop_app.inference.hub import HUB_URL_ENV
from tests.inference_fixtures import closed_port, hub_server, random_checkpoint  # noqa: F401 (fixtures)


@pytest.fixture
def window(qtbot, library):
    settings = AppSettings()
    settings.taxonomy = "ccmusic"  # where the window offers the CCMusic model
    window = MainWindow(library, settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def _message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_install_downloads_with_a_progress_dialog(qtbot, window, hub_server, monkeypatch):
    monkeypatch.setenv(HUB_URL_ENV, hub_server.base_url)
    assert window.banner.state == "missing"
    window.banner.install_button.click()
    dialog = window.model_control.last_dialog
    assert isinstance(dialog, QProgressDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: window.analysis.has_model, timeout=120_000)
    assert not dialog.isVisible()
    assert window.status_text.text() == (
        "CCMusic model installed (revision main). SHA-256 checked against the one the server states.")
    assert window.model_control.state.source is not None and window.model_control.state.source.origin == "hub"
    assert window.banner.state == "hidden"
    qtbot.waitUntil(lambda: not window.analysis.busy, timeout=120_000)


def test_offline_install_explains_without_blocking(qtbot, window, monkeypatch):
    monkeypatch.setenv(HUB_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    window.model_control.install()
    qtbot.waitUntil(lambda: bool(_message_boxes()), timeout=30_000)
    [box] = _message_boxes()
    assert box.windowTitle() == "The model could not be installed"
    assert "genrescope model import" in box.text(), "says how to install by hand"
    assert window.banner.state == "missing" and not window.analysis.has_model
    box.close()


def test_import_refuses_a_file_that_is_not_a_checkpoint(qtbot, window, tmp_path):
    fake = tmp_path / "save.pt"
    fake.write_text("not a checkpoint")
    window.model_control.import_file(str(fake))
    qtbot.waitUntil(lambda: bool(_message_boxes()), timeout=30_000)
    [box] = _message_boxes()
    assert box.text().startswith(f"Cannot use {fake} as the genre model: "), "names the chosen file, not a temp copy"
    assert window.status_text.text() == "The model file was not imported."
    assert window.banner.state == "missing"
    box.close()
