"""The similarity index and the seed walk on vectors made by hand: order, ties, exclusions, edges."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.library.similarity import SimilarityError, SimilarityIndex, seed_walk, unit_vectors


def _index(vectors: list[list[float]], ids: list[int] | None = None) -> SimilarityIndex:
    return SimilarityIndex(1, np.array(ids or list(range(1, len(vectors) + 1))), np.array(vectors, np.float16))


def test_unit_vectors_scale_rows_and_keep_zero_rows_zero():
    found = unit_vectors(np.array([[3, 4], [0, 0], [-2, 0]], np.float16))
    np.testing.assert_allclose(found, [[0.6, 0.8], [0, 0], [-1, 0]])
    standardised = unit_vectors(np.array([[1, 10], [3, 10]], np.float32), standardise=True)
    np.testing.assert_allclose(standardised, [[-1, 0], [1, 0]])  # the constant column drops out
    with pytest.raises(ValueError):
        unit_vectors(np.zeros(3))


def test_nearest_orders_by_similarity_then_id_and_honours_exclude_and_minimum():
    index = _index([[1, 0], [1, 0.1], [1, 0.1], [0, 1], [-1, 0]], ids=[10, 30, 20, 40, 50])
    found = index.similar_to(10, 3)
    assert [n.track_id for n in found] == [20, 30, 40]  # 20 and 30 tie: lower id first
    assert found[0].similarity == pytest.approx(1 / np.sqrt(1.01), abs=1e-3)
    assert [n.track_id for n in index.similar_to(10, 10)] == [20, 30, 40, 50]
    assert [n.track_id for n in index.similar_to(10, 10, minimum=0.5)] == [20, 30]
    assert [n.track_id for n in index.above(10, -0.5)] == [20, 30, 40]
    assert index.nearest(index.unit(np.array([0, 2])), 1)[0].track_id == 40
    assert index.similar_to(10, 0) == []


def test_unknown_tracks_and_empty_indexes_say_so():
    index = _index([[1, 0]])
    with pytest.raises(SimilarityError, match="track 7 has no embedding"):
        index.similar_to(7, 3)
    empty = SimilarityIndex(1, np.empty(0, np.int64), np.empty((0, 0), np.float16))
    assert len(empty) == 0 and empty.nearest(np.ones(2, np.float32), 5) == []


def test_seed_walk_follows_the_nearest_and_never_repeats_an_artist_back_to_back():
    # a line of tracks: each one's nearest is the next; 2 and 3 share an artist
    vectors = [[np.cos(a), np.sin(a)] for a in np.linspace(0, 1.5, 6)]
    index = _index(vectors)
    artists = {1: "A", 2: "B", 3: "B", 4: "C", 5: "D", 6: "E"}
    walk = seed_walk(index, 1, 6, artists)
    assert walk[0] == 1 and sorted(walk) == [1, 2, 3, 4, 5, 6]
    assert all(artists[a] != artists[b] for a, b in zip(walk, walk[1:])), walk
    assert walk[:3] == [1, 2, 4]  # 3 is nearer to 2, but by the same artist
    assert seed_walk(index, 1, 6, {t: "same" for t in artists}) == [1, 2, 3, 4, 5, 6]  # no other artist left
    assert seed_walk(index, 1, 0, artists) == [] and seed_walk(index, 1, 1, artists) == [1]
