"""The detail panel of the selected track (spectrogram, genre timeline, Top-5, playback controls).

The window embeds `DetailPanel` and calls ``show_track(track_dict)``; see `panel` for the contract.
"""

from desktop_app.gui.detail.panel import DetailPanel

__all__ = ["DetailPanel"]
