"""Dialogs for playlists: from a genre, smart-playlist rules, and export options.

Each dialog only collects choices and hands back a plain value (`GenreChoice`, `SmartRules`,
`ExportChoice`); the panel does the work, so the dialogs are easy to test by filling them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.genres.broad import SOURCE_PREFIX
from desktop_app.genres.musicnn_tags import TAGGER_TAGS
from desktop_app.genres.taxonomy import BROAD, TAXONOMIES, Taxonomy
from desktop_app.library.playlist_files import safe_file_name
from desktop_app.library.playlist_formats import FORMATS, FormatName
from desktop_app.library.smart_rules import ORDER_LABELS, PlaylistOrder, Rule, RuleField, SmartRules

FIELD_LABELS: dict[RuleField, str] = {
    "predicted": "Predicted genre is",
    "confidence": "Confidence",
    "tag_genre": "Tag genre is",
    "tag": "Heard tag",
    "similar": "Sounds like track",
    "artist": "Artist contains",
    "album": "Album contains",
    "year": "Year",
    "duration": "Duration (s)",
    "text": "Search text",
    "available": "File",
}
TAGGER_NAMES = {"msd": "MSD", "mtt": "MTT"}
DEFAULT_TAG_MINIMUM = 0.5
DEFAULT_SIMILARITY = 0.8


def _percent_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, 100)
    box.setDecimals(0)
    box.setSuffix(" %")
    box.setValue(value * 100)
    return box


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


@dataclass(frozen=True)
class GenreChoice:
    """``genre`` is None for "one playlist per genre"; ``model`` names whose genres."""

    model: str
    genre: str | None
    name: str
    min_confidence: float
    order: PlaylistOrder
    smart: bool


class GenrePlaylistDialog(QDialog):
    """Playlist from a predicted genre of ``taxonomy``, or one for every genre (``all_genres``)."""

    def __init__(
        self,
        genre: str | None = None,
        all_genres: bool = False,
        parent: QWidget | None = None,
        taxonomy: Taxonomy = BROAD,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("genrePlaylistDialog")
        kind = f"{taxonomy.title} genre"
        self.setWindowTitle(f"Playlists for all {kind}s" if all_genres else f"Playlist from a {kind}")
        self.all_genres = all_genres
        self.taxonomy = taxonomy
        form = QFormLayout(self)
        self.genre = QComboBox(self)
        for label in taxonomy.labels:
            self.genre.addItem(label.display_name, label.key)
        if genre is not None:
            self.genre.setCurrentIndex(max(0, self.genre.findData(genre)))
        self.name = QLineEdit(self.genre.currentText(), self)
        self._name_follows = True
        self.name.textEdited.connect(lambda _text: setattr(self, "_name_follows", False))
        self.genre.currentTextChanged.connect(self._genre_changed)
        self.min_confidence = _percent_box(taxonomy.low_confidence)
        self.order = QComboBox(self)
        for key in ("confidence", "album_order"):
            self.order.addItem(ORDER_LABELS[key], key)
        self.smart = QCheckBox("Keep up to date as tracks are added and analysed (smart playlist)", self)
        if not all_genres:
            form.addRow("Genre", self.genre)
            form.addRow("Name", self.name)
        else:
            form.addRow(
                QLabel(
                    "One playlist, named after its genre, for every genre that has tracks. "
                    "Names already taken are skipped.",
                    self,
                )
            )
        form.addRow("Top-1 confidence at least", self.min_confidence)
        form.addRow("Order", self.order)
        form.addRow(self.smart)
        form.addRow(_buttons(self, "Create"))

    def _genre_changed(self, text: str) -> None:
        if self._name_follows:  # until the user types a name of their own
            self.name.setText(text)

    def choice(self) -> GenreChoice:
        return GenreChoice(
            self.taxonomy.model,
            None if self.all_genres else self.genre.currentData(),
            self.name.text().strip(),
            self.min_confidence.value() / 100,
            self.order.currentData(),
            self.smart.isChecked(),
        )


class _RangeEditor(QWidget):
    """From/to boxes; 0 in "from" and the top in "to" mean no bound."""

    def __init__(self, top: float, scale: float = 1.0, suffix: str = "") -> None:
        super().__init__()
        self._scale = scale
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.low, self.high = QDoubleSpinBox(self), QDoubleSpinBox(self)
        for box in (self.low, self.high):
            box.setRange(0, top)
            box.setDecimals(0)
            box.setSuffix(suffix)
        self.low.setSpecialValueText("any")
        self.high.setValue(top)
        self.high.setSpecialValueText("")
        layout.addWidget(QLabel("from", self))
        layout.addWidget(self.low)
        layout.addWidget(QLabel("to", self))
        layout.addWidget(self.high)

    def rule(self, name: RuleField) -> Rule:
        low = self.low.value() / self._scale if self.low.value() > 0 else None
        high = self.high.value() / self._scale if self.high.value() < self.high.maximum() else None
        return Rule(name, minimum=low, maximum=high)

    def show_rule(self, rule: Rule) -> None:
        self.low.setValue((rule.minimum or 0) * self._scale)
        self.high.setValue(self.high.maximum() if rule.maximum is None else rule.maximum * self._scale)


class _GenresEditor(QListWidget):
    def __init__(self, taxonomy: Taxonomy) -> None:
        super().__init__()
        for label in taxonomy.labels:
            item = QListWidgetItem(label.display_name, self)
            item.setData(Qt.ItemDataRole.UserRole, label.key)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.setMaximumHeight(110)

    def rule(self, name: RuleField) -> Rule:
        keys = tuple(
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        )
        return Rule(name, values=keys)

    def show_rule(self, rule: Rule) -> None:
        first = None
        for i in range(self.count()):
            checked = self.item(i).data(Qt.ItemDataRole.UserRole) in rule.values
            self.item(i).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            first = first or (self.item(i) if checked else None)
        if first is not None:
            self.scrollToItem(first, QAbstractItemView.ScrollHint.PositionAtTop)


class _TextEditor(QLineEdit):
    """Free text; for tag genres a comma-separated list of names."""

    def rule(self, name: RuleField) -> Rule:
        if name == "tag_genre":
            return Rule(name, values=tuple(v.strip() for v in self.text().split(",") if v.strip()))
        return Rule(name, text=self.text().strip())

    def show_rule(self, rule: Rule) -> None:
        self.setText(", ".join(rule.values) if rule.field == "tag_genre" else rule.text)


class _TagEditor(QWidget):
    """One of the built-in tagger's tags ("MTT: female vocal") and the probability it needs at least."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tag = QComboBox(self)
        for model, prefix in SOURCE_PREFIX.items():
            for tag in sorted(TAGGER_TAGS[model], key=str.casefold):
                self.tag.addItem(f"{TAGGER_NAMES[prefix]}: {tag}", f"{prefix}:{tag}")
        self.tag.setToolTip(
            "MSD: Last.fm tags (genres, moods, decades); MTT: MagnaTagATune tags (instruments, voice, tempo, genres)"
        )
        self.minimum = _percent_box(DEFAULT_TAG_MINIMUM)
        layout.addWidget(self.tag, 1)
        layout.addWidget(QLabel("at least", self))
        layout.addWidget(self.minimum)

    def rule(self, name: RuleField) -> Rule:
        return Rule(name, values=(self.tag.currentData(),), minimum=self.minimum.value() / 100)

    def show_rule(self, rule: Rule) -> None:
        if rule.values:
            self.tag.setCurrentIndex(max(0, self.tag.findData(rule.values[0])))
        self.minimum.setValue((rule.minimum if rule.minimum is not None else DEFAULT_TAG_MINIMUM) * 100)


class _SimilarEditor(QWidget):
    """A track (by id, as the table's tooltip and `genrescope tracks` show it) and how alike at least."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.track = QSpinBox(self)
        self.track.setRange(1, 2**31 - 1)
        self.track.setPrefix("id ")
        self.track.setToolTip("The track's id (genrescope tracks lists them)")
        self.minimum = _percent_box(DEFAULT_SIMILARITY)
        self.minimum.setToolTip("Cosine similarity of what the tagger heard: 100 % is the same sound")
        layout.addWidget(self.track, 1)
        layout.addWidget(QLabel("at least", self))
        layout.addWidget(self.minimum)

    def rule(self, name: RuleField) -> Rule:
        return Rule(name, values=(str(self.track.value()),), minimum=self.minimum.value() / 100)

    def show_rule(self, rule: Rule) -> None:
        if rule.values and rule.values[0].isdigit():
            self.track.setValue(int(rule.values[0]))
        self.minimum.setValue((rule.minimum if rule.minimum is not None else DEFAULT_SIMILARITY) * 100)


class _FlagEditor(QComboBox):
    def __init__(self) -> None:
        super().__init__()
        self.addItem("is there", True)
        self.addItem("is missing", False)

    def rule(self, name: RuleField) -> Rule:
        return Rule(name, flag=bool(self.currentData()))

    def show_rule(self, rule: Rule) -> None:
        self.setCurrentIndex(0 if rule.flag else 1)


class RuleRow(QWidget):
    """One rule: a field and the editor that field needs, with a remove button."""

    removeRequested = Signal(object)

    def __init__(self, rule: Rule | None = None, parent: QWidget | None = None, taxonomy: Taxonomy = BROAD) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field = QComboBox(self)
        self.editors = QStackedWidget(self)
        self._editors: dict[str, Any] = {  # each a QWidget with rule() and show_rule()
            "predicted": _GenresEditor(taxonomy),
            "confidence": _RangeEditor(100, 100, " %"),
            "tag_genre": _TextEditor(),
            "tag": _TagEditor(),
            "similar": _SimilarEditor(),
            "artist": _TextEditor(),
            "album": _TextEditor(),
            "year": _RangeEditor(2100),
            "duration": _RangeEditor(24 * 3600, suffix=" s"),
            "text": _TextEditor(),
            "available": _FlagEditor(),
        }
        self._editors["text"].setPlaceholderText("words, or artist: album: year:1990-1999 …")
        for name, editor in self._editors.items():
            self.field.addItem(FIELD_LABELS[name], name)  # type: ignore[index]  # the keys are RuleFields
            self.editors.addWidget(editor)
        self.field.currentIndexChanged.connect(self._show_editor)
        self._show_editor(0)
        remove = QToolButton(self)
        remove.setText("−")
        remove.setToolTip("Remove this rule")
        remove.clicked.connect(lambda: self.removeRequested.emit(self))
        layout.addWidget(self.field)
        layout.addWidget(self.editors, 1)
        layout.addWidget(remove)
        if rule is not None:
            self.field.setCurrentIndex(self.field.findData(rule.field))
            self._editors[rule.field].show_rule(rule)

    def _show_editor(self, index: int) -> None:
        # A stacked widget is as tall as its tallest page: let only the shown editor count.
        for i in range(self.editors.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.editors.widget(i)
            assert page is not None
            page.setSizePolicy(policy, policy)
        self.editors.setCurrentIndex(index)
        self.editors.adjustSize()

    def editor(self, name: RuleField) -> QWidget:
        return self._editors[name]

    def rule(self) -> Rule:
        name = self.field.currentData()
        return self._editors[name].rule(name)


class SmartRulesDialog(QDialog):
    """A smart playlist's name and rules; ``rules()`` raises `RuleError` for a rule that makes no sense.

    Predicted-genre rules use ``taxonomy`` for a new playlist (the genres the window shows), and the
    rules' own model when editing one."""

    def __init__(
        self,
        name: str = "",
        rules: SmartRules | None = None,
        parent: QWidget | None = None,
        taxonomy: Taxonomy = BROAD,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("smartRulesDialog")
        self.setWindowTitle("Smart playlist")
        self.resize(640, 420)
        rules = rules or SmartRules((Rule("predicted", values=(taxonomy.labels[0].key,)),), model=taxonomy.model)
        self.taxonomy = TAXONOMIES[rules.model]
        layout = QVBoxLayout(self)
        top = QFormLayout()
        self.name = QLineEdit(name, self)
        self.match = QComboBox(self)
        self.match.addItem("all of these rules", "all")
        self.match.addItem("any of these rules", "any")
        self.match.setCurrentIndex(0 if rules.match == "all" else 1)
        top.addRow("Name", self.name)
        top.addRow("Genres", QLabel(f"{self.taxonomy.title} (predicted genre, confidence and genre order)", self))
        top.addRow("Tracks matching", self.match)
        layout.addLayout(top)
        self._rows_layout = QVBoxLayout()
        layout.addLayout(self._rows_layout)
        self.rows: list[RuleRow] = []
        for rule in rules.rules:
            self.add_rule(rule)
        add = QPushButton("Add rule", self)
        add.clicked.connect(lambda: self.add_rule())
        layout.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
        bottom = QFormLayout()
        self.order = QComboBox(self)
        for key, label in ORDER_LABELS.items():
            self.order.addItem(label, key)
        self.order.setCurrentIndex(self.order.findData(rules.order))
        self.descending = QCheckBox("Descending", self)
        self.descending.setChecked(rules.descending)
        order_row = QHBoxLayout()
        order_row.addWidget(self.order, 1)
        order_row.addWidget(self.descending)
        self.limit = QSpinBox(self)
        self.limit.setRange(0, 1_000_000)
        self.limit.setSpecialValueText("no limit")
        self.limit.setValue(rules.limit or 0)
        self.available_only = QCheckBox("Only files that are there", self)
        self.available_only.setChecked(rules.available_only)
        bottom.addRow("Order by", order_row)
        bottom.addRow("At most", self.limit)
        bottom.addRow(self.available_only)
        layout.addLayout(bottom)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b91c1c")
        layout.addWidget(self.error)
        layout.addWidget(_buttons(self, "Save"))

    def add_rule(self, rule: Rule | None = None) -> RuleRow:
        row = RuleRow(rule, self, self.taxonomy)
        row.removeRequested.connect(self._remove_row)
        self.rows.append(row)
        self._rows_layout.addWidget(row)
        return row

    def _remove_row(self, row: RuleRow) -> None:
        self.rows.remove(row)
        row.deleteLater()

    def rules(self) -> SmartRules:
        return SmartRules(
            tuple(row.rule() for row in self.rows),
            self.match.currentData(),
            self.order.currentData(),
            self.descending.isChecked(),
            self.limit.value() or None,
            self.available_only.isChecked(),
            self.taxonomy.model,
        )

    def accept(self) -> None:
        from desktop_app.library.smart_rules import RuleError

        try:
            self.rules()
        except RuleError as exc:
            self.error.setText(str(exc))
            return
        if not self.name.text().strip():
            self.error.setText("The playlist needs a name.")
            return
        super().accept()


@dataclass(frozen=True)
class ExportChoice:
    """Where and how to export; ``min_confidence`` only for genre playlists."""

    path: str
    format: FormatName
    relative: bool
    keep_unavailable: bool
    min_confidence: float


class ExportDialog(QDialog):
    """Export one playlist to a file, or (``folder=True``) every genre playlist into a folder."""

    def __init__(
        self,
        title: str,
        start: str,
        folder: bool = False,
        parent: QWidget | None = None,
        taxonomy: Taxonomy = BROAD,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {title}")
        self._folder = folder
        form = QFormLayout(self)
        self.format = QComboBox(self)
        for fmt in FORMATS.values():
            self.format.addItem(f"{fmt.label} ({fmt.extension})", fmt.name)
        file_name = safe_file_name(title) + FORMATS["m3u8"].extension
        self.path = QLineEdit(start if folder else str(Path(start) / file_name), self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.relative = QCheckBox("Relative paths (absolute for files on another drive)", self)
        self.relative.setChecked(True)
        self.keep_unavailable = QCheckBox("Also write tracks whose file is missing", self)
        self.min_confidence = _percent_box(taxonomy.low_confidence)
        form.addRow("Format", self.format)
        form.addRow("Folder" if folder else "File", path_row)
        form.addRow(self.relative)
        if folder:
            form.addRow("Top-1 confidence at least", self.min_confidence)
        else:
            form.addRow(self.keep_unavailable)
        form.addRow(_buttons(self, "Export"))
        self.format.currentIndexChanged.connect(self._follow_format)

    def _follow_format(self) -> None:
        if not self._folder:
            self.path.setText(str(Path(self.path.text()).with_suffix(FORMATS[self.format.currentData()].extension)))

    def _browse(self) -> None:
        if self._folder:
            chosen = QFileDialog.getExistingDirectory(self, "Export into folder", self.path.text())
        else:
            fmt = FORMATS[self.format.currentData()]
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Export playlist", self.path.text(), f"{fmt.label} (*{fmt.extension})"
            )
        if chosen:
            self.path.setText(chosen)

    def choice(self) -> ExportChoice:
        return ExportChoice(
            self.path.text().strip(),
            self.format.currentData(),
            self.relative.isChecked(),
            self.keep_unavailable.isChecked(),
            self.min_confidence.value() / 100,
        )
