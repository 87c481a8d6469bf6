"""The broad-genre table and the taxonomies every model's classes are named by."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.genres import broad
from desktop_app.genres.musicnn_tags import MSD_TAGS, MTT_TAGS
from desktop_app.genres.taxonomy import BROAD, CCMUSIC, MY_GENRES, TAXONOMIES, UnknownLabelError, taxonomy

REQUIRED = {"Rock", "Metal", "Punk", "Pop", "Electronic", "Dance", "Hip-hop", "R&B / Soul", "Jazz", "Blues",
            "Country", "Folk", "Classical", "Ambient / New age"}


def _probs(msd: dict[str, float], mtt: dict[str, float]) -> dict[str, np.ndarray]:
    found = {"musicnn-msd": np.zeros(50, np.float32), "musicnn-mtt": np.zeros(50, np.float32)}
    for tag, p in msd.items():
        found["musicnn-msd"][MSD_TAGS.index(tag)] = p
    for tag, p in mtt.items():
        found["musicnn-mtt"][MTT_TAGS.index(tag)] = p
    return found


def test_the_table_covers_the_genres_people_sort_by_and_names_only_real_tags() -> None:
    assert REQUIRED <= {g.display_name for g in broad.BROAD_GENRES}
    assert len(set(broad.BROAD_KEYS)) == len(broad.BROAD_KEYS)
    for genre in broad.BROAD_GENRES:
        for source in genre.tags:
            prefix, tag = source.split(":", 1)
            assert tag in {"msd": MSD_TAGS, "mtt": MTT_TAGS}[prefix], source


def test_a_broad_genre_is_its_most_probable_tag_and_says_which() -> None:
    tags = _probs({"rock": 0.3, "hard rock": 0.7, "jazz": 0.2}, {"rock": 0.5, "classical": 0.9, "choral": 0.95})
    derived = dict(zip(broad.BROAD_KEYS, broad.derive(tags)))
    assert derived["Rock"] == pytest.approx(0.7)
    assert derived["Classical"] == pytest.approx(0.95)
    assert derived["Jazz"] == pytest.approx(0.2)
    assert derived["Punk"] == 0.0
    why = broad.evidence(tags)
    assert why["Rock"] == ("msd:hard rock", pytest.approx(0.7))
    assert why["Classical"][0] == "mtt:choral"


def test_derivation_works_per_patch_too() -> None:
    song = _probs({"metal": 0.8}, {})
    quiet = _probs({}, {"ambient": 0.6})
    per_patch = {m: np.stack([song[m], quiet[m]]) for m in song}
    derived = broad.derive(per_patch)
    assert derived.shape == (2, len(broad.BROAD_GENRES))
    assert broad.BROAD_KEYS[int(derived[0].argmax())] == "Metal"
    assert broad.BROAD_KEYS[int(derived[1].argmax())] == "Ambient_new_age"


def test_both_taggers_are_needed() -> None:
    with pytest.raises(ValueError, match="musicnn-mtt"):
        broad.derive({"musicnn-msd": np.zeros(50)})


def test_the_identity_changes_with_the_table_or_the_taggers() -> None:
    shas = {"musicnn-msd": "a" * 64, "musicnn-mtt": "b" * 64}
    first = broad.table_sha256(shas)
    assert first == broad.table_sha256(dict(reversed(list(shas.items()))))
    assert first != broad.table_sha256({**shas, "musicnn-mtt": "c" * 64})


def test_taxonomies_find_what_people_type() -> None:
    assert BROAD.find("hip hop").key == "Hip_hop"
    assert BROAD.find("r&b / soul").key == "RnB_soul"
    assert CCMUSIC.find("SOFT  rock").key == "Soft_rock"
    assert taxonomy("musicnn-mtt").find("female vocal").index == MTT_TAGS.index("female vocal")
    assert BROAD.matching("rock") == ["Rock"]
    with pytest.raises(UnknownLabelError, match="Did you mean: 'Rock'"):
        BROAD.find("rokc")
    with pytest.raises(UnknownLabelError, match="known: broad-genre"):
        taxonomy("nope")
    assert [t for t in TAXONOMIES.values() if t.is_genre] == [BROAD, CCMUSIC, MY_GENRES]
