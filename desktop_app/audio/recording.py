"""What was heard while listening, kept as a FLAC file only if the person saves it.

The captured frames are written as they come, unchanged (the sound server's rate, channels and
16-bit samples), to a temporary FLAC file: memory stays flat however long one listens, and the
saved file decodes to exactly the frames the live analysis saw, so analysing it gives what the
file pipeline makes of the same audio. Nothing stays behind unless `save` moved it: `discard`
(also on garbage collection and at exit of a ``with``) deletes the temporary file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_app.audio.decode import MAX_SECONDS
from desktop_app.errors import AudioError

SUBTYPES = {np.dtype(np.int16): "PCM_16", np.dtype(np.int32): "PCM_24", np.dtype(np.float32): "PCM_24"}
"""FLAC holds integers of up to 24 bits; 16-bit capture (what `LiveCapture` asks for) is kept exactly."""


class RecordingError(AudioError):
    """A recording could not be written or saved; the message says why."""


class TempRecording:
    """A FLAC file growing in the system's temporary folder until it is saved or discarded."""

    def __init__(self, rate: int, channels: int, dtype: np.dtype | type = np.int16) -> None:
        self.rate = rate
        self.frames = 0
        fd, name = tempfile.mkstemp(prefix="genrescope-listen-", suffix=".flac")
        os.close(fd)
        self.path: Path | None = Path(name)
        subtype = SUBTYPES.get(np.dtype(dtype), "PCM_24")
        self._file: sf.SoundFile | None = sf.SoundFile(name, "w", rate, channels, subtype=subtype, format="FLAC")

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def write(self, frames: np.ndarray) -> None:
        """Append captured (n, channels) frames; past `decode.MAX_SECONDS` the rest is not kept."""
        if self._file is None or frames.shape[0] == 0:
            return
        room = MAX_SECONDS * self.rate - self.frames
        frames = frames[: max(0, room)]
        self._file.write(frames)
        self.frames += frames.shape[0]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def save(self, folder: str | os.PathLike[str], stem: str) -> Path:
        """Move the finished recording into ``folder`` as ``stem.flac`` (``stem (2).flac``, ... if taken)."""
        self.close()
        if self.path is None:
            raise RecordingError("the recording was already saved or discarded")
        if self.frames == 0:
            raise RecordingError("nothing was recorded")
        target_folder = Path(folder)
        try:
            target_folder.mkdir(parents=True, exist_ok=True)
            target = target_folder / f"{stem}.flac"
            number = 2
            while target.exists():
                target = target_folder / f"{stem} ({number}).flac"
                number += 1
            shutil.move(self.path, target)
        except OSError as exc:
            raise RecordingError(f"cannot save the recording in {target_folder}: {exc.strerror or exc}") from exc
        self.path = None
        return target

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def __del__(self) -> None:
        self.discard()
