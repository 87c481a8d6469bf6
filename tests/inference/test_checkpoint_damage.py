"""Checkpoint refusals that tests/inference/test_checkpoint.py does not already cover: damage
inside an otherwise well-formed file, truncation at several points, other code-running pickles,
and that a refused file leaves no trace in the library.

Where the refusal depends only on the file format, a small checkpoint stands in for the 488 MB
one; the damaged-weights case uses the real architecture.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from desktop_app.inference.checkpoint import CheckpointError, Problem, load_checkpoint
from desktop_app.inference.engine import GenreClassifier
from tests.audio_files import write_audio
from tests.inference_fixtures import RandomCheckpoint, random_checkpoint, tmp_path  # noqa: F401 (fixtures)


def refused(path: Path, problem: Problem, *fragments: str) -> CheckpointError:
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert caught.value.problem is problem, str(caught.value)
    for fragment in fragments:
        assert fragment in str(caught.value)
    return caught.value


def member_offset(path: Path, suffix: str) -> int:
    """Where the bytes of the ZIP member ending in ``suffix`` begin."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(suffix))
    with path.open("rb") as f:
        f.seek(info.header_offset + 26)
        name_length, extra_length = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + name_length + extra_length


def test_a_damaged_byte_in_the_weights_is_refused_not_loaded(random_checkpoint: RandomCheckpoint, tmp_path):
    """torch.load would load it, one weight silently wrong; the ZIP's CRC-32 says otherwise."""
    damaged = tmp_path / "save.pt"
    shutil.copyfile(random_checkpoint.path, damaged)
    with zipfile.ZipFile(damaged) as archive:
        largest = max(archive.infolist(), key=lambda i: i.file_size).filename  # classifier.1.weight
    at = member_offset(damaged, largest) + 12_345_678
    with damaged.open("r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x10]))
    refused(damaged, Problem.CORRUPT, "damaged", largest, "download or copy it again")
    with pytest.raises(CheckpointError):
        GenreClassifier.from_file(damaged, device="cpu")


@pytest.fixture
def small_checkpoint(tmp_path) -> Path:
    path = tmp_path / "small.pt"
    torch.save({"features.0.weight": torch.randn(64, 3, 3, 3), "classifier.9.bias": torch.randn(16)}, path)
    return path


@pytest.mark.parametrize("keep", [10, 100, 0.01, 0.5, 0.99, -1])
def test_truncated_anywhere(small_checkpoint, keep):
    data = small_checkpoint.read_bytes()
    size = keep if isinstance(keep, int) and keep > 0 else len(data) - 1 if keep == -1 else int(len(data) * keep)
    small_checkpoint.write_bytes(data[:size])
    refused(small_checkpoint, Problem.TRUNCATED, "truncated or damaged", f"{size:,} bytes")


def test_a_preallocated_download_that_stopped_half_way(small_checkpoint):
    """Some download managers reserve the whole size first: the right size, zeros at the end."""
    data = bytearray(small_checkpoint.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)
    small_checkpoint.write_bytes(bytes(data))
    refused(small_checkpoint, Problem.TRUNCATED, "truncated or damaged")


class _Payload:
    """Unpickling this calls ``function(*args)``: the side effect the loader must never allow."""

    def __init__(self, function: object, *args: object) -> None:
        self.function, self.args = function, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.function, self.args)


def _payloads(marker: Path) -> dict[str, _Payload]:
    return {
        "os.system": _Payload(os.system, f"touch {marker}"),
        "builtins.exec": _Payload(exec, f"open({str(marker)!r}, 'w').close()"),
        "subprocess.call": _Payload(subprocess.call, ["touch", str(marker)]),
    }


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "subprocess.call"])
@pytest.mark.parametrize("container", ["zip", "legacy", "wrapped"])
def test_pickles_that_would_run_code_run_nothing(tmp_path, kind, container):
    marker = tmp_path / "marker"
    payload = _payloads(marker)[kind]
    path = tmp_path / "evil.pt"
    if container == "zip":
        torch.save({"features.0.weight": payload}, path)
    elif container == "legacy":
        torch.save({"features.0.weight": payload}, path, _use_new_zipfile_serialization=False)
    else:  # hidden inside a training script's wrapper, next to real tensors
        torch.save({"state_dict": {"features.0.weight": torch.zeros(1)}, "optimizer": payload}, path)
    error = refused(path, Problem.UNSAFE, "could run code", "refused without running anything")
    assert kind.split(".")[-1] in error.detail or "posix" in error.detail
    assert not marker.exists()

    pickle.loads(pickle.dumps(payload))  # control: unpickled the unsafe way, it does act
    assert marker.exists()


def test_classify_with_a_refused_checkpoint_writes_nothing(tmp_path, cli_env):
    music = tmp_path / "music"
    write_audio(music / "song.wav", seconds=2.0)
    db = tmp_path / "lib.sqlite3"
    run = [sys.executable, "-m", "desktop_app"]
    assert subprocess.run([*run, "scan", str(music), "--db", str(db)], env=cli_env, timeout=120).returncode == 0
    bad = tmp_path / "save.pt"
    torch.save({"fc.weight": torch.zeros(10, 2048), "layer1.0.conv1.weight": torch.zeros(1)}, bad)
    done = subprocess.run([*run, "classify", "--model", "ccmusic", "--db", str(db), "--weights", str(bad)], env=cli_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert str(bad) in done.stderr and "looks like a ResNet" in done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM models), (SELECT count(*) FROM analyses)").fetchone() == (0, 0)
