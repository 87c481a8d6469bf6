"""Genre inference: the CCMusic VGG19_BN network, its checkpoint, and where it is installed.

Knows nothing of Qt or the library database. Import the submodules directly; only ``network``,
``checkpoint``, ``device`` and ``engine`` import torch, so ``classes``, ``identity``, ``summary``,
``model_store`` and ``hub`` stay cheap to import (the CLI's ``model status`` needs no torch).
"""
