"""The playlist dialogs hand back exactly what was filled in, and show stored rules as they are."""

from __future__ import annotations

import pytest

from desktop_app.genres.taxonomy import BROAD, CCMUSIC
from desktop_app.gui.playlists.dialogs import ExportDialog, GenrePlaylistDialog, RuleRow, SmartRulesDialog
from desktop_app.library.smart_rules import Rule, SmartRules

EVERY_FIELD = [
    Rule("predicted", values=("Opera", "Soft_rock")),
    Rule("confidence", minimum=0.6),
    Rule("confidence", minimum=0.2, maximum=0.5),
    Rule("tag_genre", values=("Rock", "Hip hop")),
    Rule("artist", text="Zoë"),
    Rule("album", text="#1"),
    Rule("year", minimum=1990, maximum=1999),
    Rule("duration", maximum=240),
    Rule("text", text='artist:"Miles Davis" blue'),
    Rule("available", flag=False),
    Rule("tag", values=("mtt:female vocal",), minimum=0.55),
    Rule("similar", values=("42",), minimum=0.75),
]


@pytest.mark.parametrize("rule", EVERY_FIELD, ids=lambda r: f"{r.field}")
def test_each_rule_row_shows_and_returns_its_rule(qtbot, rule):
    row = RuleRow(rule, taxonomy=CCMUSIC)
    qtbot.addWidget(row)
    assert row.field.currentData() == rule.field
    assert row.rule() == rule


def test_the_smart_dialog_round_trips_stored_rules(qtbot):
    stored = SmartRules(tuple(EVERY_FIELD), "any", "album_order", True, 25, True)
    dialog = SmartRulesDialog("Everything", stored)
    qtbot.addWidget(dialog)
    assert dialog.rules() == stored
    dialog.rows[0].removeRequested.emit(dialog.rows[0])
    assert dialog.rules().rules == stored.rules[1:]
    dialog.name.setText("  ")
    dialog.accept()
    assert dialog.error.text() == "The playlist needs a name."


def test_genre_dialog_name_follows_the_genre_until_typed(qtbot):
    dialog = GenrePlaylistDialog("Opera", taxonomy=CCMUSIC)
    qtbot.addWidget(dialog)
    dialog.genre.setCurrentIndex(dialog.genre.findData("Soul_or_r_and_b"))
    assert dialog.name.text() == "Soul / R&B"
    qtbot.keyClicks(dialog.name, " mix")
    dialog.genre.setCurrentIndex(dialog.genre.findData("Solo"))
    choice = dialog.choice()
    assert (choice.model, choice.genre, choice.name, choice.min_confidence, choice.order, choice.smart) == (
        "ccmusic", "Solo", "Soul / R&B mix", 0.4, "confidence", False)
    everything = GenrePlaylistDialog(all_genres=True)
    qtbot.addWidget(everything)
    assert everything.choice().genre is None
    assert (everything.choice().model, everything.choice().min_confidence) == ("broad-genre", 0.2)
    assert everything.windowTitle() == "Playlists for all Broad genre genres"


def test_a_new_smart_playlist_uses_the_genres_on_show_and_an_old_one_keeps_its_own(qtbot):
    new = SmartRulesDialog("Loud", taxonomy=BROAD)
    qtbot.addWidget(new)
    assert new.rules().model == "broad-genre" and new.rules().rules[0].values == ("Rock",)
    tags = new.add_rule(Rule("tag", values=("msd:instrumental",), minimum=0.4))
    assert tags.rule() == Rule("tag", values=("msd:instrumental",), minimum=0.4)
    old = SmartRulesDialog("Old", SmartRules((Rule("predicted", values=("Opera",)),)), taxonomy=BROAD)
    qtbot.addWidget(old)
    assert old.rules().model == "ccmusic", "stored rules keep the genres they were written for"
    genres = old.rows[0].editor("predicted")
    assert genres.count() == 16


def test_export_dialog_file_name_follows_the_format(qtbot, tmp_path):
    dialog = ExportDialog("Soul / R&B: best?", str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.path.text() == str(tmp_path / "Soul _ R&B_ best_.m3u8")
    dialog.format.setCurrentIndex(dialog.format.findData("xspf"))
    choice = dialog.choice()
    assert (choice.path, choice.format, choice.relative, choice.keep_unavailable) == (
        str(tmp_path / "Soul _ R&B_ best_.xspf"), "xspf", True, False)
