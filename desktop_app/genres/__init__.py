"""What the networks' outputs mean: the CCMusic genres, the tagger's tags and the broad-genre table.

Torch-free and Qt-free, at the bottom of the house: the library, playlists, the CLI and the window
read these names without loading a model, and the inference layer maps its outputs onto them.
"""
