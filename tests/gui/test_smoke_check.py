"""The window's self-check (GENRESCOPE_SMOKE_TEST) that packaging/smoke_test.sh runs in the bundle.

Here it runs from the checkout, so CI proves the check itself: it passes on a working window
(scan, analysis with an installed model, spectrogram, player) and fails, with the reason, when a
part does not work.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desktop_app.gui.smoke_check import SMOKE_ENV
from tests.audio_files import write_audio
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint  # noqa: F401


def music_folder(root: Path) -> Path:
    for i, suffix in enumerate((".wav", ".flac", ".ogg", ".mp3")):
        write_audio(root / f"track{i}{suffix}", seconds=4.0, freq=110.0 * (i + 2), title=f"Smoke {i}")
    return root


def smoke_run(env: dict[str, str], *args: str) -> tuple[int, dict]:
    result = subprocess.run([sys.executable, "-m", "desktop_app", *args], env={**env, SMOKE_ENV: "240"},
                            capture_output=True, text=True, timeout=400)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout + result.stderr
    return result.returncode, json.loads(lines[-1])


def test_window_opens_scans_analyses_and_exits_0(tmp_path: Path, cli_env: dict[str, str],
                                                 random_checkpoint: RandomCheckpoint) -> None:  # noqa: F811
    subprocess.run(
        [sys.executable, "-c", "import sys; from desktop_app.inference.model_store import import_model; "
         "import_model(sys.argv[1], origin='test')", str(random_checkpoint.path)],
        env=cli_env, check=True, timeout=300)
    code, report = smoke_run(cli_env, str(music_folder(tmp_path / "music")))
    assert code == 0 and report["failures"] == [], report
    assert report["tracks_in_library"] == report["tracks_shown"] == report["analysed"] == report["tagged"] == 4
    assert report["model"] == "test" and report["spectrogram_shown"] and not report["frozen"]
    assert report["similar_listed"] == 3 and report["learning_available"]
    assert report["icon_sizes"] == [16, 24, 32, 48, 64, 128, 256, 512]


def test_a_folder_with_nothing_to_show_fails_the_check(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "empty").mkdir()
    code, report = smoke_run(cli_env, str(tmp_path / "empty"))
    assert code == 1
    assert "the table does not show the scanned tracks" in report["failures"]
