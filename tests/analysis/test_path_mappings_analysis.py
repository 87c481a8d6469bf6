"""Analysis passes on a machine that reaches a shared library's files through a path mapping:
machine a scanned them, then its folder is gone from this machine's view; b decodes them where it
mounts them (the folder moved), and stores its rows under the same track ids; a file given to
"similar tracks" there is found as its library track."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.analysis.classify_library import classify_tracks
from desktop_app.analysis.similar import find_seed
from desktop_app.analysis.tag_library import tag_tracks
from desktop_app.inference.checkpoint import load_checkpoint
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.registry import open_tagger
from desktop_app.library.models import Analysis, Track
from desktop_app.library.path_mappings import set_mapping
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio
from tests.inference_fixtures import random_checkpoint  # noqa: F401 (fixture)


@pytest.fixture
def moved(library, tmp_path: Path, monkeypatch) -> list[int]:
    """Track ids scanned by machine a at a/music, whose folder machine b mounts at b/music."""
    a_music = tmp_path / "a" / "music"
    for i in range(2):
        write_audio(a_music / f"song{i}.wav", seconds=4.0, freq=110.0 * (i + 2))
    monkeypatch.setenv("GENRESCOPE_MACHINE", "a")
    Scanner(library, executor="inline").scan([a_music])
    b_music = tmp_path / "b" / "music"
    b_music.parent.mkdir()
    a_music.rename(b_music)  # a's path does not exist here: only the mapping finds the files
    monkeypatch.setenv("GENRESCOPE_MACHINE", "b")
    set_mapping(library, str(a_music), str(b_music))
    with library.engine.connect() as conn:
        return list(conn.execute(select(Track.id).order_by(Track.id)).scalars())


def analysed(library, track_ids: list[int]) -> dict[int, str | None]:
    with library.engine.connect() as conn:
        rows = conn.execute(select(Analysis.track_id, Analysis.error).where(Analysis.track_id.in_(track_ids)))
        return {track_id: error for track_id, error in rows}


def test_classify_decodes_through_the_mapping(library, moved, random_checkpoint, tmp_path):
    classifier = GenreClassifier(load_checkpoint(random_checkpoint.path), origin="test", device="cpu")
    seen: list[str] = []
    summary = classify_tracks(library, classifier, progress=lambda p: seen.append(p.path))
    assert (summary.analysed, summary.failed) == (2, 0), summary.error_files
    assert analysed(library, moved) == dict.fromkeys(moved)
    assert all(path.startswith(str(tmp_path / "b" / "music")) for path in seen)


def test_tag_decodes_through_the_mapping(library, moved):
    summary = tag_tracks(library, open_tagger("cpu"))
    assert (summary.analysed, summary.failed) == (2, 0), summary.error_files
    assert set(analysed(library, moved)) == set(moved)


def test_a_file_reached_through_the_mapping_is_its_library_track(library, moved, tmp_path):
    local = tmp_path / "b" / "music" / "song0.wav"
    by_file = find_seed(library, str(local))
    assert (by_file.track_id, by_file.path) == (moved[0], str(local))
    by_id = find_seed(library, str(moved[0]))
    assert (by_id.track_id, by_id.path) == (moved[0], str(local))  # this machine's path, to decode
