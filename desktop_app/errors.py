"""The root of Genrescope's own errors, and one base per domain, so a caller can catch one type.

Every error the app raises on purpose (bad input, a missing model, a file it cannot read) derives
from `GenrescopeError` through its domain's base: `LibraryError`, `AudioError`, `InferenceError`,
`AnalysisError`, `GenresError`. Their messages are written for a person; anything else reaching
the top is a bug, and its traceback goes to the log. Existing bases (``ValueError``,
``RuntimeError``) stay beside these, so earlier ``except`` clauses keep working.
"""

from __future__ import annotations


class GenrescopeError(Exception):
    """An error Genrescope reports to a person; ``str()`` says what happened and what to do."""


class LibraryError(GenrescopeError):
    """The library: playlists, smart rules, playlist files, similarity queries."""


class AudioError(GenrescopeError):
    """Decoding audio and making network inputs from it."""


class InferenceError(GenrescopeError):
    """Models: checkpoints, the built-in tagger's weights, devices, the model hub and store."""


class AnalysisError(GenrescopeError):
    """What joins audio, models and the library: learned genres, passes sharing a library."""


class GenresError(GenrescopeError):
    """Genre names and taxonomies."""
