"""Playlists in the window, shaped like `desktop_app.gui.detail`: the pane (`panel`) with its list
(`playlist_list`), what a person can do (`actions`) and its dialogs (`dialogs`), the playlist
shown (`view`, over `tracks_model`), and the one `writer` every playlist change goes through."""

from desktop_app.gui.playlists.panel import PlaylistsPanel
from desktop_app.gui.playlists.view import PlaylistView

__all__ = ["PlaylistView", "PlaylistsPanel"]
