"""The resources folder is found by package-relative path, and the genre palette is complete."""

from __future__ import annotations

import json

import pytest

from desktop_app.genres.broad import BROAD_KEYS
from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.gui import resources
from tests.locations import REPO


@pytest.fixture(autouse=True)
def _fresh_palette():
    resources.genre_palette.cache_clear()
    yield
    resources.genre_palette.cache_clear()


def test_found_from_the_source_checkout_whatever_the_working_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(resources.RESOURCES_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    path = resources.resource_path(resources.PALETTE_FILE)
    assert path == REPO / "resources" / resources.PALETTE_FILE


def test_palette_names_every_genre_with_a_distinct_colour() -> None:
    palette = resources.genre_palette()
    assert list(palette.genres) == [*GENRE_KEYS, *BROAD_KEYS]
    for keys in (GENRE_KEYS, BROAD_KEYS):  # distinct within each taxonomy, which is shown alone
        colours = [palette.genres[key].upper() for key in keys]
        assert len(set(colours)) == len(keys)
        assert palette.not_analysed.upper() not in colours and palette.low_confidence.upper() not in colours
    assert palette.hex("Metal") == "#661100"
    assert palette.hex("Dance_pop") == palette.genres["Dance_pop"]
    assert palette.hex(None) == palette.not_analysed == palette.hex("no such genre")
    assert palette.qcolor("Opera", 40).alpha() == 40


def test_environment_override_wins(monkeypatch, tmp_path) -> None:
    data = json.loads(resources.resource_path(resources.PALETTE_FILE).read_text())
    data["genres"]["Opera"] = "#123456"
    (tmp_path / resources.PALETTE_FILE).write_text(json.dumps(data))
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))
    assert resources.genre_palette().hex("Opera") == "#123456"


def test_a_broken_palette_says_what_is_wrong(monkeypatch, tmp_path) -> None:
    (tmp_path / resources.PALETTE_FILE).write_text(json.dumps({"genres": {}, "not_analysed": "#000000"}))
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))
    with pytest.raises(resources.ResourceError, match="not a valid genre palette"):
        resources.genre_palette()


def test_a_missing_resource_lists_where_it_looked(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))
    with pytest.raises(resources.ResourceError, match=str(tmp_path)):
        resources.resource_path("no-such-file.svg")
