"""The CCMusic genre network: torchvision VGG19_BN with the CCMusic 16-class head.

Built exactly as the reference ``music_genre`` model so its published ``save.pt`` state_dict loads
strictly (same module indices, hence the same 120 key names).
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

from desktop_app.inference.classes import NUM_CLASSES

FEATURES = 25088  # 512 channels x 7 x 7 after VGG's adaptive pooling


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


def build_network(device: torch.device | str = "cpu") -> nn.Module:
    """VGG19_BN with the CCMusic head, in eval mode, randomly initialised on ``device``.

    Use ``device="meta"`` to get the structure without allocating 488 MB (the loader then
    assigns the checkpoint's tensors).
    """
    l3, l2, l1 = head_sizes()
    with torch.device(device):
        model = torchvision.models.vgg19_bn(weights=None)
        model.classifier = nn.Sequential(
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
        )
    return model.eval()


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """Key -> shape of the state_dict the checkpoint must hold, in the network's key order."""
    return {k: tuple(v.shape) for k, v in build_network("meta").state_dict().items()}


def random_state_dict(seed: int) -> dict[str, torch.Tensor]:
    """Random weights of the exact architecture, for tests and the benchmark.

    The real weights cannot be downloaded on the project's machines. BatchNorm statistics and
    affine parameters are randomised too (torchvision initialises them to the identity), so
    anything that transforms BatchNorm is actually exercised.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_network("cpu")
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0.0, 0.1)
                    module.running_mean.normal_(0.0, 0.1)
                    module.running_var.uniform_(0.5, 1.5)
    return model.state_dict()
