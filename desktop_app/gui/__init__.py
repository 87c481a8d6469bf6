"""The desktop window (PySide6). The only package that imports Qt; it drives library, audio and inference."""
