"""Spectrograms and resampling of a stream, computed as the samples arrive, equal to the whole-file ones.

The file pipeline resamples the whole decoded file and takes the CQT (and the tagger's mel
spectrogram) of all of it; listening gets a few thousand samples at a time and must not redo
the past. Two facts make the stream's results those of the file:

- soxr's stream resampler gives the samples of its one-shot call however the input is cut
  (`decode.resampling_stream`), once the end is flushed and the length fixed as librosa does;
- a centred frame (frame j centred on sample j * hop) depends only on the samples near it. So
  `IncrementalFrames` computes each new run of frames from a segment that starts ``context``
  frames before them, on a multiple of the hop (where the CQT's octave-by-octave halving of the
  sample rate keeps the file's sample grid), and calls a frame final only once ``context``
  frames of audio lie after it. The frames before the first sample and after the last are the
  file's own zero padding, because the segment then starts (or ends) where the file does.

For the mel spectrogram (a plain STFT) a final frame is the file's up to the last bit of the FFT
and mel product, which round differently for different frame counts; the tagger's float16
quantisation makes that one float16 step in a few values in 100,000. For the CQT the
filters of the lowest octaves, computed at a low rate through soxr, reach further: with 32
frames (0.74 s) of context the dB values differ from the file's by at most about 0.01 dB
(tests/audio/test_live_features.py), which is the price of 0.74 s of latency on the live view.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from desktop_app.audio.decode import resampled_length, resampling_stream


class IncrementalFrames:
    """Final frames of ``compute`` over a growing signal, each computed about once.

    ``compute(segment)`` returns (features, frames) for a segment, frame i centred on its sample
    i * ``hop`` (librosa's centred, zero-padded framing).
    """

    def __init__(self, compute: Callable[[np.ndarray], np.ndarray], hop: int, context: int) -> None:
        self._compute = compute
        self._hop = hop
        self._context = context
        self._kept = np.zeros(0, dtype=np.float32)
        self._kept_from = 0
        """The signal's sample index of ``_kept[0]``: everything before it is no longer needed."""
        self._received = 0
        self.done = 0
        """Frames handed out as final so far."""

    @property
    def received(self) -> int:
        return self._received

    def push(self, samples: np.ndarray, *, last: bool = False, min_new: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Add ``samples``; returns (the frames that became final, the frames after them so far).

        The second array is what the file pipeline would have there if the signal ended now (the
        last frames, zero-padded). ``last``: the signal ends here,
        every frame becomes final. Below ``min_new`` new final frames nothing is computed and
        both arrays are empty (width 0), which keeps the cost of tiny pushes down.
        """
        if samples.shape[0]:
            self._kept = np.concatenate([self._kept, np.asarray(samples, dtype=np.float32)])
            self._received += samples.shape[0]
        if last:
            final = 1 + self._received // self._hop if self._received else 0
        else:
            final = max(0, self._received // self._hop - self._context + 1)
        if final - self.done < (1 if last else min_new):
            return self._empty(), self._empty()
        start = max(0, (self.done - self._context) * self._hop)
        frames = self._compute(self._kept[start - self._kept_from :])
        first = start // self._hop
        new = frames[:, self.done - first : final - first]
        after = frames[:, final - first :]
        self.done = final
        keep_from = max(0, (self.done - self._context) * self._hop)
        self._kept = self._kept[keep_from - self._kept_from :]
        self._kept_from = keep_from
        return new, after

    def _empty(self) -> np.ndarray:
        return np.zeros((0, 0), dtype=np.float32)


class StreamResampler:
    """Mono blocks at ``native_rate`` to ``rate``, as `decode` resamples a whole file."""

    def __init__(self, native_rate: int, rate: int) -> None:
        self._rates = (native_rate, rate)
        self._stream = resampling_stream(native_rate, rate)
        self._frames_in = 0
        self._frames_out = 0

    def push(self, mono: np.ndarray) -> np.ndarray:
        self._frames_in += mono.shape[0]
        out = mono if self._stream is None else self._stream.resample_chunk(mono)
        self._frames_out += out.shape[0]
        return out

    def finish(self) -> np.ndarray:
        """The rest, after which the output has librosa's length (soxr's surplus cut, zeros added)."""
        nothing = np.zeros(0, np.float32)
        tail = nothing if self._stream is None else self._stream.resample_chunk(nothing, last=True)
        wanted = max(0, resampled_length(self._frames_in, *self._rates) - self._frames_out)
        out = np.zeros(wanted, dtype=np.float32)
        out[: min(wanted, tail.shape[0])] = tail[:wanted]
        self._frames_out += wanted
        return out
