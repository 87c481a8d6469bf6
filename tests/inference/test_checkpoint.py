"""The network's exact shape, strict checkpoint loading, and every refusal with its reason."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest
import torch
import torchvision

from desktop_app.inference.checkpoint import (
    CheckpointError,
    Problem,
    load_checkpoint,
    validate_state_dict,
)
from desktop_app.inference.network import build_network, expected_shapes, head_sizes
from tests.inference_fixtures import RandomCheckpoint, copy_truncated, random_checkpoint, tmp_path  # noqa: F401


def test_network_matches_the_reference_architecture() -> None:
    model = build_network("meta")
    assert sum(p.numel() for p in model.parameters()) == 121_892_481
    state = model.state_dict()
    assert len(state) == 120
    assert head_sizes() == (3958, 629, 100)
    conv_indices = [0, 3, 7, 10, 14, 17, 20, 23, 27, 30, 33, 36, 40, 43, 46, 49]
    assert [k for k in state if k.startswith("features") and k.endswith(".weight") and state[k].ndim == 4] == [
        f"features.{i}.weight" for i in conv_indices
    ]
    assert [k for k in state if k.startswith("classifier")] == [
        f"classifier.{i}.{p}" for i in (1, 4, 7, 9) for p in ("weight", "bias")
    ]
    assert expected_shapes()["classifier.1.weight"] == (3958, 25088)
    assert expected_shapes()["classifier.9.weight"] == (16, 100)


def test_valid_checkpoint_loads_with_its_sha256(random_checkpoint: RandomCheckpoint) -> None:
    loaded = load_checkpoint(random_checkpoint.path)
    assert loaded.sha256 == random_checkpoint.sha256
    assert loaded.size == random_checkpoint.path.stat().st_size
    assert list(loaded.state_dict) == list(expected_shapes())
    for key, value in random_checkpoint.state_dict.items():
        assert torch.equal(loaded.state_dict[key], value), key


def test_wrapped_and_prefixed_state_dict_is_accepted(
    random_checkpoint: RandomCheckpoint, tmp_path: Path
) -> None:
    wrapped = {
        "state_dict": {f"module.{k}": v for k, v in random_checkpoint.state_dict.items()},
        "epoch": 40,
    }
    path = tmp_path / "wrapped.pt"
    torch.save(wrapped, path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded.state_dict["classifier.9.weight"], random_checkpoint.state_dict["classifier.9.weight"])


def _refused(path: Path, problem: Problem, *fragments: str) -> CheckpointError:
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert caught.value.problem is problem, str(caught.value)
    for fragment in fragments:
        assert fragment in str(caught.value)
    return caught.value


def test_missing_file_and_folder(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.pt", Problem.MISSING, "does not exist")
    _refused(tmp_path, Problem.MISSING, "folder")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "save.pt"
    path.write_bytes(b"PK\x03\x04")

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # chmod does not stop root, who runs CI
    _refused(path, Problem.UNREADABLE, "cannot be read (Permission denied)")


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "empty"),
        (b"hello, this is not a model\n", "a text file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a PNG image"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 487644699\n", "Git LFS pointer"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "web page"),
        (b"\x00\x01\x02\xfe\xff" * 20, "unknown file type"),
    ],
)
def test_wrong_file_types(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "save.pt"
    path.write_bytes(content)
    _refused(path, Problem.NOT_A_CHECKPOINT, what)


def test_plain_zip_archive(tmp_path: Path) -> None:
    path = tmp_path / "save.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "weights inside")
    _refused(path, Problem.NOT_A_CHECKPOINT, "ZIP archive")


def test_truncated_checkpoint(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    path = copy_truncated(random_checkpoint.path, tmp_path / "half.pt")
    _refused(path, Problem.TRUNCATED, "truncated", f"{path.stat().st_size:,} bytes")


def test_truncated_legacy_format(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.zeros(1000, 100)}, path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, Problem.TRUNCATED)


class _CreatesMarker:
    """Unpickling this would create a file: the side effect weights_only must prevent."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_pickle_that_runs_code_is_refused_without_side_effect(tmp_path: Path) -> None:
    # Control: the payload really does act when unpickled the unsafe way.
    control = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(_CreatesMarker(control))).close()
    assert control.exists()

    marker = tmp_path / "marker"
    in_zip = tmp_path / "evil.pt"
    torch.save({"features.0.weight": _CreatesMarker(marker)}, in_zip)
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(_CreatesMarker(marker), protocol=2))
    for path in (in_zip, raw):
        _refused(path, Problem.UNSAFE, "could run code", "refused without running anything")
    assert not marker.exists()


def test_checksum_is_checked_before_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    torch.save(_CreatesMarker(marker), path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, expected_sha256="0" * 64)
    assert caught.value.problem is Problem.CHECKSUM
    assert "expected 0000" in str(caught.value)
    assert not marker.exists()


def _variant(tmp_path: Path, state: dict[str, torch.Tensor], name: str = "variant.pt") -> Path:
    path = tmp_path / name
    torch.save(state, path)
    return path


def test_ten_class_head(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    state = dict(random_checkpoint.state_dict)
    state["classifier.9.weight"] = torch.randn(10, 100)
    state["classifier.9.bias"] = torch.randn(10)
    _refused(_variant(tmp_path, state), Problem.WRONG_CLASSES, "has 10 classes, expected 16")


def test_resnet50_state_dict(tmp_path: Path) -> None:
    state = torchvision.models.resnet50(weights=None).state_dict()
    _refused(_variant(tmp_path, state), Problem.WRONG_BACKBONE, "looks like a ResNet", "layer1.0.conv1.weight")


def test_missing_and_unexpected_keys(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    state = {k: v for k, v in random_checkpoint.state_dict.items() if not k.startswith("classifier.7")}
    state["classifier.8.weight"] = torch.zeros(100, 629)
    error = _refused(
        _variant(tmp_path, state),
        Problem.KEYS,
        "missing 2 keys (classifier.7.weight, classifier.7.bias)",
        "1 unexpected keys (classifier.8.weight)",
    )
    assert "features" not in error.detail


def test_wrong_shapes(random_checkpoint: RandomCheckpoint, tmp_path: Path) -> None:
    state = dict(random_checkpoint.state_dict)
    state["features.0.weight"] = torch.randn(64, 1, 3, 3)  # a one-channel (grey) input layer
    _refused(
        _variant(tmp_path, state),
        Problem.SHAPES,
        "features.0.weight is (64, 1, 3, 3), expected (64, 3, 3, 3)",
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights(random_checkpoint: RandomCheckpoint, tmp_path: Path, bad: float) -> None:
    state = dict(random_checkpoint.state_dict)
    broken = state["classifier.7.weight"].clone()
    broken[3, 5] = bad
    state["classifier.7.weight"] = broken
    _refused(_variant(tmp_path, state), Problem.NON_FINITE, "NaN or infinite", "classifier.7.weight")


# The remaining refusals depend only on the dictionary, so they skip the 488 MB round trip.


def test_imagenet_vgg_head_is_named(random_checkpoint: RandomCheckpoint) -> None:
    state = {k: v for k, v in random_checkpoint.state_dict.items() if not k.startswith("classifier")}
    state["classifier.0.weight"] = torch.zeros(4096, 1)
    state["classifier.6.weight"] = torch.zeros(1000, 1)
    with pytest.raises(CheckpointError, match="plain VGG head with 1000 classes") as caught:
        validate_state_dict(Path("vgg19_bn.pth"), state)
    assert caught.value.problem is Problem.WRONG_CLASSES


def test_vit_backbone_is_named() -> None:
    state = {"conv_proj.weight": torch.zeros(1), "encoder.ln.weight": torch.zeros(1)}
    with pytest.raises(CheckpointError, match="Vision Transformer") as caught:
        validate_state_dict(Path("vit.pt"), state)
    assert caught.value.problem is Problem.WRONG_BACKBONE


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ([torch.zeros(1)], "it holds a list"),
        ({}, "an empty dictionary"),
        ({"features.0.weight": 3}, "not tensors: features.0.weight"),
    ],
)
def test_not_a_state_dict(obj: object, fragment: str) -> None:
    with pytest.raises(CheckpointError, match=fragment) as caught:
        validate_state_dict(Path("x.pt"), obj)
    assert caught.value.problem is Problem.NOT_A_STATE_DICT


def test_integer_weights_are_refused(random_checkpoint: RandomCheckpoint) -> None:
    state = dict(random_checkpoint.state_dict)
    state["classifier.9.bias"] = torch.zeros(16, dtype=torch.int64)
    with pytest.raises(CheckpointError, match="types differ: classifier.9.bias"):
        validate_state_dict(Path("x.pt"), state)


def test_half_precision_checkpoint_is_loaded_as_float32(random_checkpoint: RandomCheckpoint) -> None:
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in random_checkpoint.state_dict.items()}
    loaded = validate_state_dict(Path("x.pt"), state)
    assert loaded["classifier.9.weight"].dtype == torch.float32
