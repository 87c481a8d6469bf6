"""Similar tracks and seed playlists on real music, with the built-in tagger's real embeddings.

The library (tests/real_library.py) holds two clips of each of 18 free recordings: classical,
rock/metal and game/electronic music. What is asserted is what a person would check by ear: the
tracks most like a metal clip are rock, those most like an orchestra are classical, a file outside
the library finds the same neighbours as its copy inside, and the seed playlist never plays the
same artist twice in a row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from desktop_app.analysis.current import current_models
from desktop_app.analysis.similar import Seed, embed_file, find_seed, model_index, seed_playlist, similar_tracks
from desktop_app.library.database import open_library
from desktop_app.library.embeddings import embedding_of, matrix_of
from desktop_app.library.models import Analysis, Embedding, Track
from desktop_app.library.playlists import create_playlist, get_playlist, playlist_track_ids
from desktop_app.library.similarity import SimilarityError
from desktop_app.library.smart_rules import Rule, RuleError, SmartRules
from tests.real_library import copy_library


@pytest.fixture(scope="module")
def real_library(tagged_real_library):
    db, clips = tagged_real_library
    library = open_library(db)  # read only here: the tests that write work on a copy
    with library.engine.connect() as conn:
        ids = {Path(p).stem: i for i, p in conn.execute(select(Track.id, Track.path))}
    yield library, clips, ids, db
    library.close()


def _category(ids_by_stem: dict[str, int], clips) -> dict[int, str | None]:
    return {ids_by_stem[c.path.stem]: c.recording.category for c in clips}


def test_every_track_keeps_both_taggers_embeddings_as_float16(real_library):
    library, clips, _, _ = real_library
    with library.engine.connect() as conn:
        models = current_models(conn)
        for name in ("musicnn-msd", "musicnn-mtt"):
            track_ids, vectors = matrix_of(conn, models[name].id)
            assert len(track_ids) == len(clips) and vectors.shape == (len(clips), 200)
            assert vectors.dtype == np.float16 and np.isfinite(vectors).all() and np.abs(vectors).max() > 0
        layers = set(conn.execute(select(Embedding.layer)).scalars())
    assert layers == {"penultimate"}


def test_the_tracks_most_like_a_song_are_of_its_kind(real_library):
    library, clips, ids, _ = real_library
    category = _category(ids, clips)
    for query, expected in (("armygeddon-1", "rock"), ("chaos-god-2", "rock"), ("mendelssohn-1", "classical"),
                            ("ave-maria-2", "classical")):
        found = similar_tracks(library, Seed(ids[query], ""), limit=5)
        assert len(found) == 5 and ids[query] not in [t.track_id for t in found]
        assert [t.similarity for t in found] == sorted((t.similarity for t in found), reverse=True)
        kinds = Counter(category[t.track_id] for t in found)
        # None: the tavern tune and the J-pop instrumental, no kind of their own (the tavern's
        # MIDI strings do come close to the orchestra)
        assert kinds[expected] >= 3 and kinds[expected] + kinds[None] == 5, (
            query, [(Path(t.path).stem, round(t.similarity, 3)) for t in found])


def test_precision_at_5_over_the_whole_library_is_far_above_random(real_library):
    """Other songs only (a song's own second clip does not count): the benchmark's measure, small."""
    library, clips, ids, _ = real_library
    category = _category(ids, clips)
    recording = {ids[c.path.stem]: c.recording.key for c in clips}
    with library.engine.connect() as conn:
        index = model_index(conn)
    scores, chance = [], []
    for track_id, kind in category.items():
        if kind is None:
            continue
        others = [n for n in index.similar_to(track_id, len(index)) if recording[n.track_id] != recording[track_id]]
        scores.append(np.mean([category[n.track_id] == kind for n in others[:5]]))
        chance.append(np.mean([category[n.track_id] == kind for n in others]))
    assert np.mean(scores) > np.mean(chance) + 0.25, (np.mean(scores), np.mean(chance))


def test_a_file_outside_the_library_finds_what_its_copy_inside_finds(real_library, tmp_path):
    library, clips, ids, _ = real_library
    outside = tmp_path / "copy.flac"
    outside.write_bytes(clips[0].path.read_bytes())
    seed = find_seed(library, str(outside))
    with library.engine.connect() as conn:
        stored = embedding_of(conn, ids[clips[0].path.stem], current_models(conn)["musicnn-msd"].id)
    assert seed.track_id is None and seed.path == str(outside.resolve())
    computed = embed_file(outside, device="cpu")
    np.testing.assert_allclose(computed, stored, rtol=0, atol=2e-2 * np.abs(stored).max())  # float16 storage
    from_file = similar_tracks(library, seed, limit=6, device="cpu")
    from_track = similar_tracks(library, Seed(ids[clips[0].path.stem], ""), limit=5)
    assert [t.track_id for t in from_file][0] == ids[clips[0].path.stem]  # itself, in the library
    assert [t.track_id for t in from_file][1:] == [t.track_id for t in from_track]


def test_seed_playlist_starts_at_the_seed_repeats_nothing_and_alternates_artists(real_library):
    library, clips, ids, _ = real_library
    artist = {ids[c.path.stem]: c.recording.composer for c in clips}
    category = _category(ids, clips)
    seed = ids["armygeddon-1"]
    walk = seed_playlist(library, seed, 12)
    assert walk[0] == seed and len(walk) == 12 and len(set(walk)) == 12
    assert all(artist[a] != artist[b] for a, b in zip(walk, walk[1:])), [artist[t] for t in walk]
    assert Counter(category[t] for t in walk)["rock"] >= 7  # the 8 rock songs come first here
    # asking for more tracks than the library has gives every track once
    everything = seed_playlist(library, seed, 500)
    assert sorted(everything) == sorted(ids.values())


def test_similar_rule_in_a_smart_playlist(real_library, tmp_path):
    _, clips, ids, db = real_library
    category = _category(ids, clips)
    seed = ids["blue-danube-1"]
    library = open_library(copy_library(db, tmp_path / "copy.sqlite3"))
    with library.writer.begin() as conn:
        models = {name: info.id for name, info in current_models(conn).items()}
        rules = SmartRules((Rule("similar", values=(str(seed),), minimum=0.8),), model="broad-genre", order="title")
        playlist = get_playlist(conn, create_playlist(conn, "Like the Danube", rules=rules))
        found = playlist_track_ids(conn, playlist, models)
        index = model_index(conn)
        expected = {n.track_id for n in index.similar_to(seed, len(index)) if n.similarity >= 0.8}
        assert set(found) == expected and seed not in found and found
        assert Counter(category[t] for t in found).most_common(1)[0][0] == "classical"
        stored = SmartRules.from_json(json.loads(json.dumps(rules.to_json())))
        assert stored == rules
        gone = get_playlist(conn, create_playlist(conn, "Like nothing", rules=SmartRules(
            (Rule("similar", values=("99999",), minimum=0.1),), model="broad-genre")))
        assert playlist_track_ids(conn, gone, models) == []
    library.close()
    for bad in ({"values": ["x"], "minimum": 0.5}, {"values": ["1"], "minimum": 2}, {"values": ["1", "2"], "minimum": 0.5}):
        with pytest.raises(RuleError):
            SmartRules.from_json({"rules": [{"field": "similar", **bad}], "model": "broad-genre"})


def test_cli_similar_and_seed_playlist(real_library, cli_env, tmp_path):
    library, clips, ids, original = real_library
    db = copy_library(original, tmp_path / "copy.sqlite3")
    run = lambda *args: subprocess.run([sys.executable, "-m", "desktop_app", *args, "--db", str(db)],
                                       env=cli_env, capture_output=True, text=True, timeout=600)
    done = run("similar", str(ids["armygeddon-1"]), "--limit", "4", "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 4 and all(set(r) >= {"path", "similarity", "id"} for r in rows)
    assert [r["id"] for r in rows] == [t.track_id for t in similar_tracks(library, Seed(ids["armygeddon-1"], ""), limit=4)]
    by_path = run("similar", str(clips[0].path), "--limit", "2")
    assert by_path.returncode == 0 and len(by_path.stdout.splitlines()) == 2, by_path.stderr

    created = run("playlist", "create", "Metal walk", "--seed", str(ids["armygeddon-1"]), "--length", "7", "--json")
    assert created.returncode == 0, created.stderr
    made = json.loads(created.stdout)
    assert made["tracks"] == 7 and made["track_ids"][0] == ids["armygeddon-1"]
    shown = run("playlist", "show", "Metal walk", "--json")
    assert [json.loads(line)["id"] for line in shown.stdout.splitlines()] == made["track_ids"]

    for args, message in ((("similar", "123456"), "no track 123456"),
                          (("similar", "/nonexistent.flac"), "no such file"),
                          (("similar", "1", "--model", "musicnn-mtt", "--limit", "0"), "at least 1")):
        failed = run(*args)
        assert failed.returncode != 0 and message in failed.stderr, failed.stderr


def test_embeddings_go_with_their_analysis(tmp_path, real_library):
    """Deleting a track (or its analysis) deletes its embeddings; an empty library says so clearly."""
    library, clips, ids, db = real_library
    other = open_library(copy_library(db, tmp_path / "copy.sqlite3"))
    try:
        with other.writer.begin() as conn:
            before = conn.execute(select(func.count()).select_from(Embedding)).scalar()
            conn.execute(delete(Track).where(Track.id == ids["tuxi-1"]))
            assert conn.execute(select(func.count()).select_from(Embedding)).scalar() == before - 2
            conn.execute(delete(Analysis))
            assert conn.execute(select(func.count()).select_from(Embedding)).scalar() == 0
        with other.engine.connect() as conn, pytest.raises(SimilarityError, match="no track has an embedding"):
            model_index(conn)
    finally:
        other.close()
    empty = open_library(tmp_path / "empty.sqlite3")
    try:
        with empty.engine.connect() as conn, pytest.raises(SimilarityError, match="analyse the library first"):
            model_index(conn)
    finally:
        empty.close()
