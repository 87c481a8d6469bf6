"""Decoding: the same samples as librosa.load where libsndfile reads the file, FFmpeg elsewhere,
and a clear AudioDecodeError (never a library traceback) when there is no audio to be had."""

from __future__ import annotations

import tracemalloc
import warnings
from fractions import Fraction
from pathlib import Path

import av
import librosa
import numpy as np
import pytest
import soundfile as sf
import soxr
from PIL import Image
from scipy.signal import correlate

from desktop_app.audio import decode as decode_module
from desktop_app.audio.decode import TARGET_SAMPLE_RATE, AudioDecodeError, decode


def tones(rate: int, seconds: float, channels: int, seed: int = 0) -> np.ndarray:
    """(frames, channels) float32: a different chord per channel plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    columns = []
    for channel in range(channels):
        chord = sum(np.sin(2 * np.pi * f * (channel + 1) * t) for f in (220.0, 277.2, 329.6))
        columns.append(0.2 * chord + 0.02 * rng.standard_normal(t.size))
    return np.stack(columns, axis=1).astype(np.float32)


def chirp(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * (100 * t + 200 * t**2))).astype(np.float32)


def encode_with_ffmpeg(path: Path, stereo: np.ndarray, rate: int, codec: str) -> None:
    """Write (frames, 2) float32 with a PyAV encoder, timestamps set so priming is signalled."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        stream.bit_rate = 128_000
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, stereo.shape[0], frame_size):
            chunk = np.ascontiguousarray(stereo[start : start + frame_size].T)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def librosa_load(path: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples, rate = librosa.load(path)
    assert rate == TARGET_SAMPLE_RATE
    return samples


def aligned_correlation(decoded: np.ndarray, expected: np.ndarray) -> tuple[int, float]:
    """(lag of ``decoded`` behind ``expected`` in samples, correlation once aligned)."""
    lag = int(np.argmax(correlate(decoded, expected, mode="full", method="fft"))) - (len(expected) - 1)
    late, early = (decoded[lag:], expected) if lag >= 0 else (decoded, expected[-lag:])
    n = min(len(late), len(early))
    return lag, float(np.corrcoef(late[:n], early[:n])[0, 1])


# Each lasts 3.3 s: several of the decoder's 65,536-frame blocks at every rate but 8 kHz.
@pytest.mark.parametrize(
    ("name", "rate", "channels", "subtype"),
    [
        ("stereo_44k.wav", 44100, 2, "PCM_16"),
        ("mono_48k_float.wav", 48000, 1, "FLOAT"),
        ("stereo_8k.flac", 8000, 2, "PCM_24"),
        ("stereo_44k.ogg", 44100, 2, "VORBIS"),
        ("stereo_48k_opus.ogg", 48000, 2, "OPUS"),
        ("stereo_44k.mp3", 44100, 2, "MPEG_LAYER_III"),
        ("stereo_22k.wav", 22050, 2, "PCM_16"),
        ("surround_96k.wav", 96000, 6, "PCM_16"),
    ],
)
def test_libsndfile_formats_decode_exactly_like_librosa_load(tmp_path, name, rate, channels, subtype):
    path = tmp_path / name
    sf.write(path, tones(rate, 3.3, channels), rate, subtype=subtype)
    samples = decode(path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert samples.shape == (int(np.ceil(sf.info(path).frames * TARGET_SAMPLE_RATE / rate)),)
    np.testing.assert_array_equal(samples, librosa_load(path))


def test_stereo_becomes_the_mean_of_its_channels(tmp_path):
    stereo = tones(TARGET_SAMPLE_RATE, 2.0, 2)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, TARGET_SAMPLE_RATE, subtype="FLOAT")
    np.testing.assert_array_equal(decode(path), np.mean(stereo.T, axis=0))


# AAC in MP4 signals its encoder priming, which FFmpeg trims; FFmpeg's own WMA round trip
# loses one codec frame at the start, which is FFmpeg's doing, not ours.
@pytest.mark.parametrize(
    ("name", "codec", "rate", "max_lag"), [("song.m4a", "aac", 44100, 0), ("song.wma", "wmav2", 44100, 1024)]
)
def test_formats_libsndfile_cannot_read_are_decoded_by_ffmpeg(tmp_path, name, codec, rate, max_lag):
    signal = chirp(rate, 4.0)
    path = tmp_path / name
    encode_with_ffmpeg(path, np.stack([signal, signal], axis=1), rate, codec)
    with pytest.raises(sf.LibsndfileError):
        sf.info(path)
    samples = decode(path)
    expected = soxr.resample(signal, rate, TARGET_SAMPLE_RATE, quality="soxr_hq")
    assert samples.dtype == np.float32
    assert abs(len(samples) - len(expected)) <= 1024
    lag, correlation = aligned_correlation(samples, expected)
    assert abs(lag) <= max_lag
    assert correlation > 0.999


def test_a_cut_off_file_decodes_what_is_there(tmp_path):
    whole = tmp_path / "whole.wav"
    sf.write(whole, tones(44100, 4.0, 2), 44100, subtype="PCM_16")
    data = whole.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    samples = decode(cut)
    assert abs(len(samples) - 2.0 * TARGET_SAMPLE_RATE) < 0.01 * TARGET_SAMPLE_RATE


def test_decoding_a_long_file_holds_little_more_than_the_result(tmp_path):
    path = tmp_path / "two_minutes.wav"
    rate, seconds = 48000, 120
    with sf.SoundFile(path, "w", rate, 2, subtype="PCM_16") as out:
        for _ in range(seconds // 10):
            out.write(tones(rate, 10.0, 2))
    tracemalloc.start()
    try:
        samples = decode(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # librosa.load would hold the float32 stereo file (46 MB) and its mono mean (23 MB).
    assert samples.nbytes == seconds * TARGET_SAMPLE_RATE * 4
    assert peak < samples.nbytes + 8 * 2**20


def test_missing_file(tmp_path):
    with pytest.raises(AudioDecodeError) as info:
        decode(tmp_path / "nowhere.mp3")
    assert info.value.reason == "file not found"
    assert info.value.path == tmp_path / "nowhere.mp3"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioDecodeError, match="empty file"):
        decode(path)


def test_directory(tmp_path):
    with pytest.raises(AudioDecodeError, match="is a directory"):
        decode(tmp_path)


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "locked.wav"
    sf.write(path, tones(22050, 0.5, 1), 22050)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root may read anything, so the refusal is simulated where decode opens the file.
    monkeypatch.setattr(decode_module, "open", refuse, raising=False)
    with pytest.raises(AudioDecodeError) as info:
        decode(path)
    assert info.value.reason == "permission denied"


def test_zero_length_audio(tmp_path):
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros((0, 2), np.float32), 44100)
    with pytest.raises(AudioDecodeError, match=r"no audio samples \(zero-length audio\)"):
        decode(path)


def test_not_audio_at_all(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioDecodeError, match="not a readable audio file"):
        decode(path)


def test_header_cut_short(tmp_path):
    whole = tmp_path / "whole.wav"
    sf.write(whole, tones(44100, 1.0, 2), 44100)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:10])
    with pytest.raises(AudioDecodeError, match="truncated/corrupt"):
        decode(cut)


def test_flac_cut_before_its_first_frame(tmp_path):
    whole = tmp_path / "whole.flac"
    sf.write(whole, tones(44100, 1.0, 2), 44100)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(AudioDecodeError) as info:
        decode(cut)
    assert info.value.reason.startswith("truncated/corrupt: ")


def test_m4a_without_its_index(tmp_path):
    whole = tmp_path / "whole.m4a"
    signal = chirp(44100, 2.0)
    encode_with_ffmpeg(whole, np.stack([signal, signal], axis=1), 44100, "aac")
    data = whole.read_bytes()
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match="truncated/corrupt"):
        decode(cut)


def test_samples_that_are_not_numbers(tmp_path):
    signal = tones(22050, 1.0, 1)
    signal[100, 0] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, signal, 22050, subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="truncated/corrupt: samples that are not numbers"):
        decode(path)


def test_a_file_with_no_audio_stream(tmp_path):
    path = tmp_path / "cover.png"
    Image.new("RGB", (16, 16)).save(path)
    with pytest.raises(AudioDecodeError) as info:
        decode(path)
    assert info.value.reason == "no audio stream"
    assert str(info.value) == f"no audio stream: {path}"
