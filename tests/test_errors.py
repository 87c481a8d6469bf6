"""One root for Genrescope's own errors, a base per domain, and full tracebacks in the log file."""

from __future__ import annotations

import logging

import pytest

from desktop_app.analysis.my_genres import LearnError
from desktop_app.audio.decode import AudioDecodeError
from desktop_app.config.logs import configure_logging, log_path
from desktop_app.errors import AnalysisError, AudioError, GenrescopeError, GenresError, InferenceError, LibraryError
from desktop_app.genres.taxonomy import UnknownLabelError
from desktop_app.gui.workers import JobRunner
from desktop_app.inference.checkpoint import CheckpointError
from desktop_app.inference.device import DeviceUnavailableError
from desktop_app.inference.hub import HubError, HubUnreachableError
from desktop_app.inference.model_store import ModelStoreError
from desktop_app.inference.musicnn.weights import TaggerWeightsError
from desktop_app.inference.registry import NoModelError
from desktop_app.library.playlist_formats import PlaylistFileError
from desktop_app.library.playlist_formats.xspf import XspfError
from desktop_app.library.playlists import PlaylistError
from desktop_app.library.similarity import SimilarityError
from desktop_app.library.smart_rules import RuleError


@pytest.mark.parametrize(("error", "domain", "kept"), [
    (PlaylistError, LibraryError, ValueError), (RuleError, LibraryError, ValueError),
    (PlaylistFileError, LibraryError, ValueError), (XspfError, LibraryError, ValueError),
    (SimilarityError, LibraryError, Exception), (AudioDecodeError, AudioError, Exception),
    (CheckpointError, InferenceError, Exception), (TaggerWeightsError, InferenceError, Exception),
    (DeviceUnavailableError, InferenceError, RuntimeError), (HubError, InferenceError, Exception),
    (HubUnreachableError, InferenceError, Exception), (ModelStoreError, InferenceError, Exception),
    (NoModelError, InferenceError, Exception), (UnknownLabelError, GenresError, ValueError),
    (LearnError, AnalysisError, Exception),
], ids=lambda value: getattr(value, "__name__", str(value)))
def test_every_domain_error_is_caught_by_its_domain_and_the_root(error, domain, kept):
    assert issubclass(error, domain) and issubclass(error, GenrescopeError)
    assert issubclass(error, kept), "an existing except clause keeps catching it"


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_failed_job_leaves_its_whole_traceback_in_the_log_file(qtbot, restored_logging):
    path = configure_logging()
    assert path == log_path() and path is not None  # the test's own data folder (conftest)
    runner = JobRunner()
    failures: list[Exception] = []

    def work(_context):
        raise KeyError("the inner reason")

    runner.start(work, name="a doomed job", on_failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=10_000)
    runner.shutdown()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "ERROR desktop_app.gui.workers: a doomed job failed" in text
    assert "Traceback (most recent call last)" in text and "KeyError: 'the inner reason'" in text
    assert 'in work\n    raise KeyError("the inner reason")' in text
    configure_logging()  # twice: still one file handler
    assert sum(1 for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(path)) == 1
