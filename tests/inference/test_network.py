"""The network written out in desktop_app.inference.network is torchvision's VGG19_BN, layer for layer.

The app no longer imports torchvision (its compiled operators do not load beside a CPU-only torch,
which the small bundle uses); the published checkpoint was saved from torchvision's model, so the
key names, shapes and the computation must stay identical to it.
"""

from __future__ import annotations

import subprocess
import sys

import torch
import torchvision
from torch import nn

from desktop_app.inference.network import build_network


def torchvision_reference() -> tuple[nn.Module, nn.Module]:
    """(torchvision's vgg19_bn with our CCMusic head put in, our network)."""
    ours = build_network("cpu")
    reference = torchvision.models.vgg19_bn(weights=None)
    reference.classifier = ours.classifier
    return reference.eval(), ours


def test_state_dict_keys_and_shapes_equal_torchvision() -> None:
    reference, ours = torchvision_reference()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()
    }
    assert list(ours.state_dict()) == list(reference.state_dict())


def test_outputs_equal_torchvision_with_the_same_weights() -> None:
    reference, ours = torchvision_reference()
    reference.load_state_dict(ours.state_dict(), strict=True)
    inputs = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        assert torch.equal(ours(inputs), reference(inputs))


def test_loading_and_running_the_model_does_not_import_torchvision() -> None:
    code = (
        "import sys, torch\n"
        "from desktop_app.inference.engine import GenreClassifier\n"
        "from desktop_app.inference.network import build_network\n"
        "build_network('cpu')(torch.zeros(1, 3, 224, 224))\n"
        "assert 'torchvision' not in sys.modules, 'torchvision was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
