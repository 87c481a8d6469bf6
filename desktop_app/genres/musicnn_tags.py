"""The built-in tagger's tags, in the networks' output order (musicnn 0.1.0's ``configuration.py``).

Output index ``i`` of ``musicnn-msd`` means ``MSD_TAGS[i]``; of ``musicnn-mtt``, ``MTT_TAGS[i]``.
MSD: the 50 most frequent Last.fm tags of the Million Song Dataset (genres, moods, decades,
voice). MTT: the 50 most frequent MagnaTagATune tags (genres, instruments, voice, tempo, loudness).
A tag's probability is a sigmoid output: tags are independent, they do not sum to one.
"""

from __future__ import annotations

MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
    "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
)

MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)

TAGGER_TAGS: dict[str, tuple[str, ...]] = {"musicnn-msd": MSD_TAGS, "musicnn-mtt": MTT_TAGS}
"""Tags of each built-in tagger, by model name."""
