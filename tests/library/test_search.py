"""The search box language (Qt-free) and the SQL views behind the window's table and sidebar."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import update

from desktop_app.genres.ccmusic import GENRES
from desktop_app.genres.taxonomy import TAXONOMIES
from desktop_app.library import browse
from desktop_app.library.browse import Scope, TrackView
from desktop_app.library.models import Track
from desktop_app.library.search import SearchQuery, YearRange, parse_search
from tests.generated_library import (
    TAG_GENRES,
    confidence_of,
    insert_analyses,
    insert_model,
    insert_tracks,
    predicted_index,
    track_row,
)


def test_free_words_and_fields():
    query = parse_search('blue artist:"Miles Davis" album:kind  TITLE:So year:1959 train')
    assert query.words == ("blue", "train")
    assert query.fields == {"artist": ("Miles Davis",), "album": ("kind",), "title": ("So",)}
    assert query.years == (YearRange(1959, 1959),)
    assert not query.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year:1990-1999", YearRange(1990, 1999)),
        ("year:1990..1999", YearRange(1990, 1999)),
        ("year:1990-", YearRange(1990, None)),
        ("year:-1979", YearRange(None, 1979)),
    ],
)
def test_year_ranges(text, expected):
    assert parse_search(text).years == (expected,)


def test_bad_year_is_reported_not_searched():
    query = parse_search("year:nineties")
    assert query.is_empty
    assert query.problems == ("year:nineties is not a year or a range like 1990-1999",)


def test_unknown_field_is_a_word_and_half_typed_fields_are_ignored():
    assert parse_search("http://x mood:happy").words == ("http://x", "mood:happy")
    assert parse_search("artist:").is_empty
    assert parse_search('artist:"').is_empty
    assert parse_search('genre:"hip hop"').fields == {"genre": ("hip hop",)}
    assert parse_search("  ").is_empty


def test_predicted_matches_keys_and_display_names_of_the_taxonomy_shown():
    ccmusic, broad = TAXONOMIES["ccmusic"], TAXONOMIES["broad-genre"]
    assert ccmusic.matching("rock") == ["Adult_alternative_rock", "Uplifting_anthemic_rock", "Soft_rock"]
    assert ccmusic.matching("soul / r&b") == ["Soul_or_r_and_b"]
    assert ccmusic.matching("Soft_rock") == ["Soft_rock"]
    assert broad.matching("rock") == ["Rock"]
    assert broad.matching("hip-hop") == ["Hip_hop"] and broad.matching("r&b") == ["RnB_soul"]


N = 2000


@pytest.fixture
def big(library):
    insert_tracks(library, N)
    model = insert_model(library)
    insert_analyses(library, model, range(1, N // 2 + 1))
    return library, model


def _ids(library, **view):
    with library.engine.connect() as conn:
        return list(browse.ordered_track_ids(conn, TrackView(**view)))


def test_search_filters_in_sql(big):
    library, model = big
    assert _ids(library, search=parse_search("artist:007 year:1967")) == [
        i + 1 for i in range(N) if i % 50 == 7 and i % 60 == 7
    ]
    assert len(_ids(library, search=parse_search("song 0001"))) == sum("0001" in f"{i:06d}" for i in range(N))
    assert _ids(library, search=parse_search('title:"Song 000042"')) == [43]
    assert len(_ids(library, search=parse_search("genre:jazz"))) == N // len(TAG_GENRES)
    soft_rock = _ids(library, search=parse_search("predicted:soft"), model_id=model)
    assert sorted(soft_rock) == [t for t in range(1, N // 2 + 1) if predicted_index(t) == 14]
    assert _ids(library, search=parse_search("predicted:soft")) == [], "no model, no predictions"
    assert _ids(library, search=parse_search("100%")) == [], "LIKE wildcards are escaped"


def test_sorting_with_missing_values_last(big):
    library, model = big
    by_duration = _ids(library, sort="duration")
    durations = [track_row(i - 1)["duration"] for i in by_duration]
    assert durations == sorted(durations)
    by_title_desc = _ids(library, sort="title", descending=True)
    assert by_title_desc[:2] == [N, N - 1]
    by_confidence = _ids(library, sort="confidence", descending=True, model_id=model)
    analysed = N // 2
    assert [confidence_of(t) for t in by_confidence[:analysed]] == sorted(
        (confidence_of(t) for t in range(1, analysed + 1)), reverse=True
    )
    assert set(by_confidence[analysed:]) == set(range(analysed + 1, N + 1)), "not analysed come last"


def test_scopes_and_sidebar_counts_agree(big):
    library, model = big
    with library.engine.connect() as conn:
        counts = browse.sidebar_counts(conn, model, low_confidence=0.5)
    expected = Counter(
        GENRES[predicted_index(t)].key for t in range(1, N // 2 + 1)
    )
    assert counts.total == N
    assert counts.predicted == dict(expected)
    assert counts.not_analysed == N - N // 2
    assert counts.low_confidence == sum(confidence_of(t) < 0.5 for t in range(1, N // 2 + 1))
    assert counts.tag_genres == sorted((g, N // len(TAG_GENRES)) for g in TAG_GENRES)
    assert len(counts.artists) == 50 and counts.artists[0] == ("Artist 000", N // 50)
    for key, count in counts.predicted.items():
        assert len(_ids(library, scope=Scope("predicted", key), model_id=model)) == count
    assert len(_ids(library, scope=Scope("not_analysed"), model_id=model)) == counts.not_analysed
    assert len(_ids(library, scope=Scope("low_confidence"), model_id=model, low_confidence=0.5)) == (
        counts.low_confidence
    )
    assert len(_ids(library, scope=Scope("tag_genre", "jazz"))) == N // len(TAG_GENRES)
    assert len(_ids(library, scope=Scope("album", "Album 003-3"))) == N // 100
    assert counts.missing == 0 and _ids(library, scope=Scope("missing")) == []


def test_missing_files_are_their_own_scope_and_nowhere_else(big):
    library, model = big
    gone = [3, 1500, 7]
    with library.writer.begin() as conn:
        conn.execute(update(Track.__table__).where(Track.id.in_(gone)).values(available=False))
        conn.execute(update(Track.__table__).where(Track.id == 9).values(available=False, error="unreadable"))
    with library.engine.connect() as conn:
        counts = browse.sidebar_counts(conn, model, low_confidence=0.5)
    assert counts.missing == 3 and counts.total == N - 4, "an unreadable file is neither"
    assert _ids(library, scope=Scope("missing")) == [3, 7, 1500]
    assert _ids(library, scope=Scope("missing"), search=parse_search("song 001499")) == [1500]
    assert not set(gone) & set(_ids(library)), "missing tracks are not among All tracks"


def test_current_model_prefers_installed_then_latest(big):
    library, model = big
    with library.engine.connect() as conn:
        assert browse.current_model(conn, None).id == model
        assert browse.current_model(conn, None).is_test
        assert browse.current_model(conn, "cd" * 32) is None


def test_rows_and_detail(big):
    library, model = big
    with library.engine.connect() as conn:
        rows = browse.track_rows(conn, [1, 2, N], model)
        info = browse.current_model(conn, None)
        detail = browse.track_detail(conn, 2, info)
    assert rows[2].title == "Song 000001" and rows[2].predicted == GENRES[2].key
    assert rows[N].predicted is None
    assert detail.tag_genre == "Pop" and detail.tag_genres == ["Pop"]
    assert detail.analysis.model_origin == "test"


def test_empty_query_is_empty():
    assert SearchQuery().is_empty


def test_words_match_within_one_column_ignoring_case_and_follow_edits(library, library_backend):
    """Words match inside title, artist, album or path, never across two of them; on PostgreSQL
    through the stored `search_text` column, which must follow every edit of a row."""
    from sqlalchemy import text

    with library.writer.begin() as conn:
        conn.execute(
            text("INSERT INTO tracks (id, path, title, artist, album, added_at, scanned_at, available) "
                 "VALUES (1, '/m/x.flac', 'Harbour', 'Lights', 'Nocturne', :now, :now, :yes)"),
            {"now": "2026-01-01 00:00:00", "yes": True},
        )
    assert _ids(library, search=parse_search("HARBOUR")) == [1]
    assert _ids(library, search=parse_search("x.FLAC noct")) == [1]
    assert _ids(library, search=parse_search("harbourlights")) == []
    assert _ids(library, search=parse_search("ourlig")) == [], "a word does not run from title into artist"
    assert _ids(library, search=parse_search("ne/m")) == [], "nor from album into path"
    with library.writer.begin() as conn:
        conn.execute(text("UPDATE tracks SET title = 'Échos', artist = NULL WHERE id = 1"))
    assert _ids(library, search=parse_search("harbour")) == []
    assert _ids(library, search=parse_search("Échos")) == [1]
    assert _ids(library, search=parse_search("lights")) == []
    if library_backend == "postgresql":  # SQLite's LIKE folds ASCII letters only
        assert _ids(library, search=parse_search("échos")) == [1]
        with library.engine.connect() as conn:
            stored = conn.execute(text(
                "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'tracks'::regclass AND attname = 'search_text'"
            )).scalar()
        assert stored == "s", "PostgreSQL stores the folded column (computed once per write)"
