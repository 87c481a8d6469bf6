"""The 16 genres: order, names, groups, user lookup; and which inference modules stay torch-free."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop_app.genres.ccmusic import (
    COARSE_GROUPS,
    GENRE_KEYS,
    GENRES,
    NUM_CLASSES,
)
from desktop_app.genres.taxonomy import CCMUSIC, UnknownLabelError

SPEC_ORDER = [
    ("Symphony", "Symphony"),
    ("Opera", "Opera"),
    ("Solo", "Solo"),
    ("Chamber", "Chamber"),
    ("Pop_vocal_ballad", "Pop vocal ballad"),
    ("Adult_contemporary", "Adult contemporary"),
    ("Teen_pop", "Teen pop"),
    ("Contemporary_dance_pop", "Contemporary dance pop"),
    ("Dance_pop", "Dance pop"),
    ("Classic_indie_pop", "Classic indie pop"),
    ("Chamber_cabaret_and_art_pop", "Chamber cabaret & art pop"),
    ("Soul_or_r_and_b", "Soul / R&B"),
    ("Adult_alternative_rock", "Adult alternative rock"),
    ("Uplifting_anthemic_rock", "Uplifting anthemic rock"),
    ("Soft_rock", "Soft rock"),
    ("Acoustic_pop", "Acoustic pop"),
]


def test_classes_are_in_the_network_output_order() -> None:
    assert NUM_CLASSES == 16
    assert [(g.key, g.display_name) for g in GENRES] == SPEC_ORDER
    assert [g.index for g in GENRES] == list(range(16))
    assert GENRE_KEYS == tuple(k for k, _ in SPEC_ORDER)


def test_coarse_groups_follow_the_dataset() -> None:
    assert COARSE_GROUPS == ("Classical", "Popular")
    assert [g.group for g in GENRES] == ["Classical"] * 4 + ["Popular"] * 12


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Soft_rock", "Soft_rock"),
        ("soft rock", "Soft_rock"),
        ("  SOFT   Rock ", "Soft_rock"),
        ("Soul / R&B", "Soul_or_r_and_b"),
        ("soul / r&b", "Soul_or_r_and_b"),
        ("SOUL_OR_R_AND_B", "Soul_or_r_and_b"),
        ("chamber cabaret & art pop", "Chamber_cabaret_and_art_pop"),
        ("Chamber", "Chamber"),
    ],
)
def test_a_genre_is_found_by_key_or_display_name(text: str, key: str) -> None:
    assert CCMUSIC.find(text).key == key
    assert GENRES[CCMUSIC.find(text).index].key == key, "the taxonomy keeps the network's output order"


def test_unknown_genre_suggests_close_names() -> None:
    with pytest.raises(UnknownLabelError, match="Did you mean: 'Soft rock'"):
        CCMUSIC.find("sofft rock")
    with pytest.raises(UnknownLabelError, match="Unknown genre 'polka'"):
        CCMUSIC.find("polka")


def test_light_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import desktop_app.genres.ccmusic, desktop_app.genres.taxonomy, desktop_app.inference.identity\n"
        "import desktop_app.inference.registry, desktop_app.analysis.current\n"
        "import desktop_app.inference.summary, desktop_app.inference.model_store\n"
        "import desktop_app.inference.hub\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
