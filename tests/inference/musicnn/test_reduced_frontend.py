"""The tagger's reduced-precision frontend (matrix products instead of one-channel convolutions).

Run in float32 it must give the exact frontend's numbers up to float32 rounding: that proves the
products' layout (im2col rows, the temporal kernels placed into one, the negated filters where
BatchNorm reverses order, the bias after pooling) on the shipped weights. Whether bf16 keeps the
answers is a question for real music: the precision check's test on real clips
(tests/analysis/test_precision_switch.py) runs it, and this file checks it on real patches too.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from desktop_app.audio.decode import decode_audio
from desktop_app.audio.mel import SAMPLE_RATE, tagger_patches
from desktop_app.inference.musicnn.network import build_musicnn
from desktop_app.inference.musicnn.reduced_frontend import ReducedFrontend
from desktop_app.inference.musicnn.weights import SHIPPED_TAGGERS, load_tagger_network
from desktop_app.inference.precision import PrecisionUnsupportedError
from desktop_app.inference.registry import open_tagger
from desktop_app.inference.tagger import PROBABILITY_HEADS
from tests.real_music import RECORDINGS, recording_path


def _patches(n: int, frames: int = 187, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    level = torch.rand(n, frames, 1, generator=generator) * 4
    return (level + torch.randn(n, frames, 96, generator=generator)).clamp(min=0)


@pytest.mark.parametrize("name", list(SHIPPED_TAGGERS))
@pytest.mark.parametrize("frames", [187, 100])
def test_the_products_in_float32_give_the_exact_frontends_numbers(name: str, frames: int) -> None:
    model = load_tagger_network(SHIPPED_TAGGERS[name])
    reduced = ReducedFrontend(model.timbral, model.temporal, torch.float32)  # type: ignore[arg-type]
    with torch.inference_mode():
        normalised = model.input_bn(_patches(3, frames).unsqueeze(1))
        exact = model._frontend(normalised)
        found = reduced(normalised)
    assert found.shape == exact.shape == (3, 561, frames)
    # float32 rounding of sums of up to 266 products, in another order: tiny against the values.
    scale = float(exact.abs().max())
    assert float((found - exact).abs().max()) <= 2e-5 * scale


def test_a_misplaced_temporal_kernel_would_show() -> None:
    """The float32 comparison above can fail: shift the 32-frame kernel by one frame and it does."""
    model = build_musicnn()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter))
        shortest = model.temporal[2]
        shortest.time_padding = (shortest.time_padding[0] + 1, shortest.time_padding[1] - 1)
        reduced = ReducedFrontend(model.timbral, model.temporal, torch.float32)  # type: ignore[arg-type]
        shortest.time_padding = (shortest.time_padding[0] - 1, shortest.time_padding[1] + 1)
    model.eval()
    with torch.inference_mode():
        normalised = model.input_bn(_patches(2).unsqueeze(1))
        exact, found = model._frontend(normalised), reduced(normalised)
    assert not torch.allclose(found[:, 510:], exact[:, 510:], atol=1e-3)
    assert torch.allclose(found[:, :510], exact[:, :510], atol=1e-3, rtol=1e-4)


def test_the_bf16_tagger_keeps_the_exact_taggers_answers_on_real_patches() -> None:
    """The shipped tagger, bf16 frontend against exact, on the first 12 s of each real recording."""
    exact = open_tagger("cpu")
    try:
        fast = exact.with_precision("bf16")
    except PrecisionUnsupportedError as exc:  # CPUs without native bf16 only
        pytest.skip(f"no native bf16 here: {exc}")
    agree = total = 0
    largest = 0.0
    for recording in RECORDINGS:
        samples = decode_audio(recording_path(recording), rates=(SAMPLE_RATE,)).at(SAMPLE_RATE)[: 12 * SAMPLE_RATE]
        patches = tagger_patches(samples).patches
        want, got = exact.predict(patches), fast.predict(patches)
        for head in PROBABILITY_HEADS:
            agree += int((want[:, head].argmax(1) == got[:, head].argmax(1)).sum())
            total += len(patches)
            largest = max(largest, float(np.abs(want[:, head] - got[:, head]).max()))
    assert total >= 2 * 4 * len(RECORDINGS)
    assert agree / total >= 0.95, f"{agree} of {total} patches' top-1 agree"
    assert largest < 0.05
    assert not any(network._reduced_frontend for network in exact.networks.values()), "the exact tagger is untouched"
