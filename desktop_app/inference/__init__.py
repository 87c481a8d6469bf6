"""Genre inference: the networks (CCMusic VGG19_BN, the built-in MusiCNN tagger in ``musicnn``),
their weights, and the registry that knows which models exist and how to load them.

Knows nothing of Qt or the library database. Import the submodules directly; only ``network``,
``checkpoint``, ``device``, ``engine``, ``tagger`` and ``musicnn.network`` import torch, so
``identity``, ``summary``, ``registry``, ``model_store`` and ``hub`` stay cheap to import (the CLI's
``model status`` needs no torch).
"""
