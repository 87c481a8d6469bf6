"""A throwaway PulseAudio server for the listening tests: its own runtime folder, a null sink.

Debian's ``pulseaudio`` runs as a plain process (``--daemonize=no``, no autospawn, no default
configuration: ``-n``) with its socket in a temporary folder that is its ``XDG_RUNTIME_DIR`` and
``HOME``, accepting anonymous clients, so nothing of a desktop's sound server is touched and
parallel runs never collide. As root it warns that it is not meant to run as root, and runs.

The server has one null sink, ``room``: what is played into it (``paplay``, `play`) is what "the
room" sounds like. Qt lists no monitor sources as inputs; a ``module-remap-source`` of the sink's
monitor is an ordinary source, which is how the app offers "what is playing" itself
(`desktop_app.gui.listen.sound_server`). Qt reads ``PULSE_SERVER`` when QtMultimedia first
talks to the sound server, so a test's Qt part runs in a subprocess given `environment`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SINK = "room"


class PulseUnavailable(RuntimeError):
    """The test sound server could not be started; the message says why."""


class PulseServer:
    """One running server; `environment` for its clients, `play` to sound a file in the room."""

    def __init__(self, *, with_sink: bool = True) -> None:
        for tool in ("pulseaudio", "pactl", "paplay"):
            if shutil.which(tool) is None:
                raise PulseUnavailable(
                    f"no {tool}: install the Debian packages 'pulseaudio' and 'pulseaudio-utils' "
                    "(bash packaging/bootstrap.sh test does)"
                )
        # In /tmp: a Unix socket's path must stay short.
        self.folder = Path(tempfile.mkdtemp(prefix="genrescope-pulse-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.folder.chmod(0o700)
        self.socket = self.folder / "native"
        self._with_sink = with_sink
        self._process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """os.environ for a client of this server (and of no other)."""
        env = dict(os.environ)
        env.update(
            PULSE_SERVER=f"unix:{self.socket}",
            XDG_RUNTIME_DIR=str(self.folder),
            PULSE_COOKIE=str(self.folder / "cookie"),
        )
        return env

    def start(self) -> PulseServer:
        modules = [f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}"]
        if self._with_sink:
            modules.append(f"module-null-sink sink_name={SINK} rate=44100 channels=2")
        argv = ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no", "--log-target=stderr"]
        argv += [f"--load={module}" for module in modules]
        env = self.environment() | {"HOME": str(self.folder)}
        log = open(self.folder / "server.log", "wb")
        self._process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.pactl("info", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        detail = (self.folder / "server.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise PulseUnavailable(f"{' '.join(argv)} did not start:\n{detail}")

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["pactl", *args], env=self.environment(), capture_output=True, text=True, timeout=30)
        if check and result.returncode != 0:
            raise PulseUnavailable(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def play(self, path: str | os.PathLike[str]) -> subprocess.Popen[bytes]:
        """Start playing ``path`` into the room (``paplay``); the caller waits for it or stops it."""
        return subprocess.Popen(["paplay", f"--device={SINK}", os.fspath(path)], env=self.environment())

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)
