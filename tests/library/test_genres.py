from desktop_app.library.genres import split_genres


def test_split_genres_on_common_separators_keeping_order_and_first_spelling():
    assert split_genres(["Rock; Pop"]) == ["Rock", "Pop"]
    assert split_genres(["Rock/Metal", "rock", "Jazz, Blues | Soul"]) == ["Rock", "Metal", "Jazz", "Blues", "Soul"]
    assert split_genres(["  ", "Hip-Hop"]) == ["Hip-Hop"]
    assert split_genres([]) == []
