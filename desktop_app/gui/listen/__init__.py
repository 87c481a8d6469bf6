"""Listen: classify what is playing in the room (microphone, or the system's output) live.

``capture`` takes the sound server's audio with QtMultimedia off the GUI thread into a ring
buffer; ``sound_server`` asks the server for "what is playing" where it can; ``live_view`` is the
window's Listen panel. The analysis itself is Qt-free (`desktop_app.analysis.listening`).
"""
