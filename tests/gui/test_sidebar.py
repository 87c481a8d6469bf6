"""The sidebar keeps its entries, selection and expansion across count refreshes."""

from __future__ import annotations

import pytest

from desktop_app.genres.taxonomy import BROAD, CCMUSIC
from desktop_app.gui.sidebar import LibrarySidebar
from desktop_app.library.browse import ModelInfo, Scope, SidebarCounts


@pytest.fixture
def sidebar(qtbot):
    widget = LibrarySidebar()
    qtbot.addWidget(widget)
    return widget


def _artists(widget: LibrarySidebar) -> list[str]:
    return [widget._artists.child(i).text(0) for i in range(widget._artists.childCount())]


def test_entries_are_merged_in_place(sidebar):
    sidebar.set_counts(SidebarCounts(total=3, artists=[("Ann", 1), ("Cy", 2)]), None, 0.4, BROAD)
    ann = sidebar.item_for(Scope("artist", "Ann"))
    sidebar.set_counts(SidebarCounts(total=5, artists=[("Ann", 2), ("Bob", 1), ("Dee", 1), (None, 1)]), None, 0.4, BROAD)
    assert _artists(sidebar) == ["Ann", "Bob", "Dee", "Unknown artist"]
    assert sidebar.item_for(Scope("artist", "Ann")) is ann, "kept, not rebuilt"
    assert ann.text(1) == "2" and sidebar._artists.text(1) == "4"
    assert sidebar.item_for(Scope("artist", "Cy")) is None
    assert sidebar.item_for(Scope("artist", None)).text(0) == "Unknown artist"


def test_selection_survives_refresh_or_falls_back_to_all(qtbot, sidebar):
    sidebar.set_counts(SidebarCounts(total=3, tag_genres=[("Jazz", 2), ("Rock", 1)]), None, 0.4, BROAD)
    with qtbot.waitSignal(sidebar.scopeSelected) as picked:
        sidebar.select_scope(Scope("tag_genre", "Rock"))
    assert picked.args == [Scope("tag_genre", "Rock")]
    with qtbot.assertNotEmitted(sidebar.scopeSelected):
        sidebar.set_counts(SidebarCounts(total=4, tag_genres=[("Jazz", 2), ("Rock", 2)]), None, 0.4, BROAD)
    assert sidebar.current_scope() == Scope("tag_genre", "Rock")
    with qtbot.waitSignal(sidebar.scopeSelected) as picked:
        sidebar.set_counts(SidebarCounts(total=2, tag_genres=[("Jazz", 2)]), None, 0.4, BROAD)
    assert picked.args == [Scope("all")] and sidebar.current_scope() == Scope("all")


def test_predicted_section_names_the_model_and_lists_its_taxonomys_genres(sidebar):
    counts = SidebarCounts(total=10, predicted={"Opera": 3}, not_analysed=7, low_confidence=1)
    sidebar.set_counts(counts, None, 0.4, CCMUSIC)
    assert sidebar._predicted.text(0) == "CCMusic"
    sidebar.set_counts(counts, ModelInfo(1, "ab" * 32, "TEST weights", "test"), 0.4, CCMUSIC)
    assert sidebar._predicted.text(0) == "CCMusic (TEST model)"
    assert "not real predictions" in sidebar._predicted.toolTip(0)
    sidebar.set_counts(counts, ModelInfo(2, "cd" * 32, "CCMusic VGG19_BN CQT", "hub"), 0.55, CCMUSIC)
    assert sidebar._predicted.text(0) == "CCMusic"
    assert sidebar.item_for(Scope("predicted", "Opera")).text(1) == "3"
    assert sidebar.item_for(Scope("predicted", "Solo")).text(1) == "0"
    assert sidebar.item_for(Scope("low_confidence")).text(0) == "Low confidence (< 55%)"

    broad = SidebarCounts(total=10, predicted={"Metal": 4}, not_analysed=6)
    sidebar.set_counts(broad, ModelInfo(3, "ef" * 32, "Broad genre", "builtin", "broad-genre"), 0.2, BROAD)
    assert sidebar._predicted.text(0) == "Broad genre"
    assert sidebar.item_for(Scope("predicted", "Opera")) is None
    assert sidebar.item_for(Scope("predicted", "Metal")).text(1) == "4"
    names = [sidebar._predicted.child(i).text(0) for i in range(sidebar._predicted.childCount())]
    assert names[:3] == ["Rock", "Metal", "Punk"] and names[-2:] == ["Not analysed", "Low confidence (< 20%)"]
