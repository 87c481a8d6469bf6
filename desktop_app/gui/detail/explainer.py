"""Computing explanations for the detail panel off the GUI thread, with the window's loaded models.

Grad-CAM and the activation explorer run the 488 MB CCMusic network, the tagger's heat the
built-in MusiCNN networks, so they run on a one-thread `QThreadPool` (one: on two cores a second
would only slow the analysis queue down further) and use the models the window already has,
through callables the window provides (the analysis queue's `classifier` and `tagger`), so the
weights are never loaded twice. Results are cached per track (by the spectrogram's content),
model and window or patch: switching the genre reruns only the CCMusic network's head, a tag
computed once is not computed again (the tagger's heat needs a backward pass per tag), and a
track shown again recomputes nothing. The tagger reads the file again at 16 kHz, its own input
(the shown CQT is at 22,050 Hz); the mel patches of the last few tracks are kept. Every request
carries a token; the panel drops what arrives for an older one, and a newer explanation cancels
the older between two batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.gui.detail.spectrogram_loader import Spectrogram
from desktop_app.gui.workers import Job, JobContext, JobRunner, describe

if TYPE_CHECKING:
    from desktop_app.audio.image_geometry import WindowGeometry
    from desktop_app.audio.windows import Windows
    from desktop_app.inference.activations import ActivationReport
    from desktop_app.inference.bounded_cache import BoundedCache
    from desktop_app.inference.engine import GenreClassifier
    from desktop_app.inference.explain import Explanation, WindowEvidence
    from desktop_app.inference.explain_tagger import PatchExplanation
    from desktop_app.inference.identity import ModelIdentity
    from desktop_app.inference.tagger import Tagger

ClassifierSource = Callable[[], "GenreClassifier"]
TaggerSource = Callable[[], "Tagger"]
BATCH = 4  # windows per step: the overlay grows about twice a second on a CPU (~0.1 s a window)
PATCH_BATCH = 2  # tagger patches per step: ~0.5 s on a CPU (a backward pass through the whole network)
REPORT_CACHE_BYTES = 64 * 1024 * 1024  # activation reports are ~5 MB each
MEL_CACHE_BYTES = 32 * 1024 * 1024  # the tagger's input is ~1.4 MB a minute


@dataclass(frozen=True, eq=False)
class ExplainUpdate:
    """Progress of an explanation: the windows explained since the previous update."""

    token: int
    subject: str
    """What is explained: the genre's display name or the tag."""
    explanations: list[Explanation] | list[PatchExplanation]
    """Each gives its heat on the CQT (``cqt_cells``)."""
    done: int
    total: int
    model: ModelIdentity


@dataclass(frozen=True, eq=False)
class ActivationResult:
    token: int
    window: int
    report: ActivationReport
    model: ModelIdentity


class Explainer(QObject):
    """``explain(spectrogram, genre)`` and ``explain_tag(spectrogram, model, tag)`` → ``updated``;
    ``activations(spectrogram, window)`` → ``activationsReady``.

    ``failed(token, message)`` reports either kind of request that could not be done.
    """

    updated = Signal(object)
    activationsReady = Signal(object)
    failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)
        self.jobs = JobRunner(pool, self)
        self._source: ClassifierSource | None = None
        self._tagger_source: TaggerSource | None = None
        self._token = 0
        self._explaining: Job | None = None
        self._caches: tuple[BoundedCache[WindowEvidence], BoundedCache[ActivationReport]] | None = None
        self._tag_cache: BoundedCache[PatchExplanation] | None = None
        self._mel: BoundedCache[np.ndarray] | None = None

    def set_source(self, source: ClassifierSource | None) -> None:
        """Where the classifier comes from; called on the worker thread, it may load the model."""
        self._source = source

    @property
    def has_source(self) -> bool:
        return self._source is not None

    def set_tagger_source(self, source: TaggerSource | None) -> None:
        """Where the built-in tagger comes from; called on the worker thread, it may load it."""
        self._tagger_source = source

    @property
    def has_tagger(self) -> bool:
        return self._tagger_source is not None

    def explain(self, spectrogram: Spectrogram, genre_index: int) -> int:
        """Explain every window for the genre ``GENRES[genre_index]``; returns the token."""
        self.cancel()
        token = self._next_token()
        self._explaining = self.jobs.start(
            lambda context: self._explain(context, token, spectrogram, genre_index),
            name="explain",
            on_progress=self.updated.emit,
            on_failed=lambda error: self._failed(token, error),
        )
        return token

    def explain_tag(self, spectrogram: Spectrogram, model: str, tag: int) -> int:
        """The heat of ``TAGGER_TAGS[model][tag]`` on every 3 s patch; returns the token."""
        self.cancel()
        token = self._next_token()
        self._explaining = self.jobs.start(
            lambda context: self._explain_tag(context, token, spectrogram, model, tag),
            name="explain tag",
            on_progress=self.updated.emit,
            on_failed=lambda error: self._failed(token, error),
        )
        return token

    def activations(self, spectrogram: Spectrogram, window: int) -> int:
        """Compute the activation explorer's report for one window; returns the token."""
        token = self._next_token()
        self.jobs.start(
            lambda _context: self._activations(token, spectrogram, window),
            name="activations",
            on_done=self.activationsReady.emit,
            on_failed=lambda error: self._failed(token, error),
        )
        return token

    def cancel(self) -> None:
        """Stop the running explanation after its current batch."""
        if self._explaining is not None:
            self._explaining.cancel()
            self._explaining = None

    def wait_for_idle(self, msecs: int = -1) -> bool:
        """Block until no job runs (tests, shutdown); results still arrive through the event loop."""
        return self.jobs.pool.waitForDone(msecs)

    def _next_token(self) -> int:
        self._token += 1
        return self._token

    def _failed(self, token: int, error: Exception) -> None:
        self.failed.emit(token, describe(error))

    # --- worker thread ----------------------------------------------------------------------

    def _classifier(self) -> GenreClassifier:
        if self._source is None:
            raise RuntimeError("no genre model is available to explain with")
        return self._source()

    def _cached(self) -> tuple[BoundedCache[WindowEvidence], BoundedCache[ActivationReport]]:
        if self._caches is None:  # torch is imported by then: the worker loaded the classifier
            from desktop_app.inference.bounded_cache import BoundedCache
            from desktop_app.inference.explain import evidence_cache

            self._caches = (evidence_cache(), BoundedCache(lambda r: r.nbytes, max_bytes=REPORT_CACHE_BYTES))
        return self._caches

    def _explain(self, context: JobContext, token: int, spectrogram: Spectrogram, genre_index: int) -> None:
        from desktop_app.audio.render import network_inputs
        from desktop_app.genres.ccmusic import GENRES
        from desktop_app.inference import explain as ex

        if context.cancelled():  # asked for, then replaced before it started (clicking through tracks)
            return
        classifier = self._classifier()
        evidence_cache, _ = self._cached()
        windows, geometries = _windows(spectrogram)
        track = _content_key(spectrogram)
        sha = classifier.identity.sha256
        genre = GENRES[genre_index]
        _in_batches(
            context,
            token,
            genre.display_name,
            classifier.identity,
            len(geometries),
            BATCH,
            evidence_cache,
            key=lambda w: (track, sha, w),
            compute=lambda missing: ex.gather_evidence(
                classifier, missing, network_inputs(windows.frames[missing]), [geometries[w] for w in missing]
            ),
            present=lambda evidence: ex.explain(classifier, evidence, genre),
        )

    def _explain_tag(self, context: JobContext, token: int, spectrogram: Spectrogram, model: str, tag: int) -> None:
        from desktop_app.audio.prepare import prepare_for_tagger
        from desktop_app.genres.musicnn_tags import TAGGER_TAGS
        from desktop_app.inference import explain_tagger as et

        if context.cancelled():
            return
        if self._tagger_source is None:
            raise RuntimeError("the built-in tagger is not available")
        tagger = self._tagger_source()
        if self._tag_cache is None or self._mel is None:
            from desktop_app.inference.bounded_cache import BoundedCache

            self._tag_cache = et.explanation_cache()
            self._mel = BoundedCache(lambda patches: patches.nbytes, max_bytes=MEL_CACHE_BYTES)
        track = _content_key(spectrogram)
        patches = self._mel.get(track)
        if patches is None:  # the tagger's (patches, 187, 96) input, from the shown track's file
            patches = prepare_for_tagger(spectrogram.path).inputs
            self._mel.put(track, patches)
        sha = tagger.identities[model].sha256
        _in_batches(
            context,
            token,
            TAGGER_TAGS[model][tag],
            tagger.identities[model],
            len(patches),
            PATCH_BATCH,
            self._tag_cache,
            key=lambda p: (track, sha, tag, p),
            compute=lambda missing: et.explain_tag(tagger.networks[model], model, patches[missing], missing, tag),
            present=list,
        )

    def _activations(self, token: int, spectrogram: Spectrogram, window: int) -> ActivationResult:
        from desktop_app.audio.render import network_inputs
        from desktop_app.inference.activations import activation_report

        classifier = self._classifier()
        _, reports = self._cached()
        key = (_content_key(spectrogram), classifier.identity.sha256, window)
        report = reports.get(key)
        if report is None:
            windows, _ = _windows(spectrogram)
            inputs = network_inputs(windows.frames[window : window + 1])
            report = activation_report(classifier.network, classifier.input_tensor(inputs))
            reports.put(key, report)
        return ActivationResult(token, window, report, classifier.identity)


def _in_batches(
    context: JobContext,
    token: int,
    subject: str,
    model: ModelIdentity,
    count: int,
    batch: int,
    cache: BoundedCache[Any],
    *,
    key: Callable[[int], Hashable],
    compute: Callable[[list[int]], Sequence[Any]],
    present: Callable[[list[Any]], list[Any]],
) -> None:
    """Report ``present`` of items 0..count-1, ``batch`` at a time, taking each from ``cache`` or
    ``compute`` (in the order asked, into the cache); stops between batches when cancelled."""
    for start in range(0, count, batch):
        if context.cancelled():
            return
        indices = range(start, min(start + batch, count))
        found = {i: cache.get(key(i)) for i in indices}
        missing = [i for i, item in found.items() if item is None]
        if missing:
            for i, item in zip(missing, compute(missing), strict=True):
                cache.put(key(i), item)
                found[i] = item
        context.report(
            ExplainUpdate(token, subject, present([found[i] for i in indices]), indices.stop, count, model), force=True
        )


def _windows(spectrogram: Spectrogram) -> tuple[Windows, list[WindowGeometry]]:
    """The analysis windows of the shown spectrogram (imports torch: worker thread only)."""
    from desktop_app.audio.cqt_layout import SAMPLE_RATE
    from desktop_app.audio.windows import split_windows
    from desktop_app.inference.explain import window_geometries

    # The duration is samples / 22050 exactly, so rounding gives back the sample count.
    samples = round(spectrogram.duration * SAMPLE_RATE)
    bins, frames = spectrogram.db.shape
    return split_windows(spectrogram.db, samples), window_geometries(bins, frames, samples)


def _content_key(spectrogram: Spectrogram) -> tuple[str, str]:
    """The track as its spectrogram's content: an edited file is a different track."""
    return spectrogram.path, hashlib.blake2b(spectrogram.db.tobytes(), digest_size=16).hexdigest()
