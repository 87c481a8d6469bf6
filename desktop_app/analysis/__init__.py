"""Analysis: what joins audio, the networks and the library (the place beets' importer holds).

`audio` makes inputs, `inference` runs networks, `library` stores rows; none of them knows the
others' upper layers. This package decodes tracks, runs the models over them and stores what they
found. The CLI and the window both drive it.
"""
