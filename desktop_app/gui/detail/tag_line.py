"""The tags line of the detail panel: what the built-in tagger heard besides the genre (no Qt).

The taggers' genre tags already speak through the broad genres (each with the tag that decided
it); the other tags — voice, instruments, sound, mood, decade — are what a person wants to read
beside them. Both taggers have several tags for one thing ("female vocalists", "female",
"woman"…), so `DESCRIPTORS` groups them under one name whose probability is the highest of its
tags, as the broad genres are derived. `DESCRIPTORS` covers every non-genre tag of both taggers
once (a test keeps it so when either table changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from desktop_app.genres.broad import BROAD_TAGGERS, SOURCE_PREFIX
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.library.analyses import StoredAnalysis

TAG_THRESHOLD = 0.2
"""A descriptor is shown from this probability on. Tags are independent sigmoid outputs and the
MSD tagger rarely gives any tag more than 0.5, so a fifth is already a clear "yes"."""
MAX_PER_GROUP = 3
GROUPS = ("Voice", "Instruments", "Sound", "Mood", "Era", "Style")


@dataclass(frozen=True)
class Descriptor:
    group: str
    name: str
    sources: tuple[str, ...]
    """``msd:<tag>`` / ``mtt:<tag>``: the tags that say it."""


DESCRIPTORS: tuple[Descriptor, ...] = (
    Descriptor(
        "Voice",
        "female vocal",
        (
            "msd:female vocalists",
            "msd:female vocalist",
            "mtt:female",
            "mtt:female vocal",
            "mtt:female voice",
            "mtt:woman",
        ),
    ),
    Descriptor(
        "Voice", "male vocal", ("msd:male vocalists", "mtt:male", "mtt:male vocal", "mtt:male voice", "mtt:man")
    ),
    Descriptor("Voice", "vocals", ("mtt:vocal", "mtt:vocals", "mtt:singing", "mtt:voice")),
    Descriptor("Voice", "choir", ("mtt:choir",)),
    Descriptor("Voice", "instrumental", ("msd:instrumental", "mtt:no vocals", "mtt:no vocal", "mtt:no voice")),
    Descriptor("Instruments", "guitar", ("msd:guitar", "mtt:guitar")),
    Descriptor("Instruments", "acoustic", ("msd:acoustic",)),
    Descriptor("Instruments", "piano", ("mtt:piano",)),
    Descriptor("Instruments", "strings", ("mtt:strings",)),
    Descriptor("Instruments", "violin", ("mtt:violin",)),
    Descriptor("Instruments", "cello", ("mtt:cello",)),
    Descriptor("Instruments", "harp", ("mtt:harp",)),
    Descriptor("Instruments", "harpsichord", ("mtt:harpsichord",)),
    Descriptor("Instruments", "flute", ("mtt:flute",)),
    Descriptor("Instruments", "synth", ("mtt:synth",)),
    Descriptor("Instruments", "drums", ("mtt:drums",)),
    Descriptor("Sound", "beat", ("mtt:beat", "mtt:beats")),
    Descriptor("Sound", "fast", ("mtt:fast",)),
    Descriptor("Sound", "slow", ("mtt:slow",)),
    Descriptor("Sound", "loud", ("mtt:loud",)),
    Descriptor("Sound", "quiet", ("mtt:quiet",)),
    Descriptor("Sound", "soft", ("mtt:soft",)),
    Descriptor("Sound", "solo", ("mtt:solo",)),
    Descriptor("Sound", "weird", ("mtt:weird",)),
    Descriptor("Mood", "beautiful", ("msd:beautiful",)),
    Descriptor("Mood", "chill", ("msd:chillout", "msd:chill")),
    Descriptor("Mood", "mellow", ("msd:Mellow",)),
    Descriptor("Mood", "happy", ("msd:happy",)),
    Descriptor("Mood", "sad", ("msd:sad",)),
    Descriptor("Mood", "party", ("msd:party",)),
    Descriptor("Mood", "catchy", ("msd:catchy",)),
    Descriptor("Mood", "sexy", ("msd:sexy",)),
    Descriptor("Era", "60s", ("msd:60s",)),
    Descriptor("Era", "70s", ("msd:70s",)),
    Descriptor("Era", "80s", ("msd:80s",)),
    Descriptor("Era", "90s", ("msd:90s",)),
    Descriptor("Era", "00s", ("msd:00s",)),
    Descriptor("Era", "oldies", ("msd:oldies",)),
    Descriptor("Style", "alternative", ("msd:alternative",)),
    Descriptor("Style", "indie", ("msd:indie",)),
    Descriptor("Style", "classic", ("mtt:classic",)),
)


@dataclass(frozen=True)
class TagShare:
    name: str
    probability: float
    source: str
    """The tag that gave the probability, ``mtt:female vocal``."""


@dataclass(frozen=True)
class TagGroup:
    name: str
    tags: tuple[TagShare, ...]


def tag_groups(analyses: Mapping[str, StoredAnalysis], threshold: float = TAG_THRESHOLD) -> list[TagGroup]:
    """The descriptors at or above ``threshold``, strongest first within each of `GROUPS` (in order).

    ``analyses`` are the track's rows by model name; a tagger without a usable row is left out.
    """
    probabilities = _tag_probabilities(analyses)
    found: dict[str, list[TagShare]] = {group: [] for group in GROUPS}
    for descriptor in DESCRIPTORS:
        heard = [(probabilities[s], s) for s in descriptor.sources if s in probabilities]
        if not heard:
            continue
        probability, source = max(heard, key=lambda pair: pair[0])
        if probability >= threshold:
            found[descriptor.group].append(TagShare(descriptor.name, probability, source))
    return [
        TagGroup(group, tuple(sorted(shares, key=lambda s: -s.probability)[:MAX_PER_GROUP]))
        for group, shares in found.items()
        if shares
    ]


def has_tags(analyses: Mapping[str, StoredAnalysis]) -> bool:
    """True when at least one tagger's row holds its tags' probabilities."""
    return bool(_tag_probabilities(analyses))


def tag_line(groups: Sequence[TagGroup]) -> str:
    """ "Voice: female vocal 62%, instrumental 40% · Instruments: guitar 55%" (plain text)."""
    return " · ".join(
        f"{group.name}: " + ", ".join(f"{t.name} {t.probability:.0%}" for t in group.tags) for group in groups
    )


def _tag_probabilities(analyses: Mapping[str, StoredAnalysis]) -> dict[str, float]:
    """``{"msd:rock": 0.61, …}`` from every tagger row that holds all its tags."""
    found: dict[str, float] = {}
    for model in BROAD_TAGGERS:
        row = analyses.get(model)
        values = row.probabilities if row else None
        tags = TAGGER_TAGS[model]
        if row is None or row.error or not isinstance(values, Sequence) or len(values) != len(tags):
            continue
        prefix = SOURCE_PREFIX[model]
        found.update({f"{prefix}:{tag}": float(p) for tag, p in zip(tags, values)})
    return found
