"""musicnn, the built-in music tagger: a PyTorch port of the published TensorFlow networks.

Pons, Oramas and Serra's ``musicnn`` (ISMIR 2019 LBD, ISC licence) tags 3 s log-mel patches with
50 Last.fm (MSD) or MagnaTagATune (MTT) tags. `network` is the architecture, `weights` the shipped
converted checkpoints (packaging/musicnn/convert.py made them from the original's files and
checked the port against the original TensorFlow graph); TensorFlow is never needed here.
"""
