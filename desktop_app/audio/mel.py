"""The built-in tagger's input: musicnn's log-mel spectrogram cut into 3 s patches.

Written from the original's ``extractor.batch_data`` and checked against its outputs on real
recordings (tests/test_musicnn_port.py): ``librosa.load(path, sr=16000)`` (here
`decode.decode_audio` at 16 kHz, the same samples), a power mel spectrogram with librosa's
defaults but ``n_fft=512, hop_length=256, n_mels=96``, transposed to (time, mel), quantised to
float16 as the original stores it, then ``log10(10000 * x + 1)`` in float32 (what numpy 1.x
computes there; numpy 2 would keep float16 and overflow, so the cast is written out).

Patches are 187 frames (3 s: ``librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1``)
with no overlap; the original drops the last partial patch. It crashes on a file shorter than one
patch; here such a clip is repeated until it fills one patch, the padding musicnn was trained with
(its ``pad_short: repeat-pad``), and flagged ``short_clip``.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

SAMPLE_RATE = 16000
FFT_SIZE = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187
PATCH_SECONDS = PATCH_FRAMES * HOP_LENGTH / SAMPLE_RATE
"""2.992 s of audio per patch: the tagger's time resolution."""


@dataclass(frozen=True)
class MelPatches:
    """A song made ready for the tagger."""

    patches: np.ndarray
    """float32 (patches, 187, 96) log-mel, in time order."""
    short_clip: bool
    """Shorter than one patch: the one patch repeats the clip."""

    @property
    def bounds(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of each patch."""
        return [(i * PATCH_SECONDS, (i + 1) * PATCH_SECONDS) for i in range(len(self.patches))]


def log_mel(samples: np.ndarray) -> np.ndarray:
    """float32 (frames, 96) log-compressed mel spectrogram of float32 mono 16 kHz ``samples``."""
    if samples.ndim != 1 or samples.shape[0] == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {samples.shape}")
    mel = librosa.feature.melspectrogram(
        y=samples, sr=SAMPLE_RATE, hop_length=HOP_LENGTH, n_fft=FFT_SIZE, n_mels=N_MELS
    ).T
    quantised = mel.astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * quantised + np.float32(1))


def patches(spectrogram: np.ndarray) -> MelPatches:
    """Non-overlapping 187-frame patches of a (frames, 96) log-mel spectrogram."""
    frames = spectrogram.shape[0]
    if frames < PATCH_FRAMES:
        repeats = -(-PATCH_FRAMES // frames)
        filled = np.tile(spectrogram, (repeats, 1))[:PATCH_FRAMES]
        return MelPatches(np.ascontiguousarray(filled[np.newaxis], dtype=np.float32), True)
    count = frames // PATCH_FRAMES
    cut = spectrogram[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)
    return MelPatches(np.ascontiguousarray(cut, dtype=np.float32), False)


def tagger_patches(samples: np.ndarray) -> MelPatches:
    """`patches` of `log_mel`: 16 kHz mono samples to the tagger's input."""
    return patches(log_mel(samples))
