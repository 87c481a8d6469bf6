"""Explaining the built-in tagger: the time/frequency mapping exactly, a real recording, the CLI.

The real recording is "Armygeddon" cut at a known time: the lead guitar part alone, then the
backing track (drums, bass, rhythm guitar) from the same bar on. The MTT network's "fast" (the
tempo tag, which the drums carry: 0.1 on the guitar alone, 0.5 on the backing track) must be
heard where the drums play, and "guitar" where the guitar plays alone, also inside the one patch
that holds the cut.
"""

from __future__ import annotations

import json

import librosa
import numpy as np
import pytest
from PIL import Image

from desktop_app.audio import cqt, mel
from desktop_app.cli import main
from desktop_app.genres.musicnn_tags import MTT_TAGS
from desktop_app.audio.cqt_layout import bin_frequency
from desktop_app.inference.explain_tagger import PatchExplanation, explain_tag, overlay_image
from desktop_app.inference.musicnn.weights import load_tagger
from tests.explain_support import CUT_PATCH, CUT_S, guitar_then_band  # noqa: F401 (fixture)

MODEL = "musicnn-mtt"
CQT_FRAME_S = cqt.HOP_LENGTH / cqt.SAMPLE_RATE


# --- the mapping ------------------------------------------------------------------------------


def test_frames_and_patches_in_song_time() -> None:
    assert mel.frame_centre_sample(0, 0) == 0
    assert mel.frame_centre_sample(2, 10) == (2 * 187 + 10) * 256
    assert mel.frame_seconds(2, 10) == pytest.approx(6.144)
    assert mel.frame_seconds(1, 0) == pytest.approx(mel.PATCH_SECONDS)  # a patch starts at its bound
    assert mel.frame_samples(1, 0) == (187 * 256 - 256, 187 * 256 + 256)
    for bad in ((0, 187), (0, -1), (-1, 0)):
        with pytest.raises(ValueError):
            mel.frame_centre_sample(*bad)


def test_an_impulse_lights_exactly_the_frames_whose_window_covers_it() -> None:
    samples = np.zeros(5 * mel.SAMPLE_RATE, dtype=np.float32)
    click = 187 * 256 + 100  # patch 1, between the centres of its frames 0 and 1
    samples[click] = 1.0
    lit = np.flatnonzero(mel.log_mel(samples).max(axis=1) > 0)
    frames = mel.log_mel(samples).shape[0]
    covering = [j for j in range(frames)
                if (lambda span: span[0] < click < span[1])(mel.frame_samples(j // 187, j % 187))]
    assert lit.tolist() == covering == [187, 188]


def test_mel_bands_in_hz_are_librosas_filters() -> None:
    filters = librosa.filters.mel(sr=mel.SAMPLE_RATE, n_fft=mel.FFT_SIZE, n_mels=mel.N_MELS)
    fft_hz = librosa.fft_frequencies(sr=mel.SAMPLE_RATE, n_fft=mel.FFT_SIZE)
    for band, weights in enumerate(filters):
        support = fft_hz[weights > 0]
        assert mel.BAND_EDGES_HZ[band] < support.min() and support.max() < mel.BAND_EDGES_HZ[band + 2]
    assert mel.band_hz(0) == pytest.approx(31.0967, abs=1e-3) and mel.band_hz(95) < mel.SAMPLE_RATE / 2
    # A tone is loudest in the band whose centre is nearest to it.
    t = np.arange(2 * mel.SAMPLE_RATE) / mel.SAMPLE_RATE
    for hz in (300.0, 1000.0, 2500.0, 6000.0):
        tone = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        loudest = int(mel.log_mel(tone).mean(axis=0).argmax())
        assert loudest == int(np.abs(mel.BAND_CENTRES_HZ - hz).argmin())
    with pytest.raises(ValueError):
        mel.band_hz(96)


def _spot(patch: int, frame: int, band: int, probability: float = 0.5) -> PatchExplanation:
    heat = np.zeros((mel.PATCH_FRAMES, mel.N_MELS), dtype=np.float32)
    heat[frame, band] = 1.0
    return PatchExplanation(MODEL, 0, patch, probability, heat)


def test_heat_lands_on_the_cqt_cell_at_its_time_and_frequency() -> None:
    band = 20  # 653 Hz: between CQT bins 51 (E5, 659 Hz) and 50
    spot = _spot(3, 100, band)
    first, cells = spot.cqt_cells()
    assert cells.shape[0] == cqt.N_BINS
    hot_bin, hot_col = np.unravel_index(cells.argmax(), cells.shape)
    assert first + hot_col == round(mel.frame_seconds(3, 100) / CQT_FRAME_S)
    assert hot_bin == int(np.abs(np.log2([bin_frequency(b) / mel.band_hz(band) for b in range(84)])).argmin())
    # Linear in Hz between the band centres, scaled by the probability.
    hz = bin_frequency(hot_bin)
    assert cells.max() == pytest.approx(0.5 * (1 - abs(hz - mel.band_hz(band)) / (mel.band_hz(21) - mel.band_hz(20))),
                                        rel=1e-5)
    # Consecutive patches tile the CQT frames: no gap, at most the boundary frame shared.
    spans = [_spot(p, 0, 0).cqt_cells() for p in range(4)]
    for (first_a, cells_a), (first_b, _) in zip(spans, spans[1:]):
        assert first_b - (first_a + cells_a.shape[1]) in (0, -1)
    assert spans[0][0] == 0 and spans[1][0] == round(187 * 256 / 16000 / CQT_FRAME_S)
    # Every mel frame lands on the CQT frame nearest to it.
    for frame in range(mel.PATCH_FRAMES):
        first, cells = _spot(2, frame, band).cqt_cells()
        assert first + int(cells.max(axis=0).argmax()) == round(mel.frame_seconds(2, frame) / CQT_FRAME_S)


# --- a real recording -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mtt(guitar_then_band):
    from desktop_app.audio.prepare import prepare_for_tagger

    tagger = load_tagger("cpu")
    inputs = prepare_for_tagger(guitar_then_band).inputs
    assert len(inputs) == 11

    def heat_of(tag: str) -> list[PatchExplanation]:
        return explain_tag(tagger.networks[MODEL], MODEL, inputs, list(range(len(inputs))), MTT_TAGS.index(tag))

    return heat_of


def _halves(explanations: list[PatchExplanation], maps) -> tuple[float, float]:
    """Mean of ``maps(e)`` over the frames before `CUT_S` and over those after it."""
    values = np.concatenate([maps(e) for e in explanations])
    seconds = np.array([mel.frame_seconds(e.patch, f) for e in explanations for f in range(mel.PATCH_FRAMES)])
    return float(values[seconds < CUT_S].mean()), float(values[seconds >= CUT_S].mean())


def _share_after_cut(e: PatchExplanation) -> float:
    seconds = np.array([mel.frame_seconds(e.patch, f) for f in range(mel.PATCH_FRAMES)])
    per_frame = e.heat.sum(axis=1)
    return float(per_frame[seconds >= CUT_S].sum() / per_frame.sum())


def test_the_tempo_tag_is_heard_where_the_drums_play(mtt) -> None:
    fast = mtt("fast")
    # Measured: weighted 0.003 (guitar alone) vs 0.057 (with drums); per-patch maps 0.029 vs 0.101;
    # 86 % of the cut patch's heat after the cut, which holds 48 % of its frames.
    guitar, drums = _halves(fast, PatchExplanation.weighted)
    assert drums > 8 * guitar, (guitar, drums)
    # Not only because the tagger is surer there: each patch's own map, scaled to its maximum, too.
    guitar, drums = _halves(fast, lambda e: e.heat)
    assert drums > 2 * guitar, (guitar, drums)
    cut = fast[CUT_PATCH]
    assert cut.bounds[0] < CUT_S < cut.bounds[1]
    assert _share_after_cut(cut) > 0.75
    assert CUT_S <= cut.peaks()[0].seconds < cut.bounds[1]


def test_the_guitar_tag_is_heard_where_the_guitar_plays_alone(mtt) -> None:
    # The other way round, so the heat follows the tag, not the louder half (the backing track
    # is 2.5 times the guitar's RMS). Measured: weighted 0.020 vs 0.002; 35 % after the cut.
    guitar_tag = mtt("guitar")
    guitar, band = _halves(guitar_tag, PatchExplanation.weighted)
    assert guitar > 4 * band, (guitar, band)
    assert _share_after_cut(guitar_tag[CUT_PATCH]) < 0.48


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_reports_where_the_tags_heat_is(capsys, guitar_then_band, tmp_path) -> None:
    out = tmp_path / "fast.png"
    code = main(["explain", str(guitar_then_band), "--model", MODEL, "--tag", "FAST", "--out", str(out),
                 "--opacity", "0.5", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert (report["model"], report["tag"], report["tag_source"]) == (MODEL, "fast", "requested")
    assert report["model_origin"] == "builtin" and len(report["model_sha256"]) == 64
    assert report["image"] == {"path": str(out), "width": 11 * 374, "height": 192}

    from desktop_app.audio.prepare import prepare_for_tagger

    inputs = prepare_for_tagger(guitar_then_band).inputs
    expected = explain_tag(load_tagger("cpu").networks[MODEL], MODEL, inputs, list(range(11)), MTT_TAGS.index("fast"))
    for patch, e in zip(report["patches"], expected, strict=True):
        assert patch["patch"] == e.patch + 1
        assert (patch["start"], patch["end"]) == (round(e.bounds[0], 3), round(e.bounds[1], 3))
        assert patch["tag_score"] == pytest.approx(e.probability, abs=1e-5)
        assert [(p["time"], p["hz"]) for p in patch["peaks"]] == [(round(p.seconds, 3), round(p.hz, 2))
                                                                  for p in e.peaks()]
    assert max(report["patches"], key=lambda p: p["tag_score"])["start"] > CUT_S
    with Image.open(out) as image:
        picture = np.asarray(image).astype(int)
    drawn = np.concatenate([overlay_image(inputs[e.patch], e, 0.5) for e in expected], axis=1)
    assert np.abs(picture - drawn).max() <= 1


def test_cli_one_patch_with_the_predicted_tag(capsys, guitar_then_band) -> None:
    code = main(["explain", str(guitar_then_band), "--model", MODEL, "--window", "9"])
    text = capsys.readouterr().out
    assert code == 0
    assert "(predicted) for musicnn-mtt, 1 patch(es) of 3 s" in text and "  patch 9 (23.9-26.9 s): " in text
    assert "heat peaks: " in text and "MusiCNN (MagnaTagATune)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", MODEL, "--tag", "drumz"], "Did you mean: 'drums'"),
        (["--model", MODEL, "--genre", "Opera"], "--genre is for CCMusic"),
        (["--tag", "drums"], "--tag is for the tagger's networks"),
        (["--model", MODEL, "--weights", "ccmusic.pt"], "--weights is for CCMusic"),
        (["--model", "musicnn-msd", "--window", "12"], "--window must be between 1 and 11"),
    ],
)
def test_cli_bad_requests_exit_2_with_a_reason(capsys, guitar_then_band, args, message) -> None:
    code = main(["explain", str(guitar_then_band), *args, "--json"])
    assert code == 2
    assert message in capsys.readouterr().err
