"""A bounded producer–consumer pipeline: prepare the next tracks while the network runs.

Decoding, CQT and image rendering for upcoming tracks run on worker threads (decoding and the
CQT's numpy/FFT work release the GIL; this Pillow build keeps it while it encodes JPEG, a small
share) while the calling thread feeds the network batches
of windows gathered across tracks, so a GPU never waits on one file and short tracks share a
batch. At most ``prefetch`` prepared tracks wait in memory, so a 10,000-track run stays flat.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

log = logging.getLogger(__name__)
K = TypeVar("K")


class Prepared(Protocol):
    @property
    def inputs(self) -> np.ndarray: ...  # [n_windows, 3, 224, 224] float32 (or the tagger's patches)


P = TypeVar("P", bound=Prepared)


@dataclass(slots=True)
class PipelineResult(Generic[K, P]):
    """One track's outcome: window probabilities, or the reason it could not be analysed."""

    key: K
    path: str
    prepared: P | None
    window_probs: np.ndarray | None
    error: str | None
    seconds: float
    precision: str | None = None
    """What the network ran in for this track's windows (``ran_in`` before its batch), if asked."""


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a person, without a traceback; an error's ``reason`` when it has one
    (`AudioDecodeError`'s own words, without the path that is stored beside them anyway)."""
    reason = getattr(exc, "reason", None)
    text = reason.strip() if isinstance(reason, str) else str(exc).strip()
    return text if text else type(exc).__name__


def run_pipeline(
    items: Iterable[tuple[K, str]],
    prepare: Callable[[str], P],
    predict: Callable[[np.ndarray], np.ndarray],
    *,
    batch_windows: int = 16,
    prefetch: int = 2,
    workers: int = 1,
    should_cancel: Callable[[], bool] = lambda: False,
    ran_in: Callable[[], str] | None = None,
) -> Iterator[PipelineResult[K, P]]:
    """Results in input order; stops early (after the batch in flight) when cancelled.

    ``ran_in``: what ``predict`` runs in (``fp32``, ``int8``...), asked before each batch, because it
    may change between batches (int8 that calibrates on a run's first windows); each result says
    what its windows ran in. A track's windows are always predicted in one batch."""
    source = iter(items)
    queue: deque[tuple[K, str, float, Future[P]]] = deque()

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="prepare") as pool:

        def refill() -> None:
            while len(queue) < prefetch + workers and not should_cancel():
                item = next(source, None)
                if item is None:
                    return
                key, path = item
                queue.append((key, path, time.perf_counter(), pool.submit(prepare, path)))

        try:
            refill()
            while queue and not should_cancel():
                batch = [queue.popleft()]
                windows = _window_count(batch[0][3])
                # Add tracks that are already prepared, without waiting, up to a full batch.
                while queue and queue[0][3].done() and windows < batch_windows:
                    windows += _window_count(queue[0][3])
                    batch.append(queue.popleft())
                refill()
                yield from _run_batch(batch, predict, None if ran_in is None else ran_in())
        finally:
            for *_, future in queue:
                future.cancel()


def _window_count(future: Future) -> int:
    try:
        return len(future.result().inputs)
    except Exception:
        return 0


def _run_batch(
    batch: list[tuple[K, str, float, Future[P]]], predict: Callable[[np.ndarray], np.ndarray], precision: str | None
) -> Iterator[PipelineResult[K, P]]:
    ready: list[tuple[K, str, float, P]] = []
    failed: dict[int, PipelineResult[K, P]] = {}
    for position, (key, path, started, future) in enumerate(batch):
        try:
            ready.append((key, path, started, future.result()))
        except Exception as exc:
            # The person gets the one-line reason; the log keeps the traceback for a bug report.
            log.info("%s could not be prepared", path, exc_info=True)
            failed[position] = PipelineResult(key, path, None, None, describe_error(exc), time.perf_counter() - started)
    probs_per_track: list[np.ndarray] = []
    if ready:
        inputs = np.concatenate([p.inputs for *_, p in ready]) if len(ready) > 1 else ready[0][3].inputs
        probs = predict(inputs)
        bounds = np.cumsum([0] + [len(p.inputs) for *_, p in ready])
        probs_per_track = [probs[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    finished = time.perf_counter()
    done = iter(zip(ready, probs_per_track))
    for position in range(len(batch)):
        if position in failed:
            yield failed[position]
        else:
            (key, path, started, prepared), probs = next(done)
            yield PipelineResult(key, path, prepared, probs, None, finished - started, precision)
