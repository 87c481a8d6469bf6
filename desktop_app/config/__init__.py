"""Where Genrescope keeps its data, and how the user overrides it."""

from desktop_app.config.paths import (
    data_dir,
    db_override,
    default_db_path,
    models_dir,
    resolve_db_path,
    resolve_weights_path,
)
from desktop_app.config.window_settings import resolve_library, saved_library_location, settings_path

__all__ = [
    "data_dir",
    "db_override",
    "default_db_path",
    "models_dir",
    "resolve_db_path",
    "resolve_library",
    "resolve_weights_path",
    "saved_library_location",
    "settings_path",
]
