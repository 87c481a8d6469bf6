"""The producer–consumer pipeline's scheduling: order, batching across tracks, failures, bounds.

The network here is a stand-in function of the inputs (the scheduling is what is under test; the
real classifier runs through it in tests/cli/test_analysis_commands.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from desktop_app.inference.pipeline import run_pipeline


@dataclass
class Track:
    inputs: np.ndarray


def prepare(path: str) -> Track:
    """A path "name:n" becomes n windows whose pixels all equal the track's number."""
    if path.startswith("bad"):
        raise FileNotFoundError(f"file not found: {path}")
    name, n = path.split(":")
    return Track(np.full((int(n), 1), float(name), dtype=np.float32))


class Network:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        self.batches.append(len(inputs))
        return np.repeat(inputs[:, :1], 16, axis=1)


def test_results_come_in_order_with_their_own_windows_and_failures_in_place():
    network = Network()
    items = [(1, "1:3"), (2, "bad.mp3"), (3, "3:1"), (4, "4:26")]
    results = list(run_pipeline(items, prepare, network, batch_windows=16))
    assert [r.key for r in results] == [1, 2, 3, 4]
    assert results[1].error == "file not found: bad.mp3" and results[1].window_probs is None
    assert results[0].window_probs.shape == (3, 16) and (results[0].window_probs == 1).all()
    assert (results[2].window_probs == 3).all() and results[3].window_probs.shape == (26, 16)
    assert sum(network.batches) == 30


def test_a_failed_track_leaves_its_traceback_in_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="desktop_app.inference.pipeline"):
        results = list(run_pipeline([(1, "bad.mp3")], prepare, Network()))
    assert results[0].error == "file not found: bad.mp3"
    [record] = caplog.records
    assert record.getMessage() == "bad.mp3 could not be prepared" and record.exc_info is not None
    assert "FileNotFoundError" in caplog.text and "in prepare" in caplog.text


def test_short_tracks_share_a_batch_when_they_are_ready():
    network = Network()
    slow_first = threading.Event()

    def prepare_slowly_first(path: str) -> Track:
        if path == "1:1":
            slow_first.wait(5)  # the rest get prepared while the first is still pending
        return prepare(path)

    items = [(i, f"{i}:1") for i in range(1, 9)]
    results = run_pipeline(items, prepare_slowly_first, network, batch_windows=16, prefetch=6, workers=2)
    time.sleep(0.3)
    slow_first.set()
    assert [r.key for r in results] == list(range(1, 9))
    assert max(network.batches) > 1, f"tracks were never batched together: {network.batches}"


def test_prefetch_bounds_the_tracks_prepared_ahead():
    started: list[str] = []
    gate = threading.Event()

    def counting_prepare(path: str) -> Track:
        started.append(path)
        gate.wait(5)
        return prepare(path)

    results = run_pipeline([(i, f"{i}:1") for i in range(100)], counting_prepare, Network(), prefetch=2, workers=1)
    first = next(iter_after(gate, results))
    assert first.key == 0
    assert len(started) <= 4, f"{len(started)} tracks were started ahead"


def iter_after(gate: threading.Event, results):
    time.sleep(0.2)
    gate.set()
    return results


def test_cancel_stops_after_the_batch_in_flight():
    cancelled = threading.Event()
    network = Network()
    seen = []
    for result in run_pipeline([(i, f"{i}:1") for i in range(50)], prepare, network, should_cancel=cancelled.is_set):
        seen.append(result.key)
        cancelled.set()
    assert 1 <= len(seen) < 50


def test_each_result_says_what_its_batch_ran_in():
    """A network whose precision changes after its second batch (int8 that calibrated on the first
    windows): each track's result carries what it was asked before the track's batch."""
    network = Network()

    def ran_in() -> str:
        return "fp32" if len(network.batches) < 2 else "int8"

    results = list(run_pipeline([(i, f"{i}:20") for i in range(5)], prepare, network, batch_windows=16, ran_in=ran_in))
    assert len(network.batches) == 5, "20 windows fill a batch: one track per batch"
    assert [r.precision for r in results] == ["fp32", "fp32", "int8", "int8", "int8"]
    assert all(r.precision is None for r in run_pipeline([(1, "1:2")], prepare, network)), "not asked: not said"
