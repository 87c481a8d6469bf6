"""Genrescope: a desktop music-library organizer that classifies genre from the audio itself."""

__version__ = "0.1.0"
