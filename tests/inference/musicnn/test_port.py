"""The musicnn port: the shipped weights load only as they were converted, and the whole tagging
pipeline gives the original's tags on real recordings.

The reference (tests/data/musicnn_reference.json) is the ORIGINAL musicnn 0.1.0 under
TensorFlow, run by packaging/musicnn/reference.py on the recordings of tests/real_music.py. Here
the same files go through this project's pipeline: `decode.decode_audio` at 16 kHz,
`mel.tagger_patches`, the PyTorch port, sigmoid, mean over patches. No TensorFlow runs here.
A recording that cannot be fetched fails the test with the reason; it is never skipped.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from desktop_app.audio.decode import decode_audio
from desktop_app.audio.mel import SAMPLE_RATE, tagger_patches
from desktop_app.inference.musicnn.network import MusiCNN, build_musicnn
from desktop_app.inference.musicnn.vgg import MusicnnVGG, build_vgg
from desktop_app.inference.musicnn.weights import (
    ALL_TAGGERS,
    SHIPPED_TAGGERS,
    TaggerSpec,
    TaggerWeightsError,
    load_tagger_network,
    sha256_of_file,
)
from desktop_app.inference.tagger import split
from tests.locations import REPO, TEST_DATA
from tests.real_music import BY_KEY, RECORDINGS, RealMusicUnavailable, recording_path

REFERENCE = json.loads((TEST_DATA / "musicnn_reference.json").read_text(encoding="utf-8"))
ORIGINAL_MODEL = {spec.name: spec.original for spec in ALL_TAGGERS.values()}
MAX_PROBABILITY_DIFFERENCE = 0.01


# --- the shipped weights -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL_TAGGERS))
def test_shipped_weights_load_strictly_after_their_sha256_check(name: str) -> None:
    spec = ALL_TAGGERS[name]
    assert sha256_of_file(spec.path) == spec.sha256
    assert 2_000_000 < spec.path.stat().st_size < 5_000_000  # converted without optimizer slots
    model = load_tagger_network(spec)
    assert isinstance(model, MusicnnVGG if spec.architecture == "vgg" else MusiCNN) and not model.training
    state = model.state_dict()
    untrained = (build_vgg if spec.architecture == "vgg" else build_musicnn)().state_dict()
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in untrained.items()}
    assert all(v.dtype == torch.float32 for k, v in state.items() if not k.endswith("num_batches_tracked"))
    # Trained weights: every BatchNorm's statistics moved away from an untrained layer's 0 and 1.
    for key in (k for k in state if k.endswith("running_mean")):
        assert not torch.equal(state[key], untrained[key]), key
    out = model(torch.zeros(2, 187, 96))
    assert out.shape == (2, 50) and torch.isfinite(out).all()


@pytest.mark.parametrize("name", list(ALL_TAGGERS))
def test_spec_tags_are_the_originals_labels_in_order(name: str) -> None:
    spec = ALL_TAGGERS[name]
    assert list(spec.tags) == REFERENCE["models"][spec.original]["labels"]
    assert len(spec.tags) == len(set(spec.tags)) == 50


def test_every_shipped_file_holds_different_weights() -> None:
    heads = [load_tagger_network(spec).output.weight for spec in ALL_TAGGERS.values()]
    assert all(not torch.equal(a, b) for i, a in enumerate(heads) for b in heads[i + 1 :] if a.shape == b.shape)
    assert len({spec.sha256 for spec in ALL_TAGGERS.values()}) == len({spec.filename for spec in ALL_TAGGERS.values()}) == 4
    assert list(SHIPPED_TAGGERS) == ["musicnn-msd", "musicnn-mtt"]  # what the app runs; the VGGs are baselines


def test_weights_module_imports_without_torch() -> None:
    code = (
        "import sys; import desktop_app.inference.musicnn.weights as w; "
        "assert 'torch' not in sys.modules, 'torch imported'; print(sorted(w.ALL_TAGGERS))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['musicnn-msd', 'musicnn-mtt', 'musicnn-vgg-msd', 'musicnn-vgg-mtt']"


def test_load_tagger_gives_both_shipped_networks_with_their_identities() -> None:
    from desktop_app.inference.musicnn.weights import load_tagger

    tagger = load_tagger("cpu")
    assert list(tagger.identities) == list(SHIPPED_TAGGERS)
    for name, identity in tagger.identities.items():
        spec = SHIPPED_TAGGERS[name]
        assert (identity.model, identity.sha256, identity.origin) == (name, spec.sha256, "builtin")
        assert Path(identity.path) == spec.path
    x = _log_mel_like(2, seed=2)
    outputs = split(tagger.predict(x.numpy()))
    with torch.inference_mode():
        alone = {name: load_tagger_network(spec).embed(x) for name, spec in SHIPPED_TAGGERS.items()}
    for name, found in alone.items():
        np.testing.assert_allclose(outputs.probabilities[name], torch.sigmoid(found.logits).numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(outputs.embeddings[name], found.penultimate.numpy(), rtol=0, atol=1e-5)
        assert outputs.embeddings[name].shape == (2, 200)


def _copy(spec: TaggerSpec, tmp_path: Path) -> Path:
    copy = tmp_path / spec.filename
    shutil.copyfile(spec.path, copy)
    return copy


def test_a_damaged_copy_is_refused_with_the_reason(tmp_path: Path) -> None:
    spec = SHIPPED_TAGGERS["musicnn-msd"]
    copy = _copy(spec, tmp_path)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle of the weights
    copy.write_bytes(bytes(data))
    with pytest.raises(TaggerWeightsError) as caught:
        load_tagger_network(spec, path=copy)
    message = str(caught.value)
    assert "damaged or not the shipped one" in message
    assert sha256_of_file(copy) in message and spec.sha256 in message
    assert spec.display_name in message and "Reinstalling Genrescope" in message


def test_a_truncated_copy_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    spec = SHIPPED_TAGGERS["musicnn-mtt"]
    copy = _copy(spec, tmp_path)
    copy.write_bytes(copy.read_bytes()[:100_000])
    with pytest.raises(TaggerWeightsError, match="SHA-256 is"):
        load_tagger_network(spec, path=copy)
    with pytest.raises(TaggerWeightsError, match="the file is missing"):
        load_tagger_network(spec, path=tmp_path / "absent.pt")
    with pytest.raises(TaggerWeightsError, match="a folder"):
        load_tagger_network(spec, path=tmp_path)


class _RunsCode:
    def __reduce__(self):  # what a malicious pickle does: call something on load
        return (print, ("this must never run",))


def test_a_pickle_that_would_run_code_is_refused_even_with_a_matching_sha256(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"input_bn.weight": _RunsCode()}, path)
    spec = dataclasses.replace(SHIPPED_TAGGERS["musicnn-msd"], sha256=sha256_of_file(path))
    with pytest.raises(TaggerWeightsError, match="torch cannot read it"):
        load_tagger_network(spec, path=path)
    assert "this must never run" not in capsys.readouterr().out


def test_a_state_dict_of_another_shape_is_refused_not_half_loaded(tmp_path: Path) -> None:
    state = build_musicnn().state_dict()
    del state["output.bias"]
    path = tmp_path / "partial.pt"
    torch.save(state, path)
    spec = dataclasses.replace(SHIPPED_TAGGERS["musicnn-msd"], sha256=sha256_of_file(path))
    with pytest.raises(TaggerWeightsError, match=r"does not fit the MusiCNN network \(missing: output.bias\)"):
        load_tagger_network(spec, path=path)
    state = build_musicnn(num_classes=16).state_dict()  # another head
    torch.save(state, path)
    spec = dataclasses.replace(spec, sha256=sha256_of_file(path))
    with pytest.raises(TaggerWeightsError, match=r"wrong shape: output.weight \(16, 200\) not \(50, 200\)"):
        load_tagger_network(spec, path=path)
    vgg = ALL_TAGGERS["musicnn-vgg-msd"]  # a VGG file under the musicnn spec
    spec = dataclasses.replace(spec, sha256=vgg.sha256)
    with pytest.raises(TaggerWeightsError, match=r"does not fit the MusiCNN network \(missing: timbral"):
        load_tagger_network(spec, path=vgg.path)


def _log_mel_like(n: int, seed: int = 0) -> torch.Tensor:
    """Random patches in the range of log10(10000 * mel + 1), with quiet and loud stretches."""
    generator = torch.Generator().manual_seed(seed)
    level = torch.rand(n, 187, 1, generator=generator) * 4
    return (level + torch.randn(n, 187, 96, generator=generator)).clamp(min=0)


@pytest.mark.parametrize("name", list(SHIPPED_TAGGERS))
def test_pooling_before_relu_and_batchnorm_gives_the_originals_numbers_bit_for_bit(name: str) -> None:
    model = load_tagger_network(SHIPPED_TAGGERS[name])
    with torch.inference_mode():
        normalised = model.input_bn(_log_mel_like(3).unsqueeze(1))
        for block in (*model.timbral, *model.temporal):
            assert (block.bn.weight < 0).any() and (block.bn.weight > 0).any()  # both branches run
            assert torch.equal(block(normalised), block.reference_forward(normalised))


def test_batching_does_not_change_a_patchs_result() -> None:
    model = load_tagger_network(SHIPPED_TAGGERS["musicnn-mtt"])
    x = _log_mel_like(5, seed=1)
    with torch.inference_mode():
        together = model.embed(x)
        alone = [model.embed(x[i : i + 1]) for i in range(5)]
    for field in together._fields:  # float32 rounding only: within 1e-6 of each output's scale
        batched, single = getattr(together, field), torch.cat([getattr(a, field) for a in alone])
        scale = max(1.0, float(batched.abs().max()))
        assert float((batched - single).abs().max()) <= 1e-6 * scale, field
    assert together.logits.shape == (5, 50) and together.penultimate.shape == (5, 200)
    assert together.mean_pool.shape == together.max_pool.shape == (5, 753)
    assert torch.equal(model(x), together.logits)
    for wrong in (torch.zeros(0, 187, 96), torch.zeros(2, 187, 128), torch.zeros(187, 96)):
        with pytest.raises(ValueError, match="log-mel input"):
            model(wrong)


def test_tensorflow_same_padding_puts_the_odd_frame_after() -> None:
    from desktop_app.inference.musicnn.network import _same_padding

    assert [_same_padding(k) for k in (128, 64, 32, 7)] == [(63, 64), (31, 32), (15, 16), (3, 3)]
    model = build_musicnn()
    assert [b.time_padding for b in model.temporal] == [(63, 64), (31, 32), (15, 16)]
    assert [b.time_padding for b in model.timbral] == [(3, 3), (3, 3)]


# --- parity with the original on real recordings ------------------------------------------


@functools.cache
def _networks() -> dict[str, MusiCNN | MusicnnVGG]:
    return {name: load_tagger_network(spec) for name, spec in ALL_TAGGERS.items()}


@functools.cache
def _port_song_probabilities(key: str) -> tuple[int, dict[str, np.ndarray]]:
    """(patch count, {tagger: song-level probabilities}) from this project's pipeline."""
    try:
        path = recording_path(BY_KEY[key])
    except RealMusicUnavailable as exc:
        pytest.fail(f"the real recording {key!r} is needed and could not be obtained: {exc}")
    samples = decode_audio(path, rates=(SAMPLE_RATE,)).at(SAMPLE_RATE)
    mel = tagger_patches(samples)
    assert not mel.short_clip
    x = torch.from_numpy(mel.patches)
    with torch.inference_mode():
        probs = {name: torch.sigmoid(net(x)).numpy().mean(axis=0) for name, net in _networks().items()}
    return len(mel.patches), probs


def _reference(model: str, key: str) -> dict:
    entries = [e for e in REFERENCE["models"][model]["recordings"] if e["key"] == key]
    assert len(entries) == 1, f"the reference has {len(entries)} entries for {key} under {model}"
    return entries[0]


def test_the_reference_covers_every_recording_with_both_models() -> None:
    assert set(REFERENCE["models"]) == set(ORIGINAL_MODEL.values())
    for model in REFERENCE["models"].values():
        assert [e["key"] for e in model["recordings"]] == [r.key for r in RECORDINGS]
        for entry in model["recordings"]:
            recording = BY_KEY[entry["key"]]
            assert (entry["package"], entry["version"], entry["member"], entry["sha256"]) == (
                recording.package, recording.version, recording.member, recording.sha256
            )
            assert len(entry["probabilities"]) == 50 and len(entry["top5"]) == 5


@pytest.mark.parametrize("key", [r.key for r in RECORDINGS])
def test_the_port_tags_real_recordings_as_the_original_does(key: str) -> None:
    patches, ours = _port_song_probabilities(key)
    for name, spec in ALL_TAGGERS.items():
        reference = _reference(spec.original, key)
        assert patches == reference["patches"], f"{spec.original}: patch count"
        theirs = np.asarray(reference["probabilities"])
        difference = np.abs(ours[name] - theirs)
        worst = int(difference.argmax())
        assert difference.max() <= MAX_PROBABILITY_DIFFERENCE, (
            f"{spec.original} on {key}: tag {spec.tags[worst]!r} is {ours[name][worst]:.6f} here, "
            f"{theirs[worst]:.6f} in the original"
        )
        order = sorted(range(50), key=lambda i: (-float(ours[name][i]), i))
        assert {spec.tags[i] for i in order[:5]} == set(reference["top5"]), f"{spec.original} on {key}: Top-5"
        print(f"{spec.original} {key}: {patches} patches, max |delta| {difference.max():.2e}")


def test_every_recording_is_real_music_of_a_few_minutes_at_most() -> None:
    """The corpus stays small: 6-10 recordings, each a real song between 30 s and 6 minutes."""
    assert 6 <= len(RECORDINGS) <= 10
    for model in REFERENCE["models"].values():
        for entry in model["recordings"]:
            assert 10 <= entry["patches"] <= 120, entry["key"]
