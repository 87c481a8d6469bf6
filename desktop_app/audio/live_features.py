"""What listening makes of a stream of captured audio: the live CQT, the windows, the tagger's patches.

`LiveFeatures` takes the captured frames as they come (any rate the sound server offers, any
number of channels) and goes the way `decode` and `prepare` go with a file: channels averaged,
soxr to 22,050 Hz (CCMusic) and 16 kHz (the tagger), the CQT and the log-mel spectrogram, each
computed incrementally (`incremental`). A window's frames are the file's frames, in dB relative
to the loudest bin heard so far; the file would use the loudest of the whole song, which is the
same once the loudest moment has been heard. So window k's input equals what the file pipeline
makes of the audio heard until it completed (tests/audio/test_live_features.py).

Where the file pipeline centres its windows in the song (it knows the end), a live window
starts where the previous one ended, from the first sample: window k covers CQT frames
``k * LIVE_STEP`` to ``(k + 1) * LIVE_STEP``, the 11.4 s of a long song. The tagger's 3 s
patches are cut from the start in the file pipeline too, so they are exactly the file's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from desktop_app.audio import mel
from desktop_app.audio.cqt import cqt_power, power_db
from desktop_app.audio.cqt_layout import HOP_LENGTH, SAMPLE_RATE
from desktop_app.audio.decode import mean_of_channels
from desktop_app.audio.incremental import IncrementalFrames, StreamResampler
from desktop_app.audio.windows import WINDOW_SECONDS

CQT_CONTEXT = 32
"""CQT frames (0.74 s) of audio on either side of a frame before it is final: the live view's delay."""
MEL_CONTEXT = 2
"""Mel frames on either side: one covers the STFT's 512-sample window."""
MIN_NEW_FRAMES = 4
"""The CQT is taken when at least this many frames (93 ms) became final: fewer, larger pieces cost
less than one per capture block, and still feed a 20 frames-per-second view."""
LIVE_STEP = int(WINDOW_SECONDS * SAMPLE_RATE / HOP_LENGTH)
"""CQT frames per live window: 490, the step `windows.window_layout` gives a song of a minute or more."""
SILENCE_DBFS = -120.0


@dataclass(frozen=True)
class LiveWindow:
    """One 11.4 s window, complete: what the CCMusic network classifies."""

    index: int
    start_s: float
    end_s: float
    db: np.ndarray
    """float32 (84, LIVE_STEP) dB, relative to the loudest bin heard when it completed."""


@dataclass(frozen=True)
class LivePatch:
    """One 3 s patch, complete: what the tagger classifies."""

    index: int
    start_s: float
    end_s: float
    log_mel: np.ndarray
    """float32 (187, 96), as `mel.tagger_patches` cuts it."""


@dataclass
class LiveUpdate:
    """What one `LiveFeatures.push` produced."""

    columns: np.ndarray
    """float32 (84, n) dB of the CQT frames that became final (n may be 0), relative to the loudest
    bin heard so far: the live view's new columns."""
    first_column: int
    """The CQT frame index of ``columns[:, 0]``."""
    peak_dbfs: float
    """The loudest sample of the pushed frames, in dB below full scale (`SILENCE_DBFS` for none)."""
    seconds: float
    """Audio heard so far."""
    windows: list[LiveWindow] = field(default_factory=list)
    patches: list[LivePatch] = field(default_factory=list)


def _scale(dtype: np.dtype) -> float:
    """What divides integer samples into [-1, 1), as libsndfile reads them as float."""
    if dtype.kind == "f":
        return 1.0
    return float(2 ** (8 * dtype.itemsize - 1))


class LiveFeatures:
    """Captured frames in, live CQT columns, complete windows and patches out. Not thread-safe:
    one thread pushes (the capture's reader)."""

    def __init__(self, native_rate: int) -> None:
        self.native_rate = native_rate
        self._to_cqt_rate = StreamResampler(native_rate, SAMPLE_RATE)
        self._to_mel_rate = StreamResampler(native_rate, mel.SAMPLE_RATE)
        self._cqt = IncrementalFrames(cqt_power, HOP_LENGTH, CQT_CONTEXT)
        self._mel = IncrementalFrames(lambda s: mel.log_mel(s).T, mel.HOP_LENGTH, MEL_CONTEXT)
        self._final_peak = np.float32(0.0)
        """The loudest final CQT bin's power so far."""
        self.reference = np.float32(0.0)
        """The power that is 0 dB: the loudest bin of the file the audio so far would make."""
        self._window_power = np.zeros((0, 0), np.float32)
        self._window_first = 0
        self._patch_frames = np.zeros((0, mel.N_MELS), np.float32)
        self._patch_first = 0
        self.frames_in = 0

    @property
    def seconds(self) -> float:
        return self.frames_in / self.native_rate

    def push(self, frames: np.ndarray) -> LiveUpdate:
        """Add captured (n, channels) frames, integer or float, as a sound file would hold them."""
        frames = np.asarray(frames)
        mono = mean_of_channels((frames.astype(np.float32) / np.float32(_scale(frames.dtype))).T)
        self.frames_in += mono.shape[0]
        peak = float(np.abs(mono).max()) if mono.shape[0] else 0.0
        dbfs = 20 * np.log10(peak) if peak > 0 else SILENCE_DBFS
        return self._advance(self._to_cqt_rate.push(mono), self._to_mel_rate.push(mono), max(dbfs, SILENCE_DBFS))

    def finish(self) -> LiveUpdate:
        """The end of the stream: every frame becomes final (the last partial window and patch are
        not classified, as the file pipeline drops them too; `LiveClassification` says so)."""
        return self._advance(self._to_cqt_rate.finish(), self._to_mel_rate.finish(), SILENCE_DBFS, last=True)

    def _advance(
        self, at_cqt_rate: np.ndarray, at_mel_rate: np.ndarray, dbfs: float, *, last: bool = False
    ) -> LiveUpdate:
        first_column = self._cqt.done
        power, after = self._cqt.push(at_cqt_rate, last=last, min_new=MIN_NEW_FRAMES)
        if power.size:
            self._final_peak = max(self._final_peak, power.max())
        if power.size or after.size:
            self.reference = max(self._final_peak, after.max() if after.size else np.float32(0.0))
        update = LiveUpdate(
            columns=power_db(power, self.reference) if power.size else np.zeros((0, 0), np.float32),
            first_column=first_column,
            peak_dbfs=dbfs,
            seconds=self.seconds,
        )
        if power.size:
            update.windows = self._windows(power, first_column)
        log_mel, _ = self._mel.push(at_mel_rate, last=last)
        if log_mel.size:
            update.patches = self._patches(log_mel.T)
        return update

    def _windows(self, power: np.ndarray, first_column: int) -> list[LiveWindow]:
        if self._window_power.size == 0:
            self._window_power, self._window_first = power, first_column
        else:
            self._window_power = np.concatenate([self._window_power, power], axis=1)
        found = []
        seconds_per_frame = HOP_LENGTH / SAMPLE_RATE
        while self._window_power.shape[1] >= LIVE_STEP:
            index = self._window_first // LIVE_STEP
            db = power_db(self._window_power[:, :LIVE_STEP], self.reference)
            start = self._window_first * seconds_per_frame
            found.append(LiveWindow(index, start, start + LIVE_STEP * seconds_per_frame, db))
            self._window_power = self._window_power[:, LIVE_STEP:]
            self._window_first += LIVE_STEP
        return found

    def _patches(self, log_mel: np.ndarray) -> list[LivePatch]:
        self._patch_frames = np.concatenate([self._patch_frames, log_mel])
        found = []
        while self._patch_frames.shape[0] >= mel.PATCH_FRAMES:
            index = self._patch_first // mel.PATCH_FRAMES
            patch = np.ascontiguousarray(self._patch_frames[: mel.PATCH_FRAMES], dtype=np.float32)
            found.append(LivePatch(index, index * mel.PATCH_SECONDS, (index + 1) * mel.PATCH_SECONDS, patch))
            self._patch_frames = self._patch_frames[mel.PATCH_FRAMES :]
            self._patch_first += mel.PATCH_FRAMES
        return found
