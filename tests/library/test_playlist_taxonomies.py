"""Genre playlists of either taxonomy and smart rules on the built-in tagger's tags."""

from __future__ import annotations

import pytest

from desktop_app.genres.broad import BROAD_KEYS, BROAD_MODEL
from desktop_app.genres.musicnn_tags import MSD_TAGS, MTT_TAGS
from desktop_app.genres.taxonomy import UnknownLabelError
from desktop_app.inference.registry import builtin_sha256
from desktop_app.library.analyses import AnalysisRecord, register_model, save_analyses
from desktop_app.library.playlists import (
    create_all_genre_playlists,
    create_genre_playlist,
    find_genre,
    find_playlist,
    playlist_track_ids,
)
from desktop_app.library.smart_rules import Rule, RuleError, SmartRules, evaluate
from tests.playlist_support import analyse, current_ids, make_songs


@pytest.fixture
def songs(library, tmp_path):
    return make_songs(library, tmp_path / "music")


def _store(library, name: str, classes, rows: dict[int, AnalysisRecord]) -> int:
    sha = builtin_sha256()[name]
    with library.writer.begin() as conn:
        model_id = register_model(conn, sha, name, "builtin", classes, name=name)
        save_analyses(conn, model_id, list(rows.items()))
    return model_id


def _broad(library, verdicts: dict[int, tuple[str, float]]) -> None:
    _store(library, BROAD_MODEL, BROAD_KEYS,
           {t: AnalysisRecord(top1=key, confidence=p, window_count=1) for t, (key, p) in verdicts.items()})


def _tags(library, name: str, tags, probabilities: dict[int, dict[str, float]]) -> None:
    rows = {}
    for track_id, given in probabilities.items():
        vector = [0.01] * len(tags)
        for tag, p in given.items():
            vector[tags.index(tag)] = p
        rows[track_id] = AnalysisRecord(top1=max(given, key=given.get), confidence=max(given.values()),
                                        probabilities=vector, window_count=3)
    _store(library, name, tags, rows)


def test_a_genre_name_finds_its_taxonomy_broad_genres_first():
    taxonomy, label = find_genre("rock")
    assert (taxonomy.model, label.key) == (BROAD_MODEL, "Rock")
    taxonomy, label = find_genre("soft rock")
    assert (taxonomy.model, label.key) == ("ccmusic", "Soft_rock")
    assert find_genre("opera")[0].model == "ccmusic"
    assert find_genre("hip hop")[0].model == BROAD_MODEL
    with pytest.raises(UnknownLabelError, match="Unknown genre 'polka' for Broad genre"):
        find_genre("polka")
    with pytest.raises(UnknownLabelError, match="for CCMusic"):
        find_genre("metal", "ccmusic")


def test_broad_genre_playlists_use_the_broad_genres_and_their_own_threshold(library, songs):
    a, b, c, d = songs.ids
    _broad(library, {a: ("Metal", 0.7), b: ("Metal", 0.25), c: ("Metal", 0.1), d: ("Jazz", 0.5)})
    analyse(library, {a: ("Opera", 0.9), b: ("Opera", 0.9)})  # CCMusic's verdicts do not leak in
    with library.writer.begin() as conn:
        models = current_ids(conn)
        create_genre_playlist(conn, "metal", models=models)
        create_genre_playlist(conn, "Metal", name="Metal (smart)", smart=True, models=models)
        created, skipped = create_all_genre_playlists(conn, model=BROAD_MODEL, models=models)
    with library.engine.connect() as conn:
        models = current_ids(conn)
        assert playlist_track_ids(conn, find_playlist(conn, "metal"), models) == [a, b], "≥ 0.2, by confidence"
        smart = find_playlist(conn, "Metal (smart)")
        assert smart.rules.model == BROAD_MODEL and playlist_track_ids(conn, smart, models) == [a, b]
        assert playlist_track_ids(conn, find_playlist(conn, "Jazz"), models) == [d]
    assert skipped == ["Metal"]


def test_tag_rules_read_the_taggers_probabilities(library, songs):
    a, b, c, d = songs.ids
    _tags(library, "musicnn-mtt", MTT_TAGS, {a: {"female vocal": 0.7, "guitar": 0.6}, b: {"female vocal": 0.3},
                                              c: {"piano": 0.9}})
    _tags(library, "musicnn-msd", MSD_TAGS, {c: {"instrumental": 0.8}, d: {"instrumental": 0.45}})
    with library.engine.connect() as conn:
        models = current_ids(conn)

        def run(*rules: Rule, **options) -> list[int]:
            return sorted(evaluate(conn, SmartRules(tuple(rules), model=BROAD_MODEL, **options), models))

        assert run(Rule("tag", values=("mtt:female vocal",), minimum=0.5)) == [a]
        assert run(Rule("tag", values=("mtt:female vocal",), minimum=0.25)) == sorted([a, b])
        assert run(Rule("tag", values=("msd:instrumental", "mtt:piano"), minimum=0.5)) == [c]
        assert run(Rule("tag", values=("mtt:female vocal",), minimum=0.5),
                   Rule("tag", values=("msd:instrumental",), minimum=0.4), match="any") == sorted([a, c, d])
        assert evaluate(conn, SmartRules((Rule("tag", values=("mtt:guitar",), minimum=0.5),)), {}) == [], \
            "nothing tagged yet: nothing"


def test_rules_are_checked_against_their_model_and_old_rules_mean_ccmusic():
    broad = SmartRules((Rule("predicted", values=("Rock",)), Rule("tag", values=("mtt:flute",), minimum=0.4)),
                       model=BROAD_MODEL)
    assert SmartRules.from_json(broad.to_json()) == broad
    stored_before = {"match": "all", "rules": [{"field": "predicted", "values": ["Opera"]}], "order": "artist"}
    assert SmartRules.from_json(stored_before).model == "ccmusic"
    for bad in ({"model": BROAD_MODEL, "rules": [{"field": "predicted", "values": ["Opera"]}]},
                {"rules": [{"field": "tag", "values": ["mtt:polka"], "minimum": 0.5}]},
                {"rules": [{"field": "tag", "values": ["rock"], "minimum": 0.5}]},
                {"rules": [{"field": "tag", "values": ["msd:rock"], "minimum": 1.5}]},
                {"rules": [{"field": "tag", "values": [], "minimum": 0.5}]},
                {"model": "musicnn-msd"}):
        with pytest.raises(RuleError):
            SmartRules.from_json(bad)
