"""Writing genres into the files' tags from the window: the dialog, its preview, and Edit → Undo."""

from desktop_app.gui.tag_writing.commands import TagWriteCommands

__all__ = ["TagWriteCommands"]
