"""Asking the sound server for "what is playing": a capture source that is its output's monitor.

Every PulseAudio (and PipeWire's pulse server) sink has a monitor source carrying what it plays,
but Qt lists no monitor sources among the audio inputs. A ``module-remap-source`` of the default
sink's monitor is an ordinary source, which Qt lists like a microphone: `offer_what_is_playing`
loads one through ``pactl`` for the time of one listening session and `withdraw` unloads it.
Where there is no ``pactl`` or no such server (Windows, macOS, a bare ALSA system), it raises
`SoundServerError` saying so: "what is playing" is then not offered, plainly.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from desktop_app.errors import AudioError

SOURCE_NAME = "genrescope_what_is_playing"
DESCRIPTION = "What is playing"


class SoundServerError(AudioError):
    """The sound server cannot offer what is playing; the message says why."""


@dataclass(frozen=True)
class PlayingSource:
    module: str
    """pactl's module index, to unload it."""
    sink: str
    """The output it listens to."""


def _pactl(*args: str) -> str:
    if shutil.which("pactl") is None:
        raise SoundServerError(
            "“What is playing” needs a PulseAudio or PipeWire sound server and its pactl tool "
            "(Debian: pulseaudio-utils); this system does not offer it"
        )
    try:
        result = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SoundServerError(f"the sound server did not answer: {exc}") from exc
    if result.returncode != 0:
        raise SoundServerError(f"the sound server refused ({' '.join(args[:1])}): {result.stderr.strip()}")
    return result.stdout.strip()


def offer_what_is_playing() -> PlayingSource:
    """Load a source named `SOURCE_NAME` carrying what the default output plays."""
    sink = _pactl("get-default-sink")
    if not sink:
        raise SoundServerError("the sound server has no output to listen to")
    module = _pactl(
        "load-module",
        "module-remap-source",
        f"master={sink}.monitor",
        f"source_name={SOURCE_NAME}",
        f"source_properties='device.description=\"{DESCRIPTION}\"'",
    )
    return PlayingSource(module, sink)


def withdraw(source: PlayingSource) -> None:
    """Unload the source again (quietly: the server may be gone)."""
    try:
        _pactl("unload-module", source.module)
    except SoundServerError:
        pass
