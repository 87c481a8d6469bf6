"""Audio to network inputs, exactly as the CCMusic reference pipeline makes them.

Knows nothing of Qt, torch or the library database: it takes a path (or samples) and returns
numpy arrays. Start with `prepare_track`.
"""

from desktop_app.audio.cqt import cqt_db
from desktop_app.audio.decode import TARGET_SAMPLE_RATE, AudioDecodeError, decode
from desktop_app.audio.prepare import TrackInputs, prepare_samples, prepare_track
from desktop_app.audio.render import network_inputs
from desktop_app.audio.windows import WINDOW_SECONDS, Windows, split_windows

__all__ = [
    "TARGET_SAMPLE_RATE",
    "WINDOW_SECONDS",
    "AudioDecodeError",
    "TrackInputs",
    "Windows",
    "cqt_db",
    "decode",
    "network_inputs",
    "prepare_samples",
    "prepare_track",
    "split_windows",
]
