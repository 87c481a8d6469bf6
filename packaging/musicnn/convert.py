"""Convert the original musicnn TensorFlow checkpoints into the weights Genrescope ships.

    .venv/bin/python packaging/musicnn/convert.py [--venv DIR] [--out DIR] [MODEL ...]

MODEL is any of ``MSD_musicnn``, ``MTT_musicnn`` and the VGG baselines ``MSD_vgg``, ``MTT_vgg``
(default: all four; `desktop_app.inference.musicnn.vgg` is their port). Run with the project's
Python (it needs torch); the original runs in a throwaway venv (see throwaway_venv.py), created under a
temp dir unless ``--venv`` names one, in a child process that only ever sees TensorFlow:

1. the child reads every variable of the wheel's checkpoint (optimizer slots skipped), builds the
   original graph with the wheel's own ``models.define_model``, restores the checkpoint as its
   ``extractor`` does, runs it on a few random patches and hands variables, inputs and outputs
   back in an .npz;
2. here every variable is mapped onto `MusiCNN`'s (or `MusicnnVGG`'s) state_dict (conv kernels
   HWIO -> OIHW, the midend's full-width kernels to Conv1d, dense kernels transposed, BatchNorm
   gamma / beta / moving mean / moving variance), and the mapping must be complete both ways: no
   variable left over, no key left unset;
3. the port runs on the same patches; logits and the penultimate, mean_pool and max_pool features
   (the VGGs: pool5) must equal the original's to within `TOLERANCE` before anything is written;
4. ``<out>/<model in lower case>.pt`` is written with ``torch.save(state_dict)`` (float32
   tensors, and BatchNorm's int64 ``num_batches_tracked`` counters, set to 0, which PyTorch's
   strict loading expects), and its SHA-256 printed for weights.py and ORIGIN.md.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_OUT = REPO / "desktop_app" / "inference" / "musicnn" / "weights"
MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")
TOLERANCE = 1e-5
"""Largest |original - port| allowed on logits and features, relative to the largest magnitude
of each (float32 arithmetic in a different order; the measured figures are printed)."""
TEST_PATCHES = 8
SEED = 20190

SKIPPED_SUFFIXES = ("/Adam", "/Adam_1")
SKIPPED_NAMES = ("beta1_power", "beta2_power", "global_step")

BATCH_NORMS = {
    "batch_normalization": "input_bn",
    "batch_normalization_1": "timbral.0.bn",
    "batch_normalization_2": "timbral.1.bn",
    "batch_normalization_3": "temporal.0.bn",
    "batch_normalization_4": "temporal.1.bn",
    "batch_normalization_5": "temporal.2.bn",
    "batch_normalization_6": "midend1.bn",
    "batch_normalization_7": "midend2.bn",
    "batch_normalization_8": "midend3.bn",
    "batch_normalization_9": "pool_bn",
    "batch_normalization_10": "dense_bn",
}
"""TF layer -> port module, in the order ``build_musicnn`` creates them (TF numbers its layers)."""
CONV2D = {
    "conv2d": "timbral.0.conv",
    "conv2d_1": "timbral.1.conv",
    "conv2d_2": "temporal.0.conv",
    "conv2d_3": "temporal.1.conv",
    "conv2d_4": "temporal.2.conv",
}
CONV1D = {"conv2d_5": "midend1.conv", "conv2d_6": "midend2.conv", "conv2d_7": "midend3.conv"}
"""The midend's 2-D convolutions span the whole feature axis with one input channel: Conv1d."""
DENSE = {"dense": "dense", "dense_1": "output"}
BN_PARTS = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}

VGG_BATCH_NORMS = {
    "batch_normalization": "input_bn",
    **{f"batch_normalization_{i}": f"blocks.{i - 1}.bn" for i in range(1, 6)},
}
VGG_CONV2D = {f"{i}CNN": f"blocks.{i - 1}.conv" for i in range(1, 6)}
"""The VGGs name their convolutions (``name='1CNN'``...); BatchNorms are numbered as created."""
VGG_DENSE = {"dense": "output"}
FEATURES = {"musicnn": ("penultimate", "mean_pool", "max_pool"), "vgg": ("pool5",)}
"""What is compared besides the logits."""


def architecture(model: str) -> str:
    return "vgg" if model.endswith("_vgg") else "musicnn"


def tf_export(model: str, out: Path) -> None:
    """(In the throwaway venv.) Variables, random inputs and the original's outputs, to ``out``."""
    import os

    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", category=UserWarning)  # tf.compat.v1.layers deprecations
    import musicnn
    import tensorflow as tf
    from musicnn import models

    tf.compat.v1.disable_eager_execution()
    checkpoint = f"{os.path.dirname(musicnn.__file__)}/{model}/"
    # The shipped 'checkpoint' index names the author's machine (/home/jpons/...), so
    # tf.train.load_checkpoint(dir) finds nothing: read the prefix itself, as the extractor's
    # saver.restore(sess, dir + '/') does.
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint)
    variables = {
        name: reader.get_tensor(name)
        for name in reader.get_variable_to_shape_map()
        if not name.endswith(SKIPPED_SUFFIXES) and name not in SKIPPED_NAMES
    }

    rng = np.random.default_rng(SEED)
    half = TEST_PATCHES // 2
    inputs = np.concatenate([
        rng.uniform(0.0, 4.5, size=(half, 187, 96)),  # the range of log10(10000 * mel + 1)
        rng.normal(2.0, 1.5, size=(TEST_PATCHES - half, 187, 96)),
    ]).astype(np.float32)

    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, 187, 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        graph = models.define_model(x, is_training, model, 50)
        if architecture(model) == "vgg":
            logits, *_, pool5 = graph
            tensors = {"logits": logits, "pool5": pool5}
        else:
            logits, *_, mean_pool, max_pool, penultimate = graph
            tensors = {"logits": logits, "penultimate": penultimate, "mean_pool": mean_pool, "max_pool": max_pool}
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver().restore(sess, checkpoint)
        outputs = sess.run(tensors, feed_dict={x: inputs, is_training: False})
    np.savez(out, **{f"var:{name}": value for name, value in variables.items()}, inputs=inputs, **outputs)


def map_variables(variables: dict[str, np.ndarray], arch: str = "musicnn") -> dict[str, np.ndarray]:
    """TF variable name -> port state_dict key, every variable exactly once (else SystemExit)."""
    mapped: dict[str, np.ndarray] = {}
    used: set[str] = set()

    def take(name: str) -> np.ndarray:
        if name not in variables:
            raise SystemExit(f"the checkpoint has no variable {name}")
        used.add(name)
        return variables[name]

    vgg = arch == "vgg"
    for layer, module in (VGG_BATCH_NORMS if vgg else BATCH_NORMS).items():
        for part, key in BN_PARTS.items():
            mapped[f"{module}.{key}"] = take(f"{layer}/{part}")
    for layer, module in (VGG_CONV2D if vgg else CONV2D).items():
        mapped[f"{module}.weight"] = take(f"{layer}/kernel").transpose(3, 2, 0, 1)  # HWIO -> OIHW
        mapped[f"{module}.bias"] = take(f"{layer}/bias")
    for layer, module in ({} if vgg else CONV1D).items():
        kernel = take(f"{layer}/kernel")  # [7, features, 1, filters]
        if kernel.shape[2] != 1:
            raise SystemExit(f"{layer}/kernel has shape {kernel.shape}, expected one input channel")
        mapped[f"{module}.weight"] = kernel[:, :, 0, :].transpose(2, 1, 0)  # -> [filters, features, 7]
        mapped[f"{module}.bias"] = take(f"{layer}/bias")
    for layer, module in (VGG_DENSE if vgg else DENSE).items():
        mapped[f"{module}.weight"] = take(f"{layer}/kernel").T  # [in, out] -> [out, in]
        mapped[f"{module}.bias"] = take(f"{layer}/bias")
    unused = sorted(set(variables) - used)
    if unused:
        raise SystemExit(f"checkpoint variables with no place in the port: {unused}")
    return mapped


def _network(arch: str, device: str = "cpu"):  # -> nn.Module
    from desktop_app.inference.musicnn.network import build_musicnn
    from desktop_app.inference.musicnn.vgg import build_vgg

    return build_vgg(device=device) if arch == "vgg" else build_musicnn(device=device)


def build_state_dict(mapped: dict[str, np.ndarray], arch: str = "musicnn"):  # -> dict[str, torch.Tensor]
    """The port's complete state_dict: shapes checked against the network, nothing missing."""
    import torch

    shapes = {k: tuple(v.shape) for k, v in _network(arch, "meta").state_dict().items()}
    counters = {key for key in shapes if key.endswith(".num_batches_tracked")}
    missing = sorted(set(shapes) - counters - set(mapped))
    extra = sorted(set(mapped) - set(shapes))
    if missing or extra:
        raise SystemExit(f"mapping incomplete: keys not set {missing}, keys the port lacks {extra}")
    state: dict[str, torch.Tensor] = {}
    for key, shape in shapes.items():
        if key in counters:
            state[key] = torch.tensor(0, dtype=torch.long)
            continue
        value = np.ascontiguousarray(mapped[key], dtype=np.float32)
        if tuple(value.shape) != shape:
            raise SystemExit(f"{key}: converted shape {value.shape}, the port expects {shape}")
        if not np.isfinite(value).all():
            raise SystemExit(f"{key} holds non-finite values")
        state[key] = torch.from_numpy(value.copy())
    return state


def compare(state, exported, arch: str = "musicnn") -> dict[str, tuple[float, float]]:
    """Max |original - port| of logits and features on the exported inputs: (absolute, relative
    to max(1, max |original|))."""
    import torch

    model = _network(arch)
    model.load_state_dict(state, strict=True)
    x = torch.from_numpy(exported["inputs"])
    with torch.inference_mode():
        if arch == "vgg":
            features = model.input_bn(x.unsqueeze(1))
            for block in model.blocks:
                features = block(features)
            ours = {"logits": model(x), "pool5": features.permute(0, 2, 3, 1)}  # NHWC, as TensorFlow
        else:
            ours = model.embed(x)._asdict()
    differences = {}
    for name in ("logits", *FEATURES[arch]):
        original = exported[name]
        scale = max(1.0, float(np.abs(original).max()))
        absolute = float(np.abs(ours[name].numpy() - original).max())
        differences[name] = (absolute, absolute / scale)
    return differences


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(model: str, venv: Path, out_dir: Path, work: Path) -> Path:
    import torch

    exported_path = work / f"{model}.npz"
    subprocess.run(
        [str(venv / "bin" / "python"), str(Path(__file__).resolve()), "--tf-export", model, str(exported_path)],
        check=True,
    )
    with np.load(exported_path, allow_pickle=False) as npz:
        exported = {name: npz[name] for name in npz.files}
    variables = {name[4:]: value for name, value in exported.items() if name.startswith("var:")}
    print(f"{model}: {len(variables)} variables (optimizer slots skipped)", flush=True)
    arch = architecture(model)
    state = build_state_dict(map_variables(variables, arch), arch)
    differences = compare(state, exported, arch)
    print(f"{model}: max |original - port| on {TEST_PATCHES} random patches (absolute / relative): "
          + ", ".join(f"{name} {a:.2e} / {r:.2e}" for name, (a, r) in differences.items()), flush=True)
    worst = max(relative for _, relative in differences.values())
    if not worst <= TOLERANCE:
        raise SystemExit(f"{model}: the port differs from the original by {worst:.3g} > {TOLERANCE}; nothing written")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{model.lower()}.pt"
    partial = target.with_name(target.name + ".partial")
    torch.save(state, partial)
    partial.replace(target)
    print(f"{model}: wrote {target} ({target.stat().st_size:,} bytes) sha256 {sha256_of(target)}", flush=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL", help=f"any of {', '.join(MODELS)} (default: all)")
    parser.add_argument("--venv", type=Path, help="the throwaway venv to use or create (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the .pt files go (default {DEFAULT_OUT})")
    parser.add_argument("--tf-export", nargs=2, metavar=("MODEL", "NPZ"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tf_export:
        tf_export(args.tf_export[0], Path(args.tf_export[1]))
        return 0
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    sys.path.insert(0, str(REPO))
    from throwaway_venv import ensure_venv

    venv = ensure_venv(args.venv)
    with tempfile.TemporaryDirectory(prefix="musicnn-convert-") as work:
        for model in args.models or MODELS:
            convert(model, venv, args.out, Path(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
