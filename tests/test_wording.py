"""Counts in words: the one plural rule every message uses."""

from desktop_app.wording import plural


def test_plural_counts_with_separators_and_the_right_form():
    assert plural(1, "track") == "1 track"
    assert plural(0, "track") == "0 tracks"
    assert plural(2345, "genre playlist") == "2,345 genre playlists"
    assert plural(2, "match", "matches") == "2 matches" and plural(1, "match", "matches") == "1 match"
