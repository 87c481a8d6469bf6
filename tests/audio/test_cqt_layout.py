"""The CQT's bins, as the window's axes, its readout and the explanations name them, are the bins
`cqt` computes: one layout, named as librosa names their centre frequencies."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.audio import cqt
from desktop_app.audio.cqt_layout import FMIN_HZ, N_BINS, bin_frequency, note_name
from desktop_app.audio.pitch import hz_to_note


def test_the_bins_run_from_c1_to_b7_one_semitone_apart() -> None:
    names = [note_name(b) for b in range(N_BINS)]
    assert (names[0], names[1], names[12], names[45], names[46], names[-1]) == ("C1", "C#1", "C2", "A4", "A#4", "B7")
    assert len(set(names)) == N_BINS
    assert bin_frequency(0) == FMIN_HZ == pytest.approx(32.7032, rel=1e-5)  # librosa's C1, the CQT's fmin
    assert bin_frequency(45) == pytest.approx(440.0)
    assert bin_frequency(83) == pytest.approx(3951.07, rel=1e-5)
    ratios = np.diff(np.log2([bin_frequency(b) for b in range(N_BINS)]))
    assert np.allclose(ratios, 1 / 12)


def test_each_bin_s_name_is_what_librosa_calls_its_centre_frequency() -> None:
    assert [note_name(b) for b in range(N_BINS)] == [hz_to_note(bin_frequency(b)) for b in range(N_BINS)]


def test_the_spectrogram_has_as_many_bins_as_the_layout_names() -> None:
    one_second = np.sin(2 * np.pi * 440.0 * np.arange(cqt.SAMPLE_RATE) / cqt.SAMPLE_RATE).astype(np.float32)
    spectrogram = cqt.cqt_db(one_second)
    assert spectrogram.shape[0] == N_BINS
    assert int(spectrogram.mean(axis=1).argmax()) == 45, "a 440 Hz tone is loudest in the bin named A4"
