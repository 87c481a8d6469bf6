"""Listening's incremental path against the file pipeline, on a real recording fed in odd-sized blocks.

The recording is cut to 16-bit frames at its own rate, as a sound card delivers them; the file
is those frames as FLAC (what Save recording writes), analysed by the file pipeline. The
tolerance on network inputs is the project's parity tolerance (tests/audio/test_parity.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from desktop_app.audio import mel
from desktop_app.audio.cqt import HOP_LENGTH, cqt_db, cqt_power, power_db
from desktop_app.audio.decode import decode_audio
from desktop_app.audio.incremental import IncrementalFrames, StreamResampler
from desktop_app.audio.live_features import CQT_CONTEXT, LIVE_STEP, LiveFeatures
from desktop_app.audio.prepare import tagger_inputs
from desktop_app.audio.render import network_inputs
from desktop_app.audio.ring_buffer import RingBuffer
from tests.audio.test_parity import MAX_LIMIT, MEAN_LIMIT, differences
from tests.real_music import RECORDINGS, recording_path

SECONDS = 40


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> tuple[np.ndarray, int, object]:
    """40 s of a real rock recording as 16-bit stereo frames, and the same frames as a FLAC file."""
    recording = next(r for r in RECORDINGS if r.key == "feelings")
    with sf.SoundFile(recording_path(recording)) as source:
        rate = source.samplerate
        source.seek(20 * rate)
        frames = source.read(SECONDS * rate, dtype="int16", always_2d=True)
    path = tmp_path_factory.mktemp("live") / "heard.flac"
    sf.write(path, frames, rate, subtype="PCM_16")
    return frames, rate, path


def blocks(frames: np.ndarray, seed: int = 0):
    """``frames`` cut as a sound card might: blocks of 1 to 8,000 frames."""
    rng = np.random.default_rng(seed)
    start = 0
    while start < len(frames):
        size = int(rng.integers(1, 8000))
        yield start + size, frames[start : start + size]
        start += size


def assert_one_float16_step(live: np.ndarray, whole: np.ndarray) -> None:
    """The same log-mel values but for a few in 10,000 one float16 step apart.

    An STFT frame depends only on its own samples, but the FFT and the mel product round
    differently for different numbers of frames (BLAS blocks), and the tagger's float16
    quantisation (`mel.log_mel`) turns a last-bit difference into one float16 step (2^-11
    relative, at most 2.2e-4 after the log) where a value lies on a rounding boundary.
    """
    assert live.shape == whole.shape
    differ = live != whole
    assert differ.mean() < 1e-4, f"{differ.sum()} of {differ.size} values differ"
    np.testing.assert_allclose(live, whole, rtol=0, atol=2.5e-4)


def test_stream_resampling_gives_the_decoders_samples(captured):
    frames, rate, path = captured
    decoded = decode_audio(path, rates=(22050, 16000))
    mono = (frames.astype(np.float32) / np.float32(32768)).mean(axis=1)
    for target in (22050, 16000):
        stream = StreamResampler(rate, target)
        pieces = [stream.push(mono[i : i + 3001]) for i in range(0, len(mono), 3001)] + [stream.finish()]
        np.testing.assert_array_equal(np.concatenate(pieces), decoded.at(target))


def test_incremental_frames_are_the_whole_signals(captured):
    frames, rate, path = captured
    decoded = decode_audio(path, rates=(22050, 16000))
    signal = decoded.at(16000)
    log_mel = IncrementalFrames(lambda s: mel.log_mel(s).T, mel.HOP_LENGTH, 2)
    parts = [log_mel.push(signal[i : i + 2500])[0] for i in range(0, len(signal), 2500)]
    parts.append(log_mel.push(np.zeros(0, np.float32), last=True)[0])
    incremental = np.concatenate([p for p in parts if p.size], axis=1)
    assert_one_float16_step(incremental, mel.log_mel(signal).T)

    samples = decoded.at(22050)
    cqt = IncrementalFrames(cqt_power, HOP_LENGTH, CQT_CONTEXT)
    parts = [cqt.push(samples[i : i + 4096], min_new=4)[0] for i in range(0, len(samples), 4096)]
    parts.append(cqt.push(np.zeros(0, np.float32), last=True)[0])
    power = np.concatenate([p for p in parts if p.size], axis=1)
    whole = cqt_db(samples)
    assert power.shape == whole.shape
    worst = float(np.abs(power_db(power, cqt_power(samples).max()) - whole).max())
    assert worst < 0.05, f"incremental CQT differs from the whole file's by {worst} dB"


def test_live_windows_and_patches_are_what_the_file_pipeline_makes(captured, tmp_path):
    frames, rate, path = captured
    live = LiveFeatures(rate)
    windows, patches, columns = [], [], []
    for heard, block in blocks(frames):
        update = live.push(block)
        windows += [(heard, w) for w in update.windows]
        patches += update.patches
        if update.columns.size:
            assert update.first_column == sum(c.shape[1] for c in columns)
            columns.append(update.columns)
    end = live.finish()
    patches += end.patches
    assert live.seconds == pytest.approx(SECONDS)
    assert [w.index for _, w in windows] == list(range(SECONDS * 22050 // HOP_LENGTH // LIVE_STEP))
    decoded = decode_audio(path, rates=(22050, 16000))
    assert sum(c.shape[1] for c in columns) + end.columns.shape[1] == cqt_db(decoded.samples).shape[1]

    # Each window: the file pipeline on the audio heard when it completed, the same CQT frames.
    for heard, window in windows:
        prefix = tmp_path / f"prefix-{window.index}.flac"
        sf.write(prefix, frames[:heard], rate, subtype="PCM_16")
        spectrogram = cqt_db(decode_audio(prefix).samples)
        first = window.index * LIVE_STEP
        expected = network_inputs(spectrogram[None, :, first : first + LIVE_STEP])
        mean, worst = differences(network_inputs(window.db[None]), expected)
        assert mean <= MEAN_LIMIT and worst <= MAX_LIMIT, (window.index, mean, worst)
        assert (window.start_s, window.end_s) == pytest.approx((first * 512 / 22050, (first + LIVE_STEP) * 512 / 22050))

    # The tagger's patches are cut from the start in both paths: the same values.
    file_patches = tagger_inputs(decoded).inputs
    assert len(patches) == len(file_patches)
    assert_one_float16_step(np.stack([p.log_mel for p in patches]), file_patches)


def test_live_level_is_the_blocks_peak():
    live = LiveFeatures(48000)
    half_scale = np.full((4800, 2), 16384, dtype=np.int16)
    assert live.push(half_scale).peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert live.push(np.zeros((4800, 2), np.int16)).peak_dbfs == -120.0


def test_ring_buffer_keeps_order_across_the_wrap_and_counts_what_it_drops():
    ring = RingBuffer(10, 2)
    ring.write(np.arange(12).reshape(6, 2))
    assert ring.read()[:, 0].tolist() == [0, 2, 4, 6, 8, 10]
    ring.write(np.arange(16).reshape(8, 2))  # wraps round the end
    assert len(ring) == 8 and ring.read()[:, 1].tolist() == [1, 3, 5, 7, 9, 11, 13, 15]
    ring.write(np.arange(16).reshape(8, 2))
    ring.write(np.arange(100, 108).reshape(4, 2))  # 12 frames into 10: the 2 oldest go
    assert ring.dropped == 2
    assert ring.read()[:, 0].tolist() == [4, 6, 8, 10, 12, 14, 100, 102, 104, 106]
    ring.write(np.arange(30).reshape(15, 2))  # more than it holds at once
    assert ring.dropped == 7 and ring.read()[0, 0] == 10 and len(ring) == 0
