"""Which embedding finds "more like this"? precision@10 on real music with known categories. Prints JSON.

    .venv/bin/python bench/similarity_quality.py [--clip-seconds 30] [--ccmusic]

The library: the 18 free recordings of tests/real_music.py (fetched once from Debian packages),
each cut into clips of ``--clip-seconds`` that stand for tracks. 16 recordings carry a category
from their package's description (3 classical, 8 rock/metal, 5 game/electronic); two (a J-pop
instrumental, a MIDI tavern tune) have none and stay in the library as distractors, never queried.

precision@10 of a query clip: the share of its 10 nearest clips (cosine similarity) in the query's
category, counting only clips of *other* recordings: a clip's own song is trivially similar to it
(the artist filter of music-similarity evaluations), so what is measured is whether another song
of the same kind comes first. The figure is the mean over every categorised clip.

Candidates, each the mean over a clip's 3 s patches of one layer of the built-in taggers
(shipped, trained weights), compared raw and standardised (each dimension z-scored over the
library before the cosine):
- ``penultimate``: the backend's 200-unit dense layer (the original musicnn's ``penultimate``);
- ``mean_pool`` / ``max_pool``: the 753 mid-level features pooled over time;
- ``tags``: the 50 tag probabilities;
- the same layers of both networks side by side (``musicnn-msd+mtt``).
Baselines: ``random`` (the expected precision of 10 random clips of other recordings, exact) and
``mfcc_chroma`` (mean of 20 MFCCs and 12 chroma bins per clip, librosa's defaults at 22,050 Hz).
It also reports how well "My genres" (`analysis.my_genres`: the same classifier on the stored
embedding, labels = the categories) learns the three kinds, cross-validated two ways: stratified
5-fold over clips, as the app reports it to a person, and leaving out whole recordings (a song's
other clips never in training), the stricter figure.
``--ccmusic`` adds the CCMusic network's classifier hidden layers (629 and 100 units) with
*random* weights of the exact architecture: the published weights are not reachable here, so
that figure is a floor for random features, not the real network's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.audio import mel  # noqa: E402
from desktop_app.audio.decode import decode_audio  # noqa: E402
from desktop_app.inference.registry import open_tagger  # noqa: E402
from desktop_app.inference.tagger import TAGGERS  # noqa: E402
from desktop_app.library.similarity import unit_vectors  # noqa: E402
from tests.real_music import EVERY_RECORDING, recording_path  # noqa: E402

LAYERS = ("penultimate", "mean_pool", "max_pool", "tags")


def tagger_layers(tagger, patches: np.ndarray) -> dict[str, np.ndarray]:
    """Every candidate layer of both networks, per patch: {"musicnn-msd/penultimate": [n, 200], ...}."""
    found: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, len(patches), tagger.batch_size):
            batch = torch.from_numpy(patches[start:start + tagger.batch_size])
            for name, network in tagger.networks.items():
                out = network.embed(batch)
                values = {"penultimate": out.penultimate, "mean_pool": out.mean_pool,
                          "max_pool": out.max_pool, "tags": torch.sigmoid(out.logits)}
                for layer, tensor in values.items():
                    found.setdefault(f"{name}/{layer}", []).append(tensor.float().numpy())
    return {key: np.concatenate(parts) for key, parts in found.items()}


def mfcc_chroma(samples: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    mfcc = librosa.feature.mfcc(y=samples, sr=rate, n_mfcc=20).mean(axis=1)
    chroma = librosa.feature.chroma_stft(y=samples, sr=rate).mean(axis=1)
    return np.concatenate([mfcc, chroma])


def ccmusic_hidden(samples: np.ndarray) -> dict[str, np.ndarray]:
    """The CCMusic head's hidden layers (random weights), mean over the clip's windows."""
    from desktop_app.audio.prepare import prepare_samples
    from desktop_app.inference.network import build_network, random_state_dict

    network = _ccmusic_network(build_network, random_state_dict)
    inputs = torch.from_numpy(prepare_samples(samples).inputs)
    hidden: dict[str, np.ndarray] = {}
    with torch.inference_mode():
        x = torch.flatten(network.avgpool(network.features(inputs)), 1)
        for module in network.classifier:
            x = module(x)
            if isinstance(module, torch.nn.ReLU) and x.shape[1] < 1000:
                hidden[f"ccmusic-random/hidden{x.shape[1]}"] = x.mean(dim=0, keepdim=True).numpy()
    return hidden


_NETWORK: list[torch.nn.Module] = []


def _ccmusic_network(build, weights) -> torch.nn.Module:
    if not _NETWORK:
        network = build("cpu")
        network.load_state_dict(weights(seed=1))
        _NETWORK.append(network.eval())
    return _NETWORK[0]


def precision_at_k(matrix: np.ndarray, sources: list[str], categories: list[str | None], *,
                   standardise: bool, k: int = 10) -> float:
    """Mean share of each categorised clip's k nearest clips of other recordings in its category."""
    vectors = unit_vectors(matrix, standardise=standardise)
    similarity = vectors @ vectors.T
    source = np.asarray(sources)
    category = np.asarray([c or "" for c in categories])
    scores = []
    for query in np.flatnonzero(category != ""):
        others = np.flatnonzero(source != source[query])
        nearest = others[np.argsort(-similarity[query, others], kind="stable")[:k]]
        scores.append(np.mean(category[nearest] == category[query]))
    return float(np.mean(scores))


def random_precision(sources: list[str], categories: list[str | None]) -> float:
    """The expected precision@k of random picks among other recordings' clips (any k)."""
    source = np.asarray(sources)
    category = np.asarray([c or "" for c in categories])
    shares = [np.mean(category[source != source[q]] == category[q]) for q in np.flatnonzero(category != "")]
    return float(np.mean(shares))


def my_genres_accuracy(matrix: np.ndarray, sources: list[str], categories: list[str | None]) -> dict[str, float]:
    """Cross-validated accuracy of My genres' classifier on the categorised clips, and chance."""
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict

    from desktop_app.analysis.my_genres import make_classifier

    keep = [i for i, c in enumerate(categories) if c is not None]
    x = matrix[keep].astype(np.float64)
    y = np.array([categories[i] for i in keep])
    groups = np.array([sources[i] for i in keep])
    stratified = cross_val_predict(make_classifier(), x, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    by_recording = cross_val_predict(make_classifier(), x, y, cv=LeaveOneGroupOut(), groups=groups)
    return {"stratified_5_fold": round(float((stratified == y).mean()), 4),
            "leave_one_recording_out": round(float((by_recording == y).mean()), 4),
            "chance": round(max(float((y == c).mean()) for c in set(y)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-seconds", type=float, default=30.0)
    parser.add_argument("--ccmusic", action="store_true", help="add the CCMusic head with random weights")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    started = time.perf_counter()
    tagger = open_tagger("cpu")
    patches_per_clip = max(1, round(args.clip_seconds / mel.PATCH_SECONDS))

    features: dict[str, list[np.ndarray]] = {}
    sources: list[str] = []
    categories: list[str | None] = []
    for recording in EVERY_RECORDING:
        decoded = decode_audio(recording_path(recording), rates=(22050, mel.SAMPLE_RATE))
        layers = tagger_layers(tagger, mel.tagger_patches(decoded.at(mel.SAMPLE_RATE)).patches)
        clips = len(next(iter(layers.values()))) // patches_per_clip
        for clip in range(clips):
            rows = slice(clip * patches_per_clip, (clip + 1) * patches_per_clip)
            for key, values in layers.items():
                features.setdefault(key, []).append(values[rows].mean(axis=0))
            for name_a, name_b in [TAGGERS]:
                for layer in LAYERS:
                    both = np.concatenate([layers[f"{name_a}/{layer}"][rows].mean(axis=0),
                                           layers[f"{name_b}/{layer}"][rows].mean(axis=0)])
                    features.setdefault(f"{name_a}+mtt/{layer}", []).append(both)
            rate = 22050
            span = slice(int(clip * patches_per_clip * mel.PATCH_SECONDS * rate),
                         int((clip + 1) * patches_per_clip * mel.PATCH_SECONDS * rate))
            clip_samples = decoded.at(rate)[span]
            features.setdefault("baseline/mfcc_chroma", []).append(mfcc_chroma(clip_samples, rate))
            if args.ccmusic:
                for key, values in ccmusic_hidden(clip_samples).items():
                    features.setdefault(key, []).append(values[0])
            sources.append(recording.key)
            categories.append(recording.category)

    results: dict[str, float] = {}
    for key, rows in sorted(features.items()):
        matrix = np.stack(rows).astype(np.float64)
        standardised = key.startswith("baseline/")
        variants = [("standardised", True)] if standardised else [("raw", False), ("standardised", True)]
        for variant, z in variants:
            results[f"{key}/{variant}"] = round(precision_at_k(matrix, sources, categories, standardise=z), 4)
    learned = my_genres_accuracy(np.stack(features["musicnn-msd/penultimate"]), sources, categories)
    best = max((k for k in results if not k.startswith(("baseline", "ccmusic"))), key=results.__getitem__)
    counts = {c: sum(1 for x in categories if x == c) for c in sorted({c for c in categories if c})}
    print(json.dumps({
        "clips": len(sources), "clip_seconds": patches_per_clip * mel.PATCH_SECONDS,
        "clips_per_category": counts, "distractor_clips": categories.count(None),
        "recordings": len(EVERY_RECORDING),
        "random": round(random_precision(sources, categories), 4),
        "precision_at_10": results, "best": best, "my_genres_accuracy": learned,
        "seconds": round(time.perf_counter() - started, 1), "torch_threads": torch.get_num_threads(),
    }, indent=2))


if __name__ == "__main__":
    main()
