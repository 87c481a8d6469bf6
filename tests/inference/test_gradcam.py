"""Grad-CAM and the activation explorer's data, on networks where the answer is known.

- A tiny VGG-shaped network whose classes read one colour in one quadrant: the map must light
  up exactly that quadrant's patch, and nothing for a class nothing speaks for.
- The real architecture with random weights: our split, hook-free, BatchNorm-folded Grad-CAM must
  equal the textbook one (hooks and a full backward pass on the unfolded network).
- The real architecture with a crafted head, so that one region of a spectrogram with one loud
  patch decides the class: the heatmap must peak on that patch, in song time and in notes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from desktop_app.audio.cqt_layout import bin_frequency
from desktop_app.audio.image_geometry import cell_to_image, image_to_input
from desktop_app.audio.render import network_inputs
from desktop_app.audio.windows import split_windows
from desktop_app.genres.ccmusic import GENRES
from desktop_app.inference.activations import activation_report
from desktop_app.inference.bounded_cache import BoundedCache
from desktop_app.inference.explain import (
    explain,
    gather_evidence,
    predicted_genre,
    window_geometries,
)
from desktop_app.inference.gradcam import conv_stages, grad_cams, last_stage, target_layer
from desktop_app.inference.network import build_network
from tests.explain_support import (
    PATCH_BINS,
    PATCH_FRAMES_IN_WINDOW,
    classifier_with,
    patch_song,
    random_checkpoint,  # noqa: F401 (fixture)
    random_classifier,  # noqa: F401 (fixture)
)


def tiny_vgg() -> nn.Module:
    """Two stages of 1x1 convolutions: channel 0 is the red input, channel 1 the green one.

    Class 0 reads channel 0 in the top-left quarter, class 1 channel 1 in the bottom-right one,
    class 2 nothing, class 3 minus channel 0 (evidence against it).
    """
    net = nn.Module()
    conv1, conv2 = nn.Conv2d(3, 2, 1), nn.Conv2d(2, 2, 1)
    net.features = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool2d(2), conv2, nn.ReLU(), nn.MaxPool2d(2))
    net.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    net.classifier = nn.Linear(8, 4)
    with torch.no_grad():
        conv1.weight.zero_()
        conv1.bias.zero_()
        conv1.weight[0, 0] = conv1.weight[1, 1] = 1.0
        conv2.weight.copy_(torch.eye(2)[:, :, None, None])
        conv2.bias.zero_()
        net.classifier.weight.zero_()
        net.classifier.bias.zero_()
        # Flattened (channel, row, col) of the 2x2 pooled map.
        net.classifier.weight[0, 0 * 4 + 0] = 1.0
        net.classifier.weight[1, 1 * 4 + 3] = 1.0
        net.classifier.weight[3, 0 * 4 + 0] = -1.0
    return net.eval()


def test_grad_cam_lights_the_region_that_decides_the_class() -> None:
    net = tiny_vgg()
    image = torch.zeros(1, 3, 224, 224)
    image[0, 0, 20:60, 30:70] = 1.0  # red, top-left
    image[0, 1, 150:200, 160:210] = 1.0  # green, bottom-right
    assert target_layer(net) == 4 and [list(s) for s in conv_stages(net.features)] == [[0, 1], [3, 4]]
    activations, logits = last_stage(net, image)
    assert activations.shape == (1, 2, 112, 112) and logits.shape == (1, 4)
    red, green, nothing, against = (grad_cams(net, activations, [c])[0] for c in range(4))
    # The map is 112 x 112 (2 input pixels per cell): exactly each patch, nothing elsewhere.
    expected_red, expected_green = np.zeros((112, 112)), np.zeros((112, 112))
    expected_red[10:30, 15:35] = 1.0
    expected_green[75:100, 80:105] = 1.0
    assert np.array_equal(red, expected_red) and np.array_equal(green, expected_green)
    assert not nothing.any() and not against.any()


def test_grad_cam_equals_the_textbook_way(random_checkpoint, random_classifier) -> None:  # noqa: F811
    """Hooks on the unfolded network (with BatchNorm), a full backward: the same map."""
    cqt, samples = patch_song()
    inputs = network_inputs(split_windows(cqt, samples).frames)
    reference = build_network("cpu")
    reference.load_state_dict(random_checkpoint.state_dict)
    layer = reference.features[51]  # the last ReLU before the last pool, in the unfolded indices
    assert isinstance(layer, nn.ReLU) and isinstance(reference.features[52], nn.MaxPool2d)
    layer.inplace = False
    saved: dict[str, torch.Tensor] = {}
    layer.register_forward_hook(lambda _m, _i, out: saved.update(acts=out))
    logits = reference(torch.from_numpy(inputs))
    genre = 5
    grads = torch.autograd.grad(logits[:, genre].sum(), saved["acts"])[0]
    expected = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * saved["acts"]).sum(dim=1))
    peak = expected.amax(dim=(1, 2), keepdim=True)
    expected = torch.where(peak > 0, expected / peak, 0.0).detach().numpy()

    geometries = window_geometries(*cqt.shape, samples)
    evidence = gather_evidence(random_classifier, [0, 1], inputs, geometries)
    cams = np.stack([e.cam for e in explain(random_classifier, evidence, GENRES[genre])])
    np.testing.assert_allclose(cams, expected, atol=2e-4)
    assert cams.max() == 1.0
    probabilities = torch.softmax(logits, dim=1).detach().numpy()
    np.testing.assert_allclose([e.probabilities for e in evidence], probabilities, atol=1e-5)


def test_heatmap_peaks_on_the_patch_that_decides_the_class(random_checkpoint, random_classifier) -> None:  # noqa: F811
    cqt, samples = patch_song()
    geometries = window_geometries(*cqt.shape, samples)
    inputs = network_inputs(split_windows(cqt, samples).frames)
    window = 1
    geometry = geometries[window]
    # The region: the cells of the last convolution's 14 x 14 map that the patch covers.
    x, y = cell_to_image(
        [PATCH_FRAMES_IN_WINDOW.start, PATCH_FRAMES_IN_WINDOW.stop], [PATCH_BINS.stop, PATCH_BINS.start],
        geometry.bins, geometry.frames,
    )
    u, v = image_to_input(x, y)
    rows, cols = range(int(v[0] // 16), int(v[1] // 16) + 1), range(int(u[0] // 16), int(u[1] // 16) + 1)
    region = np.zeros((14, 14), dtype=bool)
    region[rows.start : rows.stop, cols.start : cols.stop] = True
    (plain,) = gather_evidence(random_classifier, [window], inputs[[window]], [geometry])
    strongest = plain.activations.reshape(512, -1).argmax(axis=1)
    channels = np.flatnonzero(region.reshape(-1)[strongest])
    assert len(channels) >= 3, "some random channels respond most strongly around the patch"

    # The head: genre 7's logit sums those channels over the 7 x 7 pooled cells of the region.
    genre = GENRES[7]
    pooled = sorted({(r // 2) * 7 + c // 2 for r in rows for c in cols})
    state = dict(random_checkpoint.state_dict)
    first = torch.zeros(3958, 25088)
    first[0, (torch.as_tensor(channels)[:, None] * 49 + torch.as_tensor(pooled)).reshape(-1)] = 1.0
    state["classifier.1.weight"] = first
    for key, (n_out, n_in) in {"classifier.4.weight": (629, 3958), "classifier.7.weight": (100, 629)}.items():
        state[key] = torch.zeros(n_out, n_in)
        state[key][0, 0] = 1.0
    state["classifier.9.weight"] = torch.zeros(16, 100)
    state["classifier.9.weight"][genre.index, 0] = 1.0
    for index, size in ((1, 3958), (4, 629), (7, 100), (9, 16)):
        state[f"classifier.{index}.bias"] = torch.zeros(size)
    crafted = classifier_with(random_checkpoint, state)

    evidence = gather_evidence(crafted, [0, 1], inputs, geometries)
    assert predicted_genre(evidence) == genre
    (explained,) = explain(crafted, evidence[window:], genre)
    assert region[np.unravel_index(explained.cam.argmax(), explained.cam.shape)]
    # In the song: the strongest peak lies on the patch, within one 14 x 14 cell (0.8 s, 6 bins).
    peak = explained.peaks()[0]
    first_frame = geometry.first_frame + PATCH_FRAMES_IN_WINDOW.start
    patch_start = (first_frame - 0.5) * geometry.frame_seconds
    patch_end = patch_start + len(PATCH_FRAMES_IN_WINDOW) * geometry.frame_seconds
    assert patch_start - 0.4 <= peak.seconds <= patch_end + 0.4
    assert bin_frequency(PATCH_BINS.start - 3) <= peak.hz < bin_frequency(PATCH_BINS.stop + 3) and peak.heat == 1.0
    cells = explained.cells()
    hottest_bin, hottest_frame = np.unravel_index(cells.argmax(), cells.shape)
    assert hottest_bin in range(PATCH_BINS.start - 3, PATCH_BINS.stop + 3)
    assert hottest_frame in range(PATCH_FRAMES_IN_WINDOW.start - 18, PATCH_FRAMES_IN_WINDOW.stop + 18)
    # Nothing speaks for any other genre.
    (other,) = explain(crafted, evidence[window:], GENRES[3])
    assert not other.cam.any() and other.peaks() == []


def test_activation_report_walks_the_five_stages(random_classifier) -> None:  # noqa: F811
    cqt, samples = patch_song()
    inputs = network_inputs(split_windows(cqt, samples).frames[1:])
    report = activation_report(random_classifier.network, random_classifier.input_tensor(inputs), top_k=8)
    assert [layer.name for layer in report.layers][:3] == ["conv1_1", "conv1_2", "conv2_1"]
    assert len(report.layers) == 16 and report.layers[-1].name == "conv5_4"
    assert [(s.stage, s.layer, s.maps.shape) for s in report.stages] == [
        (1, "conv1_2", (8, 224, 224)), (2, "conv2_2", (8, 112, 112)), (3, "conv3_4", (8, 56, 56)),
        (4, "conv4_4", (8, 28, 28)), (5, "conv5_4", (8, 14, 14)),
    ]
    for stage in report.stages:
        assert list(stage.means) == sorted(stage.means, reverse=True)
        np.testing.assert_allclose(stage.maps.mean(axis=(1, 2)), stage.means, rtol=1e-4)
        layer = next(layer for layer in report.layers if layer.name == stage.layer)
        assert stage.means[0] >= layer.mean and 0.0 < layer.active < 1.0
    np.testing.assert_allclose(report.probabilities, random_classifier.predict(inputs)[0], atol=1e-5)
    with pytest.raises(ValueError, match="one window"):
        activation_report(random_classifier.network, random_classifier.input_tensor(np.repeat(inputs, 2, 0)))


def test_bounded_cache_evicts_the_least_recently_used() -> None:
    cache: BoundedCache[bytes] = BoundedCache(len, max_bytes=10, max_entries=3)
    for key in "abc":
        cache.put(key, b"xx")
    assert cache.get("a") == b"xx"  # now the most recent
    cache.put("d", b"xx")  # four entries: "b" goes
    assert cache.get("b") is None and len(cache) == 3
    cache.put("e", b"x" * 7)  # 13 bytes: the oldest go until it fits
    assert cache.get("e") is not None and cache.nbytes <= 10
    cache.put("big", b"x" * 50)  # alone over the bound, but the newest stays
    assert cache.get("big") is not None and len(cache) == 1
