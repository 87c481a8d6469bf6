"""Listening: captured audio to a live spectrogram and live genre estimates, for the window and the CLI.

The capture (QtMultimedia, in the GUI layer) only fills a `RingBuffer`. A `ListenSession` does
the rest on two threads of its own, so neither the sound card nor the window waits for it:

- the *feature* thread drains the buffer every `POLL_SECONDS`, writes the frames to the
  temporary recording, and turns them into the live CQT columns, complete 11.4 s windows and
  3 s patches (`audio.live_features`), reported through ``on_update``;
- the *model* thread classifies each complete window (the CCMusic network, when installed) and
  patch (the built-in tagger) as it comes, and reports an `Estimate` (that window's Top-5 and the
  song's so far) through ``on_estimate``.

The song-level results use the same summaries as a file's analysis (`inference.summary.summarize`
for CCMusic, `tag_results.verdict` for the tagger's broad genres). They are estimates of the
audio heard, windowed from the first sample; a saved recording is analysed again as a file, by
the library's own passes (`save_recording`), so its stored results are exactly the file's.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.analysis.classify_library import classify_tracks
from desktop_app.analysis.model_loading import open_builtin_tagger, open_ccmusic
from desktop_app.analysis.tag_library import tag_tracks
from desktop_app.analysis.tag_results import TaggerVerdict, verdict
from desktop_app.audio.live_features import LiveFeatures, LivePatch, LiveUpdate, LiveWindow
from desktop_app.audio.recording import RecordingError, TempRecording
from desktop_app.audio.render import network_inputs
from desktop_app.audio.ring_buffer import RingBuffer
from desktop_app.genres import broad
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.summary import SongPrediction, summarize
from desktop_app.inference.tagger import Tagger
from desktop_app.library.database import Library
from desktop_app.library.scanner import Scanner
from desktop_app.library.track_store import known_tracks

POLL_SECONDS = 0.02
CCMUSIC = "ccmusic"
BROAD = broad.BROAD_MODEL


@dataclass(frozen=True)
class Score:
    key: str
    display_name: str
    probability: float


@dataclass(frozen=True)
class Estimate:
    """One model's verdict on one window (CCMusic, 11.4 s) or patch (broad genres, 3 s)."""

    model: str
    """`CCMUSIC` or `BROAD`."""
    index: int
    start_s: float
    end_s: float
    top5: tuple[Score, ...]
    """This window's Top-5."""
    song_top5: tuple[Score, ...]
    """The Top-5 of every window so far, as a song's is made."""
    windows: int
    """Windows (or patches) classified so far."""


@dataclass
class LiveModels:
    """The networks listening uses, and why any is missing (model name -> reason)."""

    classifier: GenreClassifier | None
    tagger: Tagger | None
    missing: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, weights: str | None, device: str | None, *, ccmusic: bool = True, tagger: bool = True) -> LiveModels:
        """Every model asked for that can load (imports torch: not on the GUI thread)."""
        models = cls(None, None)
        if ccmusic:
            models.classifier, problem = open_ccmusic(weights, device)
            if problem is not None:
                models.missing[CCMUSIC] = problem
        if tagger:
            models.tagger, problem = open_builtin_tagger(device)
            if problem is not None:
                models.missing[BROAD] = problem
        return models


class LiveClassification:
    """Windows and patches in, estimates out; keeps every window's output for the song's result."""

    def __init__(self, models: LiveModels) -> None:
        self.models = models
        self._window_probs: list[np.ndarray] = []
        self._patch_outputs: list[np.ndarray] = []

    def window(self, window: LiveWindow) -> Estimate | None:
        classifier = self.models.classifier
        if classifier is None:
            return None
        probs = classifier.predict(network_inputs(window.db[None]))
        self._window_probs.append(probs[0])
        here = summarize(probs, model=classifier.identity)
        song = self.ccmusic()
        assert song is not None
        return Estimate(
            CCMUSIC,
            window.index,
            window.start_s,
            window.end_s,
            tuple(Score(s.key, s.display_name, s.probability) for s in here.top5),
            tuple(Score(s.key, s.display_name, s.probability) for s in song.top5),
            len(self._window_probs),
        )

    def patch(self, patch: LivePatch) -> Estimate | None:
        tagger = self.models.tagger
        if tagger is None:
            return None
        outputs = tagger.predict(patch.log_mel[None])
        self._patch_outputs.append(outputs[0])
        here = verdict(outputs, tagger).broad
        song = self.tagger_verdict()
        assert song is not None
        return Estimate(
            BROAD,
            patch.index,
            patch.start_s,
            patch.end_s,
            tuple(Score(s.key, s.display_name, s.probability) for s in here.top5),
            tuple(Score(s.key, s.display_name, s.probability) for s in song.broad.top5),
            len(self._patch_outputs),
        )

    def ccmusic(self) -> SongPrediction | None:
        """The CCMusic network's song-level result so far (None: no window yet, or no network)."""
        if self.models.classifier is None or not self._window_probs:
            return None
        return summarize(np.stack(self._window_probs), model=self.models.classifier.identity)

    def tagger_verdict(self) -> TaggerVerdict | None:
        """The tagger's song-level tags and broad genres so far."""
        if self.models.tagger is None or not self._patch_outputs:
            return None
        return verdict(np.stack(self._patch_outputs), self.models.tagger)


@dataclass(frozen=True)
class ListenResult:
    """How a listening session ended."""

    seconds: float
    dropped_seconds: float
    """Audio the analysis fell too far behind to take (the ring buffer overflowed)."""
    ccmusic: SongPrediction | None
    tagger: TaggerVerdict | None
    recording: TempRecording | None
    """The audio heard, until saved or discarded."""


class ListenSession:
    """Drains ``ring`` (filled by a capture at ``rate`` Hz, ``channels`` channels) until `stop`."""

    def __init__(
        self,
        ring: RingBuffer,
        rate: int,
        models: LiveModels,
        *,
        on_update: Callable[[LiveUpdate], None] = lambda _u: None,
        on_estimate: Callable[[Estimate], None] = lambda _e: None,
        record: bool = True,
    ) -> None:
        self._ring = ring
        self.rate = rate
        self.features = LiveFeatures(rate)
        self.classification = LiveClassification(models)
        self.recording = TempRecording(rate, ring.channels, ring.dtype) if record else None
        self._on_update = on_update
        self._on_estimate = on_estimate
        self._stopping = threading.Event()
        self._work: queue.Queue[LiveWindow | LivePatch | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._feature_loop, name="listen-features", daemon=True),
            threading.Thread(target=self._model_loop, name="listen-models", daemon=True),
        ]
        self.error: BaseException | None = None

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> ListenResult:
        """Take what is left in the buffer, finish the last windows, and wait for the threads."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        if self.recording is not None:
            self.recording.close()
        return ListenResult(
            seconds=self.features.seconds,
            dropped_seconds=self._ring.dropped / self.rate,
            ccmusic=self.classification.ccmusic(),
            tagger=self.classification.tagger_verdict(),
            recording=self.recording,
        )

    def _feature_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                self._take(self._ring.read())
                time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - started)))
            self._take(self._ring.read())
            self._hand_over(self.features.finish())
        except Exception as exc:  # reported by whoever stops the session
            self.error = exc
        finally:
            self._work.put(None)

    def _take(self, frames: np.ndarray) -> None:
        if frames.shape[0] == 0:
            return
        if self.recording is not None:
            self.recording.write(frames)
        self._hand_over(self.features.push(frames))

    def _hand_over(self, update: LiveUpdate) -> None:
        for window in update.windows:
            self._work.put(window)
        for patch in update.patches:
            self._work.put(patch)
        self._on_update(update)

    def _model_loop(self) -> None:
        while (item := self._work.get()) is not None:
            try:
                if isinstance(item, LiveWindow):
                    found = self.classification.window(item)
                else:
                    found = self.classification.patch(item)
            except Exception as exc:
                self.error = exc
                continue
            if found is not None:
                self._on_estimate(found)


def recording_name(when: float | None = None) -> str:
    """The saved file's stem: "Listened 2026-12-04 21.15.03"."""
    return time.strftime("Listened %Y-%m-%d %H.%M.%S", time.localtime(when))


@dataclass(frozen=True)
class SavedRecording:
    path: Path
    track_id: int


def save_recording(
    library: Library, recording: TempRecording, folder: str | os.PathLike[str], models: LiveModels
) -> SavedRecording:
    """Keep ``recording`` as a FLAC file in ``folder``, add it to the library and analyse it there
    with every model in ``models``, by the library's own passes: its stored results are those any
    later analysis of the file gives."""
    path = recording.save(folder, recording_name())
    Scanner(library, executor="inline").scan([path])
    with library.engine.connect() as conn:
        known = known_tracks(conn, [str(path)])
    if str(path) not in known:
        raise RecordingError(f"the recording was saved as {path} but could not be added to the library")
    track_id = known[str(path)].id
    if models.tagger is not None:
        tag_tracks(library, models.tagger, track_ids=[track_id])
    if models.classifier is not None:
        classify_tracks(library, models.classifier, track_ids=[track_id])
    return SavedRecording(path, track_id)
