"""One call from an audio file (or samples) to everything the classifier and the GUI need.

The CLI, the GUI and the classifier all go through `prepare_track`, so there is one place where
audio becomes network inputs and they cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from desktop_app.audio import mel
from desktop_app.audio.cqt import cqt_db
from desktop_app.audio.cqt_layout import SAMPLE_RATE
from desktop_app.audio.decode import DecodedAudio, decode_audio
from desktop_app.audio.render import network_inputs
from desktop_app.audio.windows import split_windows


@dataclass(frozen=True)
class TrackInputs:
    """A song made ready for the network, with what the GUI shows beside the prediction."""

    duration_s: float
    sample_count: int
    cqt_db: np.ndarray
    """float32 (84, frames) dB spectrogram of the whole song, in [-80, 0]."""
    window_bounds: list[tuple[float, float]]
    """(start_s, end_s) of each window, in the order of ``inputs``."""
    inputs: np.ndarray
    """float32 (windows, 3, 224, 224) network inputs in [-1, 1]."""
    short_clip: bool
    """Shorter than 11.4 s: one window holds the whole clip, stretched to the image width."""
    silent: bool
    """Every sample is the same (digital silence or a bare DC offset): predictions mean nothing."""


def prepare_samples(samples: np.ndarray, *, constant: bool | None = None) -> TrackInputs:
    """Prepare float32 mono audio at 22,050 Hz, such as `decode` returns.

    ``constant``: the decoder's verdict on the file's own samples (`DecodedAudio.constant`); a
    DC offset resampled to 22,050 Hz keeps the resampler's ripple at its ends, so ``samples``
    alone cannot tell. Without it, ``samples`` are judged as they are.
    """
    if samples.ndim != 1 or samples.shape[0] == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {samples.shape}")
    if samples.dtype != np.float32:
        raise ValueError(f"expected float32 samples (as librosa.load gives), got {samples.dtype}")
    if not np.isfinite(samples).all():
        raise ValueError("samples contain NaN or infinity")
    spectrogram = cqt_db(samples)
    windows = split_windows(spectrogram, samples.shape[0])
    return TrackInputs(
        duration_s=samples.shape[0] / SAMPLE_RATE,
        sample_count=samples.shape[0],
        cqt_db=spectrogram,
        window_bounds=windows.bounds,
        inputs=network_inputs(windows.frames),
        short_clip=windows.layout.short_clip,
        silent=bool(samples.min() == samples.max()) if constant is None else constant,
    )


def prepare_track(path: str | os.PathLike[str]) -> TrackInputs:
    """Decode ``path`` and prepare it; raises `AudioDecodeError` with a reason if it cannot."""
    decoded = decode_audio(path)
    return prepare_samples(decoded.samples, constant=decoded.constant)


@dataclass(frozen=True)
class TaggerInputs:
    """A song made ready for the built-in tagger."""

    duration_s: float
    inputs: np.ndarray
    """float32 (patches, 187, 96) log-mel patches, in time order."""
    patch_bounds: list[tuple[float, float]]
    short_clip: bool
    """Shorter than one 3 s patch: the one patch repeats the clip."""
    silent: bool


def tagger_inputs(decoded: DecodedAudio) -> TaggerInputs:
    """The tagger's input from a file decoded (at least) at 16 kHz."""
    samples = decoded.at(mel.SAMPLE_RATE)
    cut = mel.tagger_patches(samples)
    return TaggerInputs(
        duration_s=samples.shape[0] / mel.SAMPLE_RATE,
        inputs=cut.patches,
        patch_bounds=cut.bounds,
        short_clip=cut.short_clip,
        silent=decoded.constant,
    )


def prepare_for_tagger(path: str | os.PathLike[str]) -> TaggerInputs:
    """Decode ``path`` at 16 kHz only and prepare it for the tagger (its own pass, no CQT)."""
    return tagger_inputs(decode_audio(path, rates=(mel.SAMPLE_RATE,)))


def prepare_for_all(path: str | os.PathLike[str]) -> tuple[TrackInputs, TaggerInputs]:
    """One decode, both networks' inputs: what `genrescope analyze` uses."""
    decoded = decode_audio(path, rates=(SAMPLE_RATE, mel.SAMPLE_RATE))
    return prepare_samples(decoded.samples, constant=decoded.constant), tagger_inputs(decoded)
