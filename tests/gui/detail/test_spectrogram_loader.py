"""The spectrogram loader: off the GUI thread, latest request only, LRU cache, errors as messages."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QThread

from desktop_app.gui.detail.spectrogram_loader import Spectrogram, SpectrogramLoader, compute_spectrogram
from tests.audio_files import write_audio


def _fake(path: str) -> Spectrogram:
    return Spectrogram(path, np.zeros((84, 10), np.float32), 1.0, 0.1, (), silent=False)


class Recorder:
    """Collects what the loader delivers, and on which thread the computing ran."""

    def __init__(self, loader: SpectrogramLoader) -> None:
        self.ready: list[str] = []
        self.failed: list[tuple[str, str]] = []
        loader.ready.connect(lambda s: self.ready.append(s.path))
        loader.failed.connect(lambda p, m: self.failed.append((p, m)))


@pytest.fixture
def files(tmp_path):
    return [str(write_audio(tmp_path / f"t{i}.wav", seconds=1, freq=220 * (i + 1))) for i in range(4)]


def test_computes_off_the_gui_thread(qtbot, files) -> None:
    threads = []

    def compute(path: str) -> Spectrogram:
        threads.append(QThread.currentThread())
        return compute_spectrogram(path)

    loader = SpectrogramLoader(compute=compute)
    with qtbot.waitSignal(loader.ready, timeout=60_000) as blocker:
        loader.request(files[0])
    spec = blocker.args[0]
    assert spec.path == files[0] and spec.db.shape[0] == 84 and spec.duration == pytest.approx(1.0)
    assert threads and threads[0] is not QThread.currentThread()


def test_stale_results_are_dropped_but_cached(qtbot, files) -> None:
    release = threading.Event()
    started = threading.Event()
    computed: list[str] = []

    def compute(path: str) -> Spectrogram:
        computed.append(path)
        if path == files[0]:
            started.set()
            release.wait(30)
        return _fake(path)

    loader = SpectrogramLoader(compute=compute)
    seen = Recorder(loader)
    loader.request(files[0])
    qtbot.waitUntil(started.is_set)
    loader.request(files[1])  # queued behind the running job for files[0]
    loader.request(files[2])  # files[1] is now stale before it starts: skipped
    release.set()
    qtbot.waitUntil(lambda: seen.ready == [files[2]])
    assert loader.wait_for_idle(30_000)
    assert seen.ready == [files[2]] and seen.failed == []
    assert computed == [files[0], files[2]]
    assert loader.cached(files[0]) is not None  # the late result is kept for when it is asked again
    loader.request(files[0])
    assert seen.ready == [files[2], files[0]]  # delivered from the cache, synchronously
    assert computed == [files[0], files[2]]


def test_cache_is_lru_and_notices_edited_files(qtbot, files) -> None:
    computed: list[str] = []

    def compute(path: str) -> Spectrogram:
        computed.append(path)
        return _fake(path)

    loader = SpectrogramLoader(compute=compute, cache_size=2)
    seen = Recorder(loader)
    for path in files[:3]:
        with qtbot.waitSignal(loader.ready):
            loader.request(path)
    assert loader.cached(files[0]) is None and loader.cached(files[2]) is not None
    loader.request(files[1])
    assert computed == files[:3] and seen.ready[-1] == files[1]

    info = os.stat(files[1])
    os.utime(files[1], ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    with qtbot.waitSignal(loader.ready):
        loader.request(files[1])
    assert computed == [*files[:3], files[1]]


def test_missing_file_fails_at_once(qtbot, tmp_path) -> None:
    loader = SpectrogramLoader()
    seen = Recorder(loader)
    loader.request(str(tmp_path / "gone.flac"))
    assert seen.failed == [(str(tmp_path / "gone.flac"), "Cannot read this file: file not found.")]


def test_broken_file_fails_with_the_decoder_reason(qtbot, tmp_path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"this is not audio at all" * 100)
    loader = SpectrogramLoader()
    with qtbot.waitSignal(loader.failed, timeout=60_000) as blocker:
        loader.request(str(broken))
    path, message = blocker.args
    assert path == str(broken)
    assert message.startswith("Cannot read this file: ") and "not a readable audio file" in message


def test_an_unexpected_error_becomes_a_message(qtbot, files) -> None:
    def compute(path: str) -> Spectrogram:
        raise MemoryError("out of memory")

    loader = SpectrogramLoader(compute=compute)
    with qtbot.waitSignal(loader.failed, timeout=60_000) as blocker:
        loader.request(files[0])
    assert blocker.args[1] == "Cannot compute the spectrogram: MemoryError: out of memory"


def test_silent_file_is_flagged(qtbot, tmp_path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(22050, np.float32), 22050)
    assert compute_spectrogram(str(path)).silent


def test_cache_also_has_a_byte_budget(qtbot, files) -> None:
    def compute(path: str) -> Spectrogram:
        return Spectrogram(path, np.zeros((84, 1000), np.float32), 1.0, 0.1, (), silent=False)  # 336 kB

    loader = SpectrogramLoader(compute=compute, cache_size=10, cache_bytes=700_000)
    for path in files[:3]:
        with qtbot.waitSignal(loader.ready):
            loader.request(path)
    assert [loader.cached(p) is not None for p in files[:3]] == [False, True, True]
