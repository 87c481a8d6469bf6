"""The CCMusic genre network: VGG19_BN with the CCMusic 16-class head.

Built exactly as the reference ``music_genre`` model (torchvision's ``vgg19_bn`` with its
classifier replaced) so its published ``save.pt`` state_dict loads strictly: same module indices,
hence the same 120 key names. The VGG body is written out here rather than taken from
torchvision, whose compiled operators do not load beside a CPU-only torch build: the app then runs
(and bundles) with whichever torch is installed. tests/inference/test_network.py checks that the
keys, shapes and outputs equal torchvision's.
"""

from __future__ import annotations

import torch
from torch import nn

from desktop_app.genres.ccmusic import NUM_CLASSES

FEATURES = 25088  # 512 channels x 7 x 7 after VGG's adaptive pooling
VGG19_LAYERS: tuple[int | str, ...] = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
)
"""torchvision's configuration "E": output channels of each 3x3 convolution, "M" a 2x2 max-pool."""


class VGG(nn.Module):
    """torchvision's VGG layout: ``features`` -> ``avgpool`` (7x7) -> flatten -> ``classifier``."""

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg19_bn_features() -> nn.Sequential:
    """Conv-BatchNorm-ReLU blocks and pools at torchvision's indices (convs at 0, 3, 7, ...).

    Convolutions are initialised as torchvision does (He, fan-out), so random test weights keep
    activations of a useful size through all 16 layers.
    """
    layers: list[nn.Module] = []
    channels = 3
    for layer in VGG19_LAYERS:
        if layer == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        assert isinstance(layer, int)
        conv = nn.Conv2d(channels, layer, kernel_size=3, padding=1)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
        assert conv.bias is not None
        nn.init.zeros_(conv.bias)
        layers += [conv, nn.BatchNorm2d(layer), nn.ReLU(inplace=True)]
        channels = layer
    return nn.Sequential(*layers)


def head_sizes(num_classes: int = NUM_CLASSES, in_features: int = FEATURES) -> tuple[int, int, int]:
    """Hidden sizes (l3, l2, l1) of the reference head: a geometric ramp from 25088 down to 16.

    q = (in/classes) ** 0.25, l1 = int(q*classes), l2 = int(q*l1), l3 = int(q*l2);
    for 16 classes that is (3958, 629, 100).
    """
    q = (in_features / num_classes) ** 0.25
    l1 = int(q * num_classes)
    l2 = int(q * l1)
    l3 = int(q * l2)
    return l3, l2, l1


def build_network(device: torch.device | str = "cpu") -> VGG:
    """VGG19_BN with the CCMusic head, in eval mode, randomly initialised on ``device``.

    Use ``device="meta"`` to get the structure without allocating 488 MB (the loader then
    assigns the checkpoint's tensors).
    """
    l3, l2, l1 = head_sizes()
    with torch.device(device):
        model = VGG(
            vgg19_bn_features(),
            nn.Sequential(
                nn.Dropout(),
                nn.Linear(FEATURES, l3),
                nn.ReLU(inplace=True),
                nn.Dropout(),
                nn.Linear(l3, l2),
                nn.ReLU(inplace=True),
                nn.Dropout(),
                nn.Linear(l2, l1),
                nn.ReLU(inplace=True),
                nn.Linear(l1, NUM_CLASSES),
            ),
        )
    return model.eval()


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """Key -> shape of the state_dict the checkpoint must hold, in the network's key order."""
    return {k: tuple(v.shape) for k, v in build_network("meta").state_dict().items()}


def random_state_dict(seed: int) -> dict[str, torch.Tensor]:
    """Random weights of the exact architecture, for tests and the benchmark.

    The real weights cannot be downloaded on the project's machines. BatchNorm statistics and
    affine parameters are randomised too (PyTorch initialises them to the identity), so
    anything that transforms BatchNorm is actually exercised.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_network("cpu")
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, nn.BatchNorm2d):
                    assert module.bias is not None and module.running_mean is not None
                    assert module.running_var is not None
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0.0, 0.1)
                    module.running_mean.normal_(0.0, 0.1)
                    module.running_var.uniform_(0.5, 1.5)
    return model.state_dict()
