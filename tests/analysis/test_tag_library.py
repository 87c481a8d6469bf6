"""Tagging the library with the built-in tagger: real weights on real recordings, stored, resumable,
listed by `genrescope tracks` with each model's top-1 genre."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.analysis.current import current_models
from desktop_app.analysis.tag_library import tag_tracks
from desktop_app.genres.broad import BROAD_KEYS
from desktop_app.genres.musicnn_tags import MSD_TAGS
from desktop_app.inference.registry import builtin_sha256, open_tagger
from desktop_app.library import analyses as store
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio
from tests.real_music import RECORDINGS, recording_path

SHORT = ("solarwolf", "armygeddon")
"""An electronic game tune (80 s) and a metal backing track (198 s)."""


@pytest.fixture(scope="module")
def tagger():
    return open_tagger("cpu")


@pytest.fixture
def music(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    folder.mkdir()
    for recording in RECORDINGS:
        if recording.key in SHORT:
            shutil.copy(recording_path(recording), folder / f"{recording.key}.ogg")
    write_audio(folder / "beep.wav", seconds=1.0)  # shorter than one 3 s patch
    (folder / "broken.ogg").write_bytes(b"OggS" + bytes(100))
    return folder


def test_the_library_gets_real_tags_and_broad_genres_and_a_rerun_redoes_nothing(library, music, tagger):
    Scanner(library).scan([music])
    seen: list[int] = []
    summary = tag_tracks(library, tagger, on_result=lambda track_id, record: seen.append(track_id))
    assert (summary.analysed, summary.failed) == (3, 0), summary.error_files  # broken.ogg failed its scan
    assert summary.models == builtin_sha256()
    assert len(seen) == 3

    with library.engine.connect() as conn:
        models = current_models(conn)
        assert set(models) == {"musicnn-msd", "musicnn-mtt", "broad-genre"}
        by_path = {}
        for track_id, path in store.tracks_to_analyse(conn, None):
            by_path[Path(path).stem] = {
                name: store.analysis_of(conn, track_id, info.id) for name, info in models.items()
            }
    metal = by_path["armygeddon"]
    assert metal["broad-genre"].top1 == "Metal" and metal["broad-genre"].confidence > 0.5
    assert metal["musicnn-msd"].top1 == "metal"
    assert by_path["solarwolf"]["broad-genre"].top1 in ("Dance", "Electronic")
    for rows in by_path.values():
        broad, msd = rows["broad-genre"], rows["musicnn-msd"]
        assert len(broad.probabilities) == len(BROAD_KEYS) and len(msd.probabilities) == len(MSD_TAGS)
        assert len(broad.window_probabilities) == broad.window_count == msd.window_count
        assert broad.model_origin == "builtin" and broad.error is None
    assert by_path["beep"]["broad-genre"].short_clip and by_path["beep"]["broad-genre"].window_count == 1
    assert by_path["armygeddon"]["broad-genre"].window_count == int(197.647 * 16000 / 256) // 187

    again = tag_tracks(library, tagger)
    assert (again.analysed, again.failed) == (0, 0), "nothing is tagged twice"


def test_tracks_lists_each_models_top1_and_filters_by_genre(tmp_path, music, cli_env):
    db = str(tmp_path / "lib.sqlite3")
    run = lambda *args: subprocess.run([sys.executable, "-m", "desktop_app", *args, "--db", db],
                                       env=cli_env, capture_output=True, text=True, timeout=600)
    assert run("scan", str(music)).returncode == 0
    tagged = run("classify", "--model", "musicnn-msd", "--json")
    assert tagged.returncode == 0, tagged.stderr
    assert json.loads(tagged.stdout)["analysed"] == 3

    rows = [json.loads(line) for line in run("tracks", "--json").stdout.splitlines()]
    metal = next(r for r in rows if r["path"].endswith("armygeddon.ogg"))
    assert set(metal["predictions"]) == {"broad-genre", "musicnn-msd", "musicnn-mtt"}
    assert metal["predictions"]["broad-genre"]["genre"] == "Metal"
    assert 0.5 < metal["predictions"]["broad-genre"]["confidence"] <= 1
    ran = json.loads(tagged.stdout)["precision"]
    assert {p["precision"] for p in metal["predictions"].values()} == {ran}, "what the pass ran in, on every row"
    broken = next(r for r in rows if r["path"].endswith("broken.ogg"))
    assert broken["predictions"] == {} and broken["error"]

    only_metal = [json.loads(line) for line in run("tracks", "--json", "--genre", "metal").stdout.splitlines()]
    assert [Path(r["path"]).name for r in only_metal] == ["armygeddon.ogg"]
    msd_only = [json.loads(line) for line in run("tracks", "--json", "--model", "musicnn-msd").stdout.splitlines()]
    assert all(set(r["predictions"]) <= {"musicnn-msd"} for r in msd_only)
    text = run("tracks").stdout
    assert "broad-genre: Metal" in text
    unknown = run("tracks", "--genre", "polka")
    assert unknown.returncode == 2 and "Unknown genre 'polka'" in unknown.stderr


def test_model_status_lists_every_model_and_a_missing_shipped_file(cli_env, monkeypatch, tmp_path):
    from desktop_app.inference import registry
    from desktop_app.inference.musicnn.weights import SHIPPED_TAGGERS

    done = subprocess.run([sys.executable, "-m", "desktop_app", "model", "status", "--json"], env=cli_env,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    models = {m["name"]: m for m in report["models"]}
    assert list(models) == ["ccmusic", "musicnn-msd", "musicnn-mtt", "broad-genre"]
    assert not models["ccmusic"]["available"] and "genrescope model install" in models["ccmusic"]["problem"]
    assert models["musicnn-msd"]["available"] and models["musicnn-msd"]["sha256"] == builtin_sha256()["musicnn-msd"]
    assert (models["broad-genre"]["classes"], models["musicnn-mtt"]["classes"]) == (18, 50)

    spec = SHIPPED_TAGGERS["musicnn-mtt"]
    monkeypatch.setitem(SHIPPED_TAGGERS, "musicnn-mtt", type(spec)(spec.name, spec.display_name, "gone.pt",
                                                                     spec.sha256, spec.tags, spec.original))
    found = {m.name: m for m in registry.statuses()}
    assert found["musicnn-msd"].available
    assert not found["musicnn-mtt"].available and not found["broad-genre"].available
    assert "reinstall Genrescope" in found["broad-genre"].problem
