"""Decode an audio file into the signal the reference pipeline analyses.

The CCMusic weights were trained on ``librosa.load(path)`` output: float32, channels averaged to
mono, resampled to 22,050 Hz by soxr in its HQ mode and cut or zero-padded to
``ceil(frames * 22050 / native_rate)`` samples. For every format libsndfile reads (WAV, FLAC,
Ogg Vorbis/Opus, MP3, AIFF, ...) this module goes the way librosa goes and gives the same
samples, bit for bit. Other formats (AAC/ALAC in M4A, WMA, APE, WavPack, AC-3, Opus in WebM,
the audio of a video file, ...) are decoded by FFmpeg through PyAV; librosa would have used
audioread there, so no bit-exact reference exists, but everything after decoding (channel mean,
soxr HQ, length) is the same.

The built-in tagger (MusiCNN) was trained on ``librosa.load(path, sr=16000)``: the same decode and
channel mean, resampled to 16 kHz. `decode_audio` resamples one decode to every rate asked for, so
analysing a file with both networks reads and decodes it once.

The file is read in blocks and resampled as a stream, which soxr makes bit-identical to its
one-shot call, so a long track never holds more than its 22,050 Hz mono result in memory.

As in librosa, a file libsndfile fails on (or finds no samples in) goes to FFmpeg. A file whose
audio simply stops early (a cut-off download) decodes to what is there, as ``librosa.load``
would; only files from which no audio at all can be decoded raise `AudioDecodeError`.

Hostile input is bounded: the decoders never see a leading ID3v2 tag (they parse it in quadratic
time, see `audio_start`), and a recording longer than `MAX_SECONDS` stops with a reason instead
of growing memory without limit (analysis needs about 1 GB per hour of audio, the CQT's share).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import soundfile as sf
import soxr

from desktop_app.audio.audio_start import FileFrom, id3v2_end
from desktop_app.errors import AudioError

TARGET_SAMPLE_RATE = 22050

_BLOCK_FRAMES = 1 << 16
MAX_SECONDS = 2 * 3600
"""Longer recordings (a 10-hour ambience file, an audiobook) are refused: decoding and the CQT
need about 1 GB per hour of audio, and such a file is not a song to classify."""


_NOT_READABLE = "not a readable audio file (unknown format, or truncated/corrupt)"


class AudioDecodeError(AudioError):
    """A file could not be turned into audio; ``reason`` says why in words a user understands."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{reason}: {self.path}")


@dataclass(frozen=True)
class DecodedAudio:
    by_rate: Mapping[int, np.ndarray]
    """float32 mono at each requested rate, as ``librosa.load(path, sr=rate)`` returns it."""
    constant: bool
    """Every sample of the file's own signal (native rate, channels averaged) is the same: digital
    silence or a bare DC offset. The resampled samples may still vary, by the resampler's edge
    ripple."""

    @property
    def samples(self) -> np.ndarray:
        """The samples at 22,050 Hz, the CCMusic network's rate."""
        return self.at(TARGET_SAMPLE_RATE)

    def at(self, rate: int) -> np.ndarray:
        try:
            return self.by_rate[rate]
        except KeyError:
            raise ValueError(f"decoded at {sorted(self.by_rate)} Hz, not at {rate} Hz") from None


def decode(path: str | os.PathLike[str]) -> np.ndarray:
    """The whole file as float32 mono at 22,050 Hz, as ``librosa.load(path)`` returns it."""
    return decode_audio(path).samples


def decode_audio(path: str | os.PathLike[str], rates: Sequence[int] = (TARGET_SAMPLE_RATE,)) -> DecodedAudio:
    """`decode` at each of ``rates`` in one pass, with what the decoder saw of the file's own samples."""
    path = Path(path)
    rates = tuple(dict.fromkeys(rates))
    if not rates or any(rate <= 0 for rate in rates):
        raise ValueError(f"rates must be positive sample rates, got {rates}")
    with _open_checked(path) as file:
        start = id3v2_end(file, os.fstat(file.fileno()).st_size)
        if start == 0:
            # By name: libsndfile reads the file itself, as under librosa. Bytes, because a name
            # that is not valid UTF-8 cannot be encoded by soundfile.
            return _decode(path, rates, lambda: os.fsencode(path), lambda: str(path))
        return _decode(path, rates, lambda: FileFrom(file, start), lambda: FileFrom(file, start))


def _decode(
    path: Path,
    rates: tuple[int, ...],
    for_libsndfile: Callable[[], bytes | io.RawIOBase],
    for_ffmpeg: Callable[[], str | io.RawIOBase],
) -> DecodedAudio:
    try:
        with sf.SoundFile(for_libsndfile()) as sound_file:
            decoded = _decode_with_libsndfile(sound_file, path, rates)
    except sf.LibsndfileError:
        # librosa hands the file to audioread (FFmpeg) on any libsndfile error; so do we.
        return _decode_with_ffmpeg(path, rates, for_ffmpeg(), known_format=False)
    if decoded is None:
        return _decode_with_ffmpeg(path, rates, for_ffmpeg(), known_format=True)
    return decoded


def _open_checked(path: Path) -> BinaryIO:
    """The open file; file-system problems become reasons before any decoder gets to word them."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise AudioDecodeError(path, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):  # opening a pipe would wait for a writer forever
            raise AudioDecodeError(path, "not a regular file (a pipe, socket or device)")
        file = open(path, "rb")
    except FileNotFoundError:
        raise AudioDecodeError(path, "file not found") from None
    except PermissionError:
        raise AudioDecodeError(path, "permission denied") from None
    except OSError as exc:
        raise AudioDecodeError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if info.st_size == 0:
        file.close()
        raise AudioDecodeError(path, "empty file")
    return file


def resampling_stream(native_rate: int, rate: int) -> soxr.ResampleStream | None:
    """What ``librosa.resample(..., res_type='soxr_hq')`` does, fed block by block (None: same rate).

    soxr's stream gives the samples of its one-shot call, bit for bit, however the input is cut;
    the caller fixes the length at the end as librosa does (`resampled_length`).
    """
    if native_rate == rate:
        return None
    return soxr.ResampleStream(native_rate, rate, 1, dtype="float32", quality="soxr_hq")


def resampled_length(frames_in: int, native_rate: int, rate: int) -> int:
    """librosa's length of ``frames_in`` samples resampled from ``native_rate`` to ``rate``."""
    return int(np.ceil(frames_in * (float(rate) / native_rate)))


class _RateOutput:
    """One target rate's stream: what ``librosa.resample(..., 'soxr_hq')`` makes of the input.

    The output buffer is allocated once from the expected length (zero pages cost nothing until
    written) and grows only if the file turns out longer than announced.
    """

    def __init__(self, native_rate: int, rate: int, expected_frames: int) -> None:
        self._rates = (native_rate, rate)
        self._stream = resampling_stream(native_rate, rate)
        self._out = np.zeros(self.output_length(expected_frames), dtype=np.float32)
        self._filled = 0

    def output_length(self, frames_in: int) -> int:
        return resampled_length(frames_in, *self._rates)

    def push(self, mono: np.ndarray, *, last: bool = False) -> None:
        self._append(mono if self._stream is None else self._stream.resample_chunk(mono, last=last))

    def _append(self, chunk: np.ndarray) -> None:
        end = self._filled + chunk.shape[0]
        self._reserve(end)
        self._out[self._filled : end] = chunk
        self._filled = end

    def _reserve(self, size: int) -> None:
        if size > self._out.shape[0]:
            grown = np.zeros(max(size, self._out.shape[0] * 3 // 2), dtype=np.float32)
            grown[: self._filled] = self._out[: self._filled]
            self._out = grown

    def finish(self, frames_in: int) -> np.ndarray:
        if self._stream is not None:
            self.push(np.zeros(0, np.float32), last=True)
        # librosa fixes the length: soxr's surplus is dropped, a shortfall stays zero.
        length = self.output_length(frames_in)
        self._reserve(length)
        return self._out[:length]


class _MonoResampler:
    """Collects native-rate mono blocks and resamples them to every requested rate at once, so a
    file decoded for two networks (22,050 Hz for CCMusic, 16 kHz for the tagger) is read once."""

    def __init__(self, path: Path, native_rate: int, expected_frames: int, rates: Sequence[int]) -> None:
        self._path = path
        self._native_rate = native_rate
        self._max_frames = MAX_SECONDS * native_rate
        expected = min(max(expected_frames, 0), self._max_frames)
        self._outputs = {rate: _RateOutput(native_rate, rate, expected) for rate in rates}
        self._frames_in = 0
        self._first: np.float32 | None = None
        self._constant = True

    @property
    def path(self) -> Path:
        return self._path

    @property
    def native_rate(self) -> int:
        return self._native_rate

    @property
    def frames_in(self) -> int:
        return self._frames_in

    def push(self, mono: np.ndarray) -> None:
        if not np.isfinite(mono).all():
            raise AudioDecodeError(self._path, "truncated/corrupt: samples that are not numbers")
        if mono.shape[0] == 0:
            return
        self._frames_in += mono.shape[0]
        if self._frames_in > self._max_frames:
            hours = MAX_SECONDS / 3600
            raise AudioDecodeError(self._path, f"too long to analyse: more than {hours:g} hours of audio")
        if self._first is None:
            self._first = mono[0]
        if self._constant:
            self._constant = bool((mono == self._first).all())
        for output in self._outputs.values():
            output.push(mono)

    def finish(self) -> DecodedAudio:
        if self._frames_in == 0:
            raise AudioDecodeError(self._path, "no audio samples (zero-length audio)")
        return DecodedAudio(
            {rate: output.finish(self._frames_in) for rate, output in self._outputs.items()},
            self._constant,
        )


def mean_of_channels(channels_by_frames: np.ndarray) -> np.ndarray:
    """``librosa.to_mono`` on (channels, frames): the same float32 mean, sample for sample."""
    if channels_by_frames.shape[0] == 1:
        return channels_by_frames[0]
    return np.mean(channels_by_frames, axis=0)


def _decode_with_libsndfile(sound_file: sf.SoundFile, path: Path, rates: tuple[int, ...]) -> DecodedAudio | None:
    """The decoded samples, or None when libsndfile finds none (FFmpeg may know the file better)."""
    resampler = _MonoResampler(path, sound_file.samplerate, sound_file.frames, rates)
    while True:
        # librosa reads (frames, channels) and transposes; the same layout gives the same mean.
        block = sound_file.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            break
        resampler.push(mean_of_channels(block.T))
    if resampler.frames_in == 0:
        return None
    return resampler.finish()


def _decode_with_ffmpeg(
    path: Path, rates: tuple[int, ...], source: str | io.RawIOBase, *, known_format: bool
) -> DecodedAudio:
    """Decode with FFmpeg the way its command line does: a damaged packet is skipped, and audio
    that stops early ends the track; only a file that yields no audio at all is an error.

    ``known_format``: libsndfile recognised the file, so finding no samples means the audio is
    empty; otherwise FFmpeg's guess may rest on the name alone, and no samples means not audio.
    """
    try:
        container = av.open(source, mode="r")
    except av.FFmpegError as exc:
        reason = f"{_NOT_READABLE}: {exc.strerror}"
        raise AudioDecodeError(path, reason) from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(path, "no audio stream")
        stream = container.streams.audio[0]
        to_planar_float = av.AudioResampler(format="fltp")
        resampler: _MonoResampler | None = None
        last_error: av.FFmpegError | None = None
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    last_error = exc
                    continue
                for frame in frames:
                    if resampler is None:
                        announced = _announced_frames(container, stream, frame.sample_rate)
                        resampler = _MonoResampler(path, frame.sample_rate, announced, rates)
                    elif frame.sample_rate != resampler.native_rate:
                        reason = "unsupported: the sample rate changes mid-stream"
                        raise AudioDecodeError(path, reason)
                    _push_planar(resampler, to_planar_float, frame)
        except av.FFmpegError as exc:
            last_error = exc
        if resampler is None:
            if last_error is not None:
                reason = f"truncated/corrupt: {last_error.strerror}"
                raise AudioDecodeError(path, reason) from last_error
            if known_format:
                raise AudioDecodeError(path, "no audio samples (zero-length audio)")
            raise AudioDecodeError(path, f"{_NOT_READABLE}: no audio could be decoded")
        _push_planar(resampler, to_planar_float, None)
        return resampler.finish()


def _push_planar(resampler: _MonoResampler, to_planar_float: av.AudioResampler, frame: av.AudioFrame | None) -> None:
    """Convert one decoded frame (None flushes) to planar float32 and feed its channel mean."""
    try:
        planar_frames = to_planar_float.resample(frame)
    except ValueError as exc:
        # PyAV refuses frames whose sample format or channel layout differs from the first one.
        raise AudioDecodeError(
            resampler.path, "unsupported: the channel layout or sample format changes mid-stream"
        ) from exc
    for planar in planar_frames:
        resampler.push(mean_of_channels(planar.to_ndarray()))


def _announced_frames(container: av.container.InputContainer, stream: av.AudioStream, rate: int) -> int:
    """The length the container announces, in frames at ``rate``; 0 when it does not say."""
    if stream.duration is not None and stream.time_base is not None:
        return int(stream.duration * stream.time_base * rate)
    if container.duration is not None:
        return int(container.duration * rate / av.time_base)
    return 0
