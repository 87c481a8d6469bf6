"""GenreClassifier: probabilities, batching, exactness of the CPU speed-ups, identity, devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from desktop_app.inference import device as device_module
from desktop_app.inference.checkpoint import load_checkpoint
from desktop_app.inference.device import DeviceUnavailableError, select_device
from desktop_app.inference.engine import GenreClassifier
from desktop_app.inference.network import build_network
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint, random_windows  # noqa: F401

N = 6


@pytest.fixture(scope="module")
def classifier(random_checkpoint: RandomCheckpoint) -> GenreClassifier:
    return GenreClassifier.from_file(random_checkpoint.path, origin="test", device="cpu")


@pytest.fixture(scope="module")
def windows() -> np.ndarray:
    return random_windows(N)


@pytest.fixture(scope="module")
def reference_probs(random_checkpoint: RandomCheckpoint, windows: np.ndarray) -> np.ndarray:
    """The reference way: plain eager fp32 network, NCHW, one window at a time."""
    model = build_network("cpu")
    model.load_state_dict(random_checkpoint.state_dict, strict=True)
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(windows[i : i + 1])) for i in range(N)])
    return torch.softmax(logits, dim=1).numpy()


def test_predict_returns_probabilities(classifier: GenreClassifier, windows: np.ndarray) -> None:
    probs = classifier.predict(windows)
    assert probs.shape == (N, 16)
    assert probs.dtype == np.float32
    assert np.all(probs >= 0) and np.all(probs <= 1)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_fast_path_equals_the_reference_way(
    classifier: GenreClassifier, windows: np.ndarray, reference_probs: np.ndarray
) -> None:
    # BatchNorm folding, channels_last and batching are exact up to float rounding.
    assert classifier.precision == "fp32"
    probs = classifier.predict(windows)
    np.testing.assert_allclose(probs, reference_probs, atol=1e-6)
    assert np.array_equal(probs.argmax(axis=1), reference_probs.argmax(axis=1))


def test_batching_does_not_change_results(random_checkpoint: RandomCheckpoint, windows: np.ndarray) -> None:
    checkpoint = load_checkpoint(random_checkpoint.path)
    one = GenreClassifier(checkpoint, origin="test", device="cpu", batch_size=1).predict(windows)
    four = GenreClassifier(checkpoint, origin="test", device="cpu", batch_size=4).predict(windows)
    np.testing.assert_allclose(four, one, atol=1e-6)


def test_predict_is_deterministic(classifier: GenreClassifier, windows: np.ndarray) -> None:
    # Dropout would make two runs differ: the model is in eval mode.
    assert np.array_equal(classifier.predict(windows[:2]), classifier.predict(windows[:2]))


def test_predict_many_splits_per_song(classifier: GenreClassifier, windows: np.ndarray) -> None:
    songs = [windows[:2], windows[2:3], windows[3:]]
    per_song = classifier.predict_many(songs)
    assert [p.shape for p in per_song] == [(2, 16), (1, 16), (3, 16)]
    np.testing.assert_allclose(np.concatenate(per_song), classifier.predict(windows), atol=1e-6)
    assert classifier.predict_many([]) == []


def test_predict_validates_inputs(classifier: GenreClassifier, windows: np.ndarray) -> None:
    assert classifier.predict(np.empty((0, 3, 224, 224), np.float32)).shape == (0, 16)
    with pytest.raises(ValueError, match=r"\[n, 3, 224, 224\]"):
        classifier.predict(windows[0])
    with pytest.raises(ValueError, match=r"\[n, 3, 224, 224\]"):
        classifier.predict(np.zeros((1, 3, 128, 128), np.float32))
    broken = windows[:1].copy()
    broken[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        classifier.predict(broken)


def test_results_carry_the_test_identity(
    classifier: GenreClassifier, random_checkpoint: RandomCheckpoint, windows: np.ndarray
) -> None:
    song = classifier.classify(windows)
    assert song.model == classifier.identity
    assert song.model.origin == "test"
    assert song.model.sha256 == random_checkpoint.sha256
    assert song.model.path == str(random_checkpoint.path)
    assert song.model.label.startswith("TEST weights")
    assert song.n_windows == N


def test_a_classifier_needs_a_loaded_checkpoint(random_checkpoint: RandomCheckpoint) -> None:
    with pytest.raises(TypeError, match="LoadedCheckpoint"):
        GenreClassifier(random_checkpoint.state_dict, origin="test")  # type: ignore[arg-type]


def test_reduced_precision_on_cpu(
    random_checkpoint: RandomCheckpoint, windows: np.ndarray, reference_probs: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = load_checkpoint(random_checkpoint.path)
    if torch.cpu._is_avx512_bf16_supported():
        fast = GenreClassifier(checkpoint, origin="test", device="cpu", precision="bf16")
        assert fast.precision == "bf16"
        probs = fast.predict(windows[:2])
        assert probs.dtype == np.float32
        np.testing.assert_allclose(probs, reference_probs[:2], atol=1e-3)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    with pytest.raises(ValueError, match="without native bf16"):
        GenreClassifier(checkpoint, origin="test", device="cpu", precision="bf16")
    with pytest.raises(ValueError, match="not supported on cpu"):
        GenreClassifier(checkpoint, origin="test", device="cpu", precision="fp16")


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_device_prefers_cuda_then_mps_then_cpu(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    monkeypatch.delenv(device_module.DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert select_device("auto").type == expected
    assert select_device().type == expected


def test_explicit_device_overrides_and_unavailable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert select_device("cpu").type == "cpu"
    monkeypatch.setenv(device_module.DEVICE_ENV, "cpu")
    assert select_device().type == "cpu"
    with pytest.raises(DeviceUnavailableError, match="'mps' was requested but .*Choose 'auto' or 'cpu'"):
        select_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError, match="'cuda' was requested but"):
        select_device("CUDA")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        select_device("tpu")
