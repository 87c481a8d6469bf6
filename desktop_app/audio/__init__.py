"""Audio to network inputs, exactly as the CCMusic reference pipeline and the original musicnn make them.

Knows nothing of Qt, torch or the library database: paths (or samples) in, numpy arrays out.
Start with ``desktop_app.audio.prepare.prepare_track``. The modules, in pipeline order:

- ``decode``: any audio file to float32 mono at 22,050 Hz (and/or 16 kHz, in the same pass), as
  ``librosa.load`` gives it;
- ``cqt``: the dB constant-Q spectrogram (``stft``: the centred STFT under it and ``mel``;
  ``pitch``: notes and frequencies), librosa 0.11's arithmetic without librosa, whose numba would
  make a new machine's first analysis wait for its compiler;
- ``windows``: the 11.4 s windows, with their times;
- ``render``: windows to the network's [-1, 1] image tensors (``magma_lut`` holds the colours);
- ``mel``: the tagger's log-mel spectrogram and its 3 s patches;
- ``prepare``: all of it in one call;
- ``ring_buffer``, ``incremental``, ``live_features``: the same for audio being captured, as it
  arrives (the live view and listening's windows and patches).

Nothing is imported here, so that ``magma_lut`` or ``cqt``'s constants cost the GUI no
start-up time, and so that the module ``decode`` is never shadowed by its function.
"""
