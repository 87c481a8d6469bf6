"""A model's classes as a person names them, and finding one from what they type.

Every model Genrescope stores results of has a `Taxonomy`, keyed by the model's name
(``ccmusic``, ``broad-genre``, ``musicnn-msd``, ``musicnn-mtt``, ``my-genres``). The library stores
class keys; the window and the CLI show display names and accept either, in any case.

"My genres" are the person's own, learned from their library (`analysis.my_genres`), so its
labels are not known here: `use_learned_genres` sets them from the library's current learned
model whenever the current models are read (`analysis.current`), and every view sees the one
`MY_GENRES` object change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from desktop_app.errors import GenresError
from desktop_app.genres.broad import BROAD_GENRES, BROAD_MODEL
from desktop_app.genres.ccmusic import GENRES
from desktop_app.genres.musicnn_tags import MSD_TAGS, MTT_TAGS


@dataclass(frozen=True)
class Label:
    index: int
    key: str
    display_name: str


class UnknownLabelError(GenresError, ValueError):
    """The text names no class of the taxonomy; the message suggests close matches."""


def normalize(text: str) -> str:
    """ "Soft_rock", "soft rock" and "  SOFT  ROCK " all mean the same class."""
    return " ".join(text.replace("_", " ").casefold().split())


@dataclass(frozen=True)
class Taxonomy:
    model: str
    """The name of the model whose classes these are."""
    title: str
    """What the window's taxonomy switch says: "Broad genre", "CCMusic"."""
    labels: tuple[Label, ...]
    is_genre: bool = True
    """False for a tagger's raw tags, which mix genres with moods and instruments."""
    low_confidence: float = 0.4
    """The default top-1 probability under which the window says "Low confidence" and genre
    playlists leave a track out. CCMusic's are softmax probabilities; a broad genre's is a tag's
    sigmoid probability, which runs lower (on the nine reference recordings the top broad genre
    ranges from 0.18 to 0.75), hence 0.2 there."""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(label.key for label in self.labels)

    def display_name(self, key: str) -> str:
        return self._by_key().get(key, key)

    def _by_key(self) -> dict[str, str]:
        return {label.key: label.display_name for label in self.labels}

    def find(self, text: str) -> Label:
        """The class whose key or display name matches ``text``, ignoring case, '_' vs ' ' and spacing."""
        names: dict[str, Label] = {}
        for label in self.labels:
            names.setdefault(normalize(label.key), label)
            names.setdefault(normalize(label.display_name), label)
        found = names.get(normalize(text))
        if found is not None:
            return found
        close = difflib.get_close_matches(normalize(text), list(names), n=3, cutoff=0.6)
        suggestions = dict.fromkeys(names[c].display_name for c in close)
        hint = f" Did you mean: {', '.join(map(repr, suggestions))}?" if suggestions else ""
        kind = "genre" if self.is_genre else "tag"
        raise UnknownLabelError(
            f"Unknown {kind} {text!r} for {self.title}.{hint} Known: "
            f"{', '.join(label.display_name for label in self.labels)}."
        )

    def matching(self, text: str) -> list[str]:
        """Keys whose key or display name contains ``text`` ("rock" finds every rock genre)."""
        needle = normalize(text)
        return [
            label.key
            for label in self.labels
            if needle in normalize(label.display_name) or needle in normalize(label.key)
        ]


def _tags(model: str, title: str, tags: tuple[str, ...]) -> Taxonomy:
    return Taxonomy(model, title, tuple(Label(i, t, t) for i, t in enumerate(tags)), is_genre=False)


CCMUSIC = Taxonomy("ccmusic", "CCMusic", tuple(Label(g.index, g.key, g.display_name) for g in GENRES))
BROAD = Taxonomy(
    BROAD_MODEL,
    "Broad genre",
    tuple(Label(i, g.key, g.display_name) for i, g in enumerate(BROAD_GENRES)),
    low_confidence=0.2,
)
MY_GENRES_MODEL = "my-genres"
MY_GENRES = Taxonomy(MY_GENRES_MODEL, "My genres", (), low_confidence=0.5)
"""Labels set by `use_learned_genres`. 0.5: a calibrated probability (`analysis.my_genres`) under
one half means the classifier thinks another genre at least as likely."""
TAXONOMIES: dict[str, Taxonomy] = {
    t.model: t
    for t in (
        BROAD,
        CCMUSIC,
        MY_GENRES,
        _tags("musicnn-msd", "MusiCNN MSD tags", MSD_TAGS),
        _tags("musicnn-mtt", "MusiCNN MTT tags", MTT_TAGS),
    )
}
"""Every model's classes, by model name; the genre taxonomies a person switches between first."""
GENRE_TAXONOMIES: tuple[Taxonomy, ...] = tuple(t for t in TAXONOMIES.values() if t.is_genre)


def use_learned_genres(names: tuple[str, ...]) -> None:
    """Make `MY_GENRES` the classes of the library's current learned model (keys are the names)."""
    if tuple(label.key for label in MY_GENRES.labels) != names:
        object.__setattr__(MY_GENRES, "labels", tuple(Label(i, n, n) for i, n in enumerate(names)))


def taxonomy(model: str) -> Taxonomy:
    try:
        return TAXONOMIES[model]
    except KeyError:
        raise UnknownLabelError(f"Unknown model {model!r}; known: {', '.join(TAXONOMIES)}") from None
