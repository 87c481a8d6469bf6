"""My genres on real music: learned from the files' own genre tags (or playlists) over the built-in
tagger's real embeddings, evaluated before use, applied everywhere, and every refusal explained.

The library (tests/real_library.py): two clips of each of 18 recordings, tagged Classical (6 clips),
Rock (16) or Electronic (10) by their package's description; four clips carry no genre.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from desktop_app.analysis import my_genres
from desktop_app.analysis.current import current_models
from desktop_app.genres.taxonomy import MY_GENRES, TAXONOMIES
from desktop_app.library import learned
from desktop_app.library.analyses import analysis_of
from desktop_app.library.database import open_library
from desktop_app.library.models import TagGenre, Track
from desktop_app.library.playlists import create_playlist
from tests.real_library import copy_library


@pytest.fixture
def lib(tagged_real_library, tmp_path):
    """A fresh copy of the tagged library for each test (they change it)."""
    db, clips = tagged_real_library
    library = open_library(copy_library(db, tmp_path / "library.sqlite3"))
    with library.engine.connect() as conn:
        ids = {Path(p).stem: i for i, p in conn.execute(select(Track.id, Track.path))}
    yield library, clips, ids, tmp_path / "library.sqlite3"
    library.close()


def _learn(library, source="tags"):
    with library.engine.connect() as conn:
        return my_genres.learn(conn, my_genres.embedding_model_id(conn), source)


def test_learned_from_tags_it_separates_the_kinds_well_above_chance(lib):
    library, clips, ids, _ = lib
    training = _learn(library)
    evaluation = training.evaluation
    assert training.classifier.genres == ("Classical", "Electronic", "Rock")
    assert evaluation.examples == 32 and evaluation.chance == 0.5 and evaluation.folds == 5
    assert evaluation.accuracy >= 0.8, evaluation
    assert {g.genre: g.examples for g in evaluation.genres} == {"Classical": 6, "Electronic": 10, "Rock": 16}
    assert all(g.recall >= 0.5 for g in evaluation.genres), evaluation.genres
    assert 0.05 < evaluation.temperature < 20
    lines = my_genres.describe(evaluation, training.classifier.genres)
    assert "cross-validated accuracy" in lines[0] and len(lines) == 4

    model_id = my_genres.save(library, training)
    assert my_genres.apply(library, model_id) == len(clips)
    assert my_genres.apply(library, model_id) == 0, "nothing is classified twice"
    with library.engine.connect() as conn:
        models = current_models(conn)
        assert models["my-genres"].id == model_id and MY_GENRES.keys == ("Classical", "Electronic", "Rock")
        assert TAXONOMIES["my-genres"].find("rock").key == "Rock"
        stored = learned.training_of(conn, model_id)
        assert sorted(stored.examples) == sorted([list(e) for e in training.examples])
        assert my_genres.Evaluation.from_json(stored.evaluation) == evaluation
        unlabelled = {c.recording.key: analysis_of(conn, ids[c.path.stem], model_id) for c in clips
                      if c.recording.category is None}
    assert set(unlabelled) == {"lovin", "tavern"}
    for row in unlabelled.values():
        assert row.top1 in MY_GENRES.keys and 0 < row.confidence <= 1
        assert abs(sum(row.probabilities) - 1) < 1e-4


def test_the_stored_classifier_reproduces_its_probabilities_without_scikit_learn(lib):
    library, clips, ids, _ = lib
    training = _learn(library)
    restored = my_genres.LinearClassifier.from_parameters(training.classifier.genres,
                                                          json.loads(json.dumps(training.classifier.parameters())))
    x = np.random.default_rng(0).standard_normal((4, 200))
    np.testing.assert_allclose(restored.probabilities(x), training.classifier.probabilities(x))


def test_every_refusal_says_why(lib):
    library, clips, ids, _ = lib
    with library.writer.begin() as conn:
        conn.execute(update(TagGenre).values(name="Rock"))
    with pytest.raises(my_genres.LearnError, match="at least two genres.*Rock \\(32\\)"):
        _learn(library)
    with library.writer.begin() as conn:
        conn.execute(TagGenre.__table__.delete())
    with pytest.raises(my_genres.LearnError, match="no track has genre tags"):
        _learn(library)
    with pytest.raises(my_genres.LearnError, match="no track has manual playlists"):
        _learn(library, "playlists")
    with pytest.raises(my_genres.LearnError, match="no genres learned yet"):
        my_genres.bring_up_to_date(library)
    empty = open_library(library.path.parent / "empty.sqlite3")
    try:
        with empty.engine.connect() as conn, pytest.raises(my_genres.LearnError, match="analyse the library first"):
            my_genres.embedding_model_id(conn)
    finally:
        empty.close()


def test_too_few_examples_are_reported_and_a_changed_label_retrains(lib):
    library, clips, ids, _ = lib
    with library.writer.begin() as conn:  # two clips of the tavern tune become "Folk": too few
        for key in ("tavern-1", "tavern-2"):
            conn.execute(TagGenre.__table__.insert().values(track_id=ids[key], position=0, name="folk"))
    training = _learn(library)
    assert training.evaluation.too_few == {"folk": 2} and "Folk" not in training.classifier.genres
    assert any("fewer than 5" in line and "folk (2)" in line for line in my_genres.describe(
        training.evaluation, training.classifier.genres))
    first = my_genres.save(library, training)
    my_genres.apply(library, first)
    assert my_genres.bring_up_to_date(library).retrained is None

    with library.writer.begin() as conn:  # the person re-tags a clip: the model follows
        conn.execute(update(TagGenre).where(TagGenre.track_id == ids["solarwolf-1"]).values(name="Rock"))
        assert my_genres.labels_changed(conn, learned.training_of(conn, first))
    done = my_genres.bring_up_to_date(library)
    assert done.retrained is not None and done.model_id != first and done.classified == len(clips)
    with library.engine.connect() as conn:
        assert current_models(conn)["my-genres"].id == done.model_id


def test_learned_from_playlists(lib):
    library, clips, ids, _ = lib
    with library.writer.begin() as conn:
        by_kind: dict[str, list[int]] = {}
        for clip in clips:
            if clip.recording.category in ("classical", "rock"):
                by_kind.setdefault(clip.recording.category, []).append(ids[clip.path.stem])
        create_playlist(conn, "Quiet", by_kind["classical"])
        create_playlist(conn, "Loud", by_kind["rock"] + by_kind["classical"][:1])  # one in both: ambiguous
    training = _learn(library, "playlists")
    assert training.classifier.genres == ("Loud", "Quiet") and training.evaluation.ambiguous == 1
    assert training.evaluation.examples == 16 + 5 and training.evaluation.accuracy >= 0.8


def test_cli_learn_then_classify_then_tracks(lib, cli_env):
    library, clips, ids, db = lib
    library.close()
    run = lambda *args: subprocess.run([sys.executable, "-m", "desktop_app", *args, "--db", str(db)],
                                       env=cli_env, capture_output=True, text=True, timeout=600)
    missing = run("classify", "--model", "my-genres")
    assert missing.returncode == 2 and "no genres learned yet" in missing.stderr
    learnt = run("learn-genres", "--json")
    assert learnt.returncode == 0, learnt.stderr
    report = json.loads(learnt.stdout)
    assert report["genres"] == ["Classical", "Electronic", "Rock"] and report["evaluation"]["accuracy"] >= 0.8
    text = run("learn-genres")
    assert "cross-validated accuracy" in text.stdout and "precision" in text.stdout
    applied = run("classify", "--model", "my-genres", "--json")
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["classified"] == len(clips)
    listed = [json.loads(line) for line in run("tracks", "--json").stdout.splitlines()]
    assert all(set(t["predictions"]["my-genres"]) == {"genre", "confidence", "precision"} for t in listed)
    assert {t["predictions"]["my-genres"]["precision"] for t in listed} == {"fp32"}
    rock = [json.loads(line) for line in run("tracks", "--model", "my-genres", "--genre", "rock", "--json").stdout.splitlines()]
    assert rock and all(t["predictions"]["my-genres"]["genre"] == "Rock" for t in rock)
    assert {Path(t["path"]).stem for t in rock} >= {"armygeddon-1", "chaos-god-1"}
