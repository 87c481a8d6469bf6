""" "My genres": a classifier learned from the genres the person already gave part of their library.

The labels are the tracks' own genre tags (each track's first one; "rock" and "Rock" are one
genre, shown as the spelling used most) or, if the person chooses, their manual playlists (the
playlist's name is the genre; a track in two of them is left out as ambiguous). The features are
the built-in tagger's song embeddings the analysis already stored (`library.similarity`), so
learning and applying need no audio at all.

The classifier is scikit-learn's logistic regression on standardised embeddings (L2-regularised,
the expected choice for a few hundred examples of a 200-dimensional embedding), with its
probabilities calibrated by one temperature fitted on the cross-validated predictions (a
logistic regression trained on few examples is over-confident; temperature scaling fixes the
scale without changing any decision). Before anything is stored the person gets its
stratified-cross-validation accuracy, the majority-class accuracy it must beat, and each genre's
precision and recall; genres with fewer than `MIN_EXAMPLES` examples are reported and left out,
never dropped silently. The model is kept as plain numbers (a linear map), never pickled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from sqlalchemy import Connection, select

from desktop_app.errors import AnalysisError
from desktop_app.genres.taxonomy import normalize
from desktop_app.library import learned as store
from desktop_app.library.analyses import tracks_to_analyse
from desktop_app.library.database import Library
from desktop_app.library.embeddings import matrix_of
from desktop_app.library.models import PlaylistEntry
from desktop_app.library.playlists import list_playlists
from desktop_app.library.similarity import EMBEDDING_MODEL

Source = Literal["tags", "playlists"]
SOURCES: tuple[Source, ...] = ("tags", "playlists")
MIN_EXAMPLES = 5
"""A genre needs this many labelled tracks to be learned (and to be tested in cross-validation)."""
MAX_FOLDS = 5
REGULARISATION = 1.0
"""scikit-learn's C: inverse L2 strength, on standardised features."""


class LearnError(AnalysisError):
    """Genres cannot be learned from what the library holds; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class GenreScore:
    genre: str
    examples: int
    precision: float
    recall: float


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated figures of a classifier, for the person to judge before using it."""

    examples: int
    folds: int
    accuracy: float
    chance: float
    """The accuracy of always answering the most common genre: what ``accuracy`` must beat."""
    genres: tuple[GenreScore, ...]
    too_few: dict[str, int]
    """Genres left out for having fewer than `MIN_EXAMPLES` examples, with their counts."""
    not_analysed: int
    """Labelled tracks left out because the tagger has not analysed them yet (no embedding)."""
    ambiguous: int
    """Tracks left out because they carry two labels (in two playlists)."""
    temperature: float

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Evaluation:
        return cls(**{**data, "genres": tuple(GenreScore(**g) for g in data["genres"])})


@dataclass(frozen=True)
class LinearClassifier:
    """softmax((((x - mean) / scale) @ coef.T + intercept) / temperature) over ``genres``."""

    genres: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        x = (np.asarray(embeddings, np.float64) - self.mean) / self.scale
        logits = (x @ self.coef.T + self.intercept) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def parameters(self) -> dict:
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "temperature": self.temperature,
        }

    @classmethod
    def from_parameters(cls, genres: Sequence[str], data: dict) -> LinearClassifier:
        mean, scale, coef, intercept = (np.asarray(data[k], np.float64) for k in ("mean", "scale", "coef", "intercept"))
        return cls(tuple(genres), mean, scale, coef, intercept, float(data["temperature"]))


@dataclass(frozen=True)
class Training:
    """A learned classifier with its evaluation and examples, not stored yet (`save`)."""

    source: Source
    embedding_model_id: int
    examples: list[tuple[int, str]]
    evaluation: Evaluation
    classifier: LinearClassifier


def labels(conn: Connection, source: Source) -> tuple[dict[int, str], int]:
    """({track id: genre}, tracks left out as ambiguous) from tags or manual playlists."""
    if source == "tags":
        raw, ambiguous = store.first_tag_genres(conn), 0
    elif source == "playlists":
        found: dict[int, set[str]] = defaultdict(set)
        entries = PlaylistEntry.__table__
        for playlist in list_playlists(conn):
            if playlist.is_smart:
                continue
            for track_id in conn.execute(
                select(entries.c.track_id).where(entries.c.playlist_id == playlist.id)
            ).scalars():
                found[track_id].add(playlist.name)
        raw = {t: next(iter(names)) for t, names in found.items() if len(names) == 1}
        ambiguous = sum(1 for names in found.values() if len(names) > 1)
    else:
        raise LearnError(f"labels come from 'tags' or 'playlists', not {source!r}")
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for name in raw.values():
        spellings[normalize(name)][name.strip()] += 1
    shown = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    return {t: shown[normalize(name)] for t, name in raw.items()}, ambiguous


def learn(conn: Connection, embedding_model_id: int, source: Source = "tags") -> Training:
    """Train and cross-validate a classifier from the library's labels; raises `LearnError`."""
    labelled, ambiguous = labels(conn, source)
    where = "genre tags in their files" if source == "tags" else "manual playlists"
    if not labelled:
        raise LearnError(
            f"no track has {where}: give some tracks a genre first"
            + (
                " (tag them in your files and rescan)"
                if source == "tags"
                else " (drag tracks onto playlists named after their genre)"
            )
        )
    track_ids, vectors = matrix_of(conn, embedding_model_id)
    row_of = {int(t): i for i, t in enumerate(track_ids)}
    usable = [(t, g) for t, g in sorted(labelled.items()) if t in row_of]
    not_analysed = len(labelled) - len(usable)
    if not usable:
        raise LearnError(f"{len(labelled)} tracks have {where}, but none has been analysed yet: analyse them first")
    counts = Counter(g for _, g in usable)
    too_few = {g: n for g, n in sorted(counts.items()) if n < MIN_EXAMPLES}
    kept = [(t, g) for t, g in usable if g not in too_few]
    genres = tuple(sorted({g for _, g in kept}, key=str.casefold))
    if len(genres) < 2:
        have = ", ".join(f"{g} ({n})" for g, n in counts.most_common()) or "none"
        raise LearnError(
            f"learning needs at least two genres with {MIN_EXAMPLES} or more analysed tracks each; "
            f"the labelled, analysed tracks are: {have}"
        )
    x = vectors[[row_of[t] for t, _ in kept]].astype(np.float64)
    y = np.array([genres.index(g) for _, g in kept])
    classifier, evaluation = _fit(x, y, genres, too_few, not_analysed, ambiguous)
    return Training(source, embedding_model_id, kept, evaluation, classifier)


def make_classifier():
    """The unfitted classifier: standardised features, L2-regularised logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=REGULARISATION, max_iter=2000))


def _fit(
    x: np.ndarray, y: np.ndarray, genres: tuple[str, ...], too_few: dict[str, int], not_analysed: int, ambiguous: int
) -> tuple[LinearClassifier, Evaluation]:
    from scipy.optimize import minimize_scalar
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(MAX_FOLDS, int(np.bincount(y).min()))
    log_probs = cross_val_predict(
        make_classifier(), x, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0), method="predict_log_proba"
    )
    predicted = log_probs.argmax(axis=1)

    def nll(t: float) -> float:
        z = log_probs / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    temperature = float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)
    precision, recall, _, support = precision_recall_fscore_support(
        y, predicted, labels=range(len(genres)), zero_division=0
    )
    fitted = make_classifier().fit(x, y)
    scaler, regression = fitted[0], fitted[1]
    coef, intercept = regression.coef_, regression.intercept_
    if len(genres) == 2:  # scikit-learn keeps one row for two classes: logits (0, w·x + b)
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.array([0.0, intercept[0]])
    classifier = LinearClassifier(
        genres, scaler.mean_, np.where(scaler.scale_ > 0, scaler.scale_, 1.0), coef, intercept, temperature
    )
    evaluation = Evaluation(
        examples=len(y),
        folds=folds,
        accuracy=round(float((predicted == y).mean()), 4),
        chance=round(float(np.bincount(y).max() / len(y)), 4),
        genres=tuple(
            GenreScore(g, int(support[i]), round(float(precision[i]), 4), round(float(recall[i]), 4))
            for i, g in enumerate(genres)
        ),
        too_few=too_few,
        not_analysed=not_analysed,
        ambiguous=ambiguous,
        temperature=round(temperature, 4),
    )
    return classifier, evaluation


def save(library: Library, training: Training) -> int:
    """Store the trained model (the person has seen its evaluation); returns its model id."""
    evaluation = training.evaluation
    label = (
        f"My genres: {len(training.classifier.genres)} genres from {evaluation.examples} tracks' "
        f"{'genre tags' if training.source == 'tags' else 'playlists'}, "
        f"cross-validated accuracy {evaluation.accuracy:.0%}"
    )
    with library.writer.begin() as conn:
        return store.save_training(
            conn,
            genres=training.classifier.genres,
            source=training.source,
            embedding_model_id=training.embedding_model_id,
            examples=training.examples,
            evaluation=evaluation.as_json(),
            parameters=training.classifier.parameters(),
            label=label,
        )


def apply(
    library: Library, model_id: int, *, all_tracks: bool = False, progress: Callable[[int, int], object] | None = None
) -> int:
    """Classify every track with an embedding that this learned model has not classified yet (all of
    them with ``all_tracks``); returns how many. No audio is read: a matrix product per batch."""
    with library.engine.connect() as conn:
        stored = store.training_of(conn, model_id)
        if stored is None:
            raise LearnError(f"model {model_id} is not a learned model")
        classifier = LinearClassifier.from_parameters(stored.genres, stored.parameters)
        track_ids, vectors = matrix_of(conn, stored.embedding_model_id, available_only=False)
        if not all_tracks:
            todo = {t for t, _ in tracks_to_analyse(conn, model_id)}
            keep = np.array([int(t) in todo for t in track_ids], dtype=bool)
            track_ids, vectors = track_ids[keep], vectors[keep]
    batch = 2000
    for start in range(0, len(track_ids), batch):
        probs = classifier.probabilities(vectors[start : start + batch])
        best = probs.argmax(axis=1)
        rows = [
            (int(t), classifier.genres[b], float(p[b]), [round(float(v), 6) for v in p])
            for t, b, p in zip(track_ids[start : start + batch], best, probs)
        ]
        with library.writer.begin() as conn:
            store.save_predictions(conn, model_id, rows)
        if progress is not None:
            progress(min(start + batch, len(track_ids)), len(track_ids))
    return len(track_ids)


@dataclass(frozen=True)
class Refreshed:
    """What `bring_up_to_date` did: the current model, a retraining if the labels had changed, and
    how many tracks got (new) predictions."""

    model_id: int
    retrained: Training | None
    classified: int


def bring_up_to_date(library: Library, progress: Callable[[int, int], object] | None = None) -> Refreshed:
    """Classify the tracks the learned model has not classified yet; first retrain it (from the same
    source) if the person's labels have changed since, so its genres follow their library."""
    with library.engine.connect() as conn:
        stored = store.latest_training(conn)
        if stored is None:
            raise LearnError(
                "no genres learned yet: learn them first (genrescope learn-genres, or Analysis → Learn my genres…)"
            )
        retrained = None
        if labels_changed(conn, stored):
            retrained = learn(conn, embedding_model_id(conn), stored.source)  # type: ignore[arg-type]
    model_id = save(library, retrained) if retrained is not None else stored.model_id
    return Refreshed(model_id, retrained, apply(library, model_id, progress=progress))


def labels_changed(conn: Connection, stored: store.StoredTraining) -> bool:
    """Whether the labels the model learned from differ now (tags edited, playlists changed)."""
    current, _ = labels(conn, stored.source)  # type: ignore[arg-type]
    examples = [(t, g) for t, g in current.items()]
    track_ids, _ = matrix_of(conn, stored.embedding_model_id)
    embedded = set(int(t) for t in track_ids)
    counts = Counter(g for t, g in examples if t in embedded)
    kept = [(t, g) for t, g in examples if t in embedded and counts[g] >= MIN_EXAMPLES]
    return store.fingerprint(kept) != stored.fingerprint


def embedding_model_id(conn: Connection) -> int:
    """The library id of the tagger model whose embeddings "My genres" learn from."""
    from desktop_app.analysis.current import current_models

    info = current_models(conn).get(EMBEDDING_MODEL)
    if info is None or info.id is None:
        raise LearnError("no track has been analysed by the built-in tagger yet: analyse the library first")
    return info.id


def describe(evaluation: Evaluation, genres: Sequence[str]) -> list[str]:
    """The evaluation as lines a person reads (the CLI prints them, the window shows them)."""
    lines = [
        f"{len(genres)} genres learned from {evaluation.examples} tracks; {evaluation.folds}-fold "
        f"cross-validated accuracy {evaluation.accuracy:.0%} (always answering the most common genre: "
        f"{evaluation.chance:.0%})"
    ]
    width = max(len(g.genre) for g in evaluation.genres)
    lines += [
        f"  {g.genre:<{width}}  {g.examples:>5} tracks   precision {g.precision:.0%}   recall {g.recall:.0%}"
        for g in evaluation.genres
    ]
    if evaluation.too_few:
        lines.append(
            f"Left out, fewer than {MIN_EXAMPLES} analysed tracks: "
            + ", ".join(f"{g} ({n})" for g, n in evaluation.too_few.items())
        )
    if evaluation.not_analysed:
        lines.append(f"{evaluation.not_analysed} labelled tracks are not analysed yet and were left out.")
    if evaluation.ambiguous:
        lines.append(f"{evaluation.ambiguous} tracks are in more than one playlist and were left out.")
    if evaluation.accuracy <= evaluation.chance + 0.05:
        lines.append("Warning: hardly better than always answering the most common genre.")
    return lines
