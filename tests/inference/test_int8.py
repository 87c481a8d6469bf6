"""int8 for the CCMusic network: close to fp32 on real windows, deterministic, and strict about its
calibration windows.

The weights are random (the real ones cannot be downloaded here), so these tests prove the
plumbing and bound the numerical error; whether top-1 agrees with fp32 on the real model is for
the self-validation on the person's own music. Measured with these seeds: logits within ~1.5 % of
their spread and probabilities within ~2e-4 of fp32's; the bounds below leave about 3x headroom.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from desktop_app.audio.prepare import prepare_track
from desktop_app.inference.engine import GenreClassifier, Int8Calibration
from desktop_app.inference.int8 import (
    Int8Network,
    int8_supported,
    load_ranges,
    quantize_from_ranges,
    quantize_int8,
    save_ranges,
)
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint  # noqa: F401 (fixture)
from tests.real_music import BY_KEY, recording_path

pytestmark = pytest.mark.skipif(not int8_supported(), reason="int8 needs oneDNN and a CPU with VNNI")

LOGIT_BOUND = 0.05
"""Largest |int8 - fp32| logit, as a share of the fp32 logits' spread (max - min) over the windows."""
PROB_BOUND = 1e-3
"""Largest |int8 - fp32| softmax probability."""


@pytest.fixture(scope="module")
def classifier(random_checkpoint: RandomCheckpoint) -> GenreClassifier:  # noqa: F811
    return GenreClassifier.from_file(random_checkpoint.path, origin="test", device="cpu")


@pytest.fixture(scope="module")
def real_windows() -> tuple[np.ndarray, np.ndarray]:
    """Calibration windows from one recording, held-out windows from another kind of music."""
    calibration = prepare_track(recording_path(BY_KEY["armygeddon"])).inputs
    held_out = prepare_track(recording_path(BY_KEY["ave-maria"])).inputs
    return calibration[::2][:8], held_out[:8]


@pytest.fixture(scope="module")
def quantized(classifier: GenreClassifier, real_windows: tuple[np.ndarray, np.ndarray]) -> Int8Network:
    return quantize_int8(classifier.network, real_windows[0])


def logits(model: torch.nn.Module, windows: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model(torch.from_numpy(windows)).float().numpy()


def test_int8_is_close_to_fp32_on_real_windows(
    classifier: GenreClassifier, quantized: Int8Network, real_windows: tuple[np.ndarray, np.ndarray]
) -> None:
    for windows in real_windows:
        exact = logits(classifier.network, windows)
        fast = logits(quantized, windows)
        assert fast.shape == exact.shape == (len(windows), 16)
        assert fast.dtype == np.float32
        spread = float(exact.max() - exact.min())
        assert np.abs(fast - exact).max() <= LOGIT_BOUND * spread
        exact_probs = torch.softmax(torch.from_numpy(exact), 1).numpy()
        fast_probs = torch.softmax(torch.from_numpy(fast), 1).numpy()
        assert np.abs(fast_probs - exact_probs).max() <= PROB_BOUND


def test_int8_takes_nchw_and_leaves_the_float_model_alone(
    classifier: GenreClassifier, quantized: Int8Network, real_windows: tuple[np.ndarray, np.ndarray]
) -> None:
    windows = real_windows[1][:2]
    nchw = torch.from_numpy(windows)
    assert nchw.is_contiguous()
    assert np.array_equal(logits(quantized, windows), quantized(nchw).detach().numpy())
    assert all(p.dtype == torch.float32 for p in classifier.network.parameters())


def test_int8_is_deterministic_and_puts_the_engine_back(
    classifier: GenreClassifier, quantized: Int8Network, real_windows: tuple[np.ndarray, np.ndarray]
) -> None:
    calibration, held_out = real_windows
    first = logits(quantized, held_out)
    assert np.array_equal(first, logits(quantized, held_out))
    engine = torch.backends.quantized.engine
    again = quantize_int8(classifier.network, calibration)
    assert torch.backends.quantized.engine == engine
    assert np.array_equal(first, logits(again, held_out))


@pytest.mark.parametrize(
    ("calibration", "message"),
    [
        ([[0.0]], "numpy array"),
        (np.zeros((2, 3, 224), np.float32), r"\[n, 3, 224, 224\]"),
        (np.zeros((2, 1, 224, 224), np.float32), r"\[n, 3, 224, 224\]"),
        (np.zeros((0, 3, 224, 224), np.float32), "at least one window"),
        (np.zeros((1, 3, 224, 224), np.uint8), "floating point"),
        (np.full((1, 3, 224, 224), np.nan, np.float32), "NaN"),
        (np.full((1, 3, 224, 224), -80.0, np.float32), r"in \[-1, 1\]"),
        (np.zeros((2, 3, 224, 224), np.float32), "all one value"),
    ],
)
def test_bad_calibration_is_refused_with_a_reason(classifier: GenreClassifier, calibration: object, message: str):
    with pytest.raises(ValueError, match=message):
        quantize_int8(classifier.network, calibration)  # type: ignore[arg-type]


# --- what calibration learnt, kept and rebuilt ---------------------------------------------


def test_the_kept_ranges_reload_weights_only_and_rebuild_the_same_network(
    classifier: GenreClassifier, quantized: Int8Network, real_windows: tuple[np.ndarray, np.ndarray], tmp_path
) -> None:
    about = {"model": "ccmusic", "precision": "int8"}
    path = save_ranges(tmp_path / "ranges.pt", quantized.ranges, about)
    assert [p.name for p in tmp_path.iterdir()] == ["ranges.pt"], "no temporary file left"
    assert path.stat().st_size < 1_000_000, "the observers' state, not the 120 MB of int8 weights"
    raw = torch.load(path, weights_only=True)  # what load_ranges does: plain tensors and strings
    assert raw["about"] == about
    loaded = load_ranges(path)
    assert loaded is not None and loaded[0] == about
    rebuilt = quantize_from_ranges(classifier.network, loaded[1])
    held_out = real_windows[1]
    assert np.array_equal(logits(rebuilt, held_out), logits(quantized, held_out)), "bit for bit"


def test_ranges_that_are_not_plain_tensors_or_do_not_fit_are_refused(
    classifier: GenreClassifier, quantized: Int8Network, tmp_path
) -> None:
    hostile = tmp_path / "hostile.pt"
    torch.save({"format": 1, "about": {}, "ranges": {"x": _Unpickled()}}, hostile)
    assert load_ranges(hostile) is None, "weights_only refuses arbitrary objects"
    (tmp_path / "damaged.pt").write_bytes(b"not a torch file")
    assert load_ranges(tmp_path / "damaged.pt") is None
    assert load_ranges(tmp_path / "missing.pt") is None
    fewer = dict(list(quantized.ranges.items())[:-4])
    with pytest.raises(ValueError, match="do not fit"):
        quantize_from_ranges(classifier.network, fewer)


class _Unpickled:
    """Anything but a tensor: a full unpickle would build it, weights_only must not."""


def test_a_classifier_calibrates_on_its_first_windows_then_runs_int8(
    classifier: GenreClassifier, quantized: Int8Network, real_windows: tuple[np.ndarray, np.ndarray]
) -> None:
    """`Int8Calibration` spreads its windows over the tracks it is given; the calibrating
    classifier answers in exact fp32 until then, in int8 after, and hands its ranges on."""
    calibration, held_out = real_windows
    kept: list[GenreClassifier] = []
    pending = Int8Calibration(classifier, windows=4, per_track=2, on_ready=kept.append)
    running = classifier.calibrating_int8(pending)
    assert running.precision == "int8" and classifier.precision == "fp32"
    first = running.predict(calibration[:4])
    assert np.allclose(first, classifier.predict(calibration[:4]), atol=1e-6), "exact while calibrating"
    assert not pending.ready and pending.collected == 2
    running.predict(calibration[4:8])
    assert pending.ready and len(kept) == 1 and kept[0].int8_ranges is not None
    after = running.predict(held_out)
    assert np.array_equal(after, kept[0].predict(held_out))
    assert not np.array_equal(after, classifier.predict(held_out)), "int8 now, not fp32"
    with pytest.raises(TypeError, match="no float network"):
        running.network  # noqa: B018
    assert classifier.network is not None, "the exact classifier is untouched"
