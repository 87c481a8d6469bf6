"""The library's tables, as typed SQLAlchemy ORM classes.

Alembic migrations under `migrations/versions` create these tables; the ORM classes and the
migrations must agree (a test compares them). Later features add tables through new migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import false

from desktop_app.library.portable import search_fold


class Base(DeclarativeBase):
    """The metadata every table belongs to; Alembic compares it with the migrations."""

    # Every model here is mapped to a plain Table (SQLAlchemy types it as any FromClause), and the
    # library's Core queries insert into, update and delete from ``Model.__table__``.
    __table__: ClassVar[Table]


class Track(Base):
    """One audio file. Rows are never deleted by a scan: a vanished file becomes unavailable."""

    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # PostgreSQL: paths compare by code point like SQLite's text, sizes are 64-bit (migration 0001).
    path: Mapped[str] = mapped_column(
        Text().with_variant(Text(collation="C"), "postgresql"), unique=True, nullable=False
    )
    size: Mapped[int | None] = mapped_column(Integer().with_variant(BigInteger(), "postgresql"))
    mtime: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str | None] = mapped_column(String(16))
    duration: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    artist: Mapped[str | None] = mapped_column(Text)
    album: Mapped[str | None] = mapped_column(Text)
    album_artist: Mapped[str | None] = mapped_column(Text)
    track_number: Mapped[int | None] = mapped_column(Integer)
    disc_number: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    genre: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    scanned_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    available: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    error: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str | None] = mapped_column(
        Text().with_variant(Text(collation="C"), "postgresql"),
        Computed(search_fold("title", "artist", "album", "path")),
        deferred=True,
    )
    """What the search box's words are matched in, computed by the database (migration 0011):
    stored and read on PostgreSQL, virtual and unread on SQLite (`portable.contains_nocase_any`)."""

    tag_genres: Mapped[list[TagGenre]] = relationship(
        back_populates="track", cascade="all, delete-orphan", order_by="TagGenre.position"
    )

    __table_args__ = (
        Index("ix_tracks_artist", "artist"),
        Index("ix_tracks_album", "album"),
        Index("ix_tracks_available", "available"),
    )


class TagGenre(Base):
    """One genre as written in a file's tags; "Rock; Pop" becomes two rows."""

    __tablename__ = "tag_genres"

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)

    track: Mapped[Track] = relationship(back_populates="tag_genres")

    __table_args__ = (Index("ix_tag_genres_name", "name"),)


class GenreModel(Base):
    """A set of network weights that produced analyses, known by the SHA-256 of its file.

    ``name`` says which model it is (``ccmusic``, ``musicnn-msd``, ``musicnn-mtt``, or the derived
    ``broad-genre``, whose SHA-256 covers its table and the taggers' weights); ``classes`` are the
    keys of its outputs, in order.
    """

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False, server_default="ccmusic")
    label: Mapped[str] = mapped_column(Text, nullable=False)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)  # hub, imported, file, test, builtin
    classes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    first_used_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (Index("ix_models_name", "name"),)


class Analysis(Base):
    """One model's verdict on one track; an ``error`` row records why a track could not be analysed."""

    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), nullable=False)
    # Any length on PostgreSQL, which enforces VARCHAR lengths: "My genres" are the person's names (0007).
    top1: Mapped[str | None] = mapped_column(String(64).with_variant(Text(), "postgresql"))
    confidence: Mapped[float | None] = mapped_column(Float)
    majority: Mapped[str | None] = mapped_column(String(64).with_variant(Text(), "postgresql"))
    probabilities: Mapped[list[float] | None] = mapped_column(JSON)
    window_probabilities: Mapped[list[list[float]] | None] = mapped_column(JSON)
    window_count: Mapped[int | None] = mapped_column(Integer)
    short_clip: Mapped[bool | None] = mapped_column(Boolean)
    silent: Mapped[bool | None] = mapped_column(Boolean)
    device: Mapped[str | None] = mapped_column(String(16))
    # fp32, bf16, fp16 or int8: what the network ran in; NULL in rows from before 0012.
    precision: Mapped[str | None] = mapped_column(String(8))
    seconds: Mapped[float | None] = mapped_column(Float)
    analysed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("track_id", "model_id", name="uq_analyses_track_model"),
        Index("ix_analyses_model_top1", "model_id", "top1"),
    )


class Embedding(Base):
    """What one analysis' network made of the track, as a vector for similarity (float16 bytes).

    Belongs to its analysis and goes with it: re-analysing a track replaces it, deleting the
    analysis (or the track, or the model) deletes it.
    """

    __tablename__ = "embeddings"

    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True)
    layer: Mapped[str] = mapped_column(String(32), nullable=False)
    dims: Mapped[int] = mapped_column(Integer, nullable=False)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (Index("ix_embeddings_dims", "dims"),)


class WorkClaim(Base):
    """A worker's lease on one track for one model while it analyses it (`library.claims`).

    ``worker`` names the pass (host, process, pass number); the claim is someone else's to take
    once ``expires_at`` (the database's UTC clock) has passed without the worker renewing it.
    """

    __tablename__ = "work_claims"

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    worker: Mapped[str] = mapped_column(Text, nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (Index("ix_work_claims_model_worker", "model_id", "worker"),)


class LearnedGenres(Base):
    """What a learned "My genres" model (a ``models`` row) was trained on, how it evaluated, and its
    parameters as plain numbers. ``examples``: [[track_id, label], ...]; ``fingerprint``: the
    SHA-256 of the sorted examples, to tell when the person's labels have changed since."""

    __tablename__ = "learned_genres"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # tags, playlists
    embedding_model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    examples: Mapped[list] = mapped_column(JSON, nullable=False)
    evaluation: Mapped[dict] = mapped_column(JSON, nullable=False)
    parameters: Mapped[dict] = mapped_column(JSON, nullable=False)
    trained_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class Playlist(Base):
    """A named playlist: a ``manual`` one keeps its entries, a ``smart`` one its rules (JSON).

    Smart playlists store no tracks: they are evaluated on every read, so they follow every scan
    and re-analysis without a refresh step that could be forgotten.
    """

    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # manual, smart
    rules: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class PlaylistEntry(Base):
    """One slot of a manual playlist; the same track may fill several slots."""

    __tablename__ = "playlist_entries"

    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False)

    __table_args__ = (Index("ix_playlist_entries_track", "track_id"),)


class PathMapping(Base):
    """On ``machine``, stored paths under the folder ``library_prefix`` are under ``local_prefix``."""

    __tablename__ = "path_mappings"

    machine: Mapped[str] = mapped_column(Text, primary_key=True)
    library_prefix: Mapped[str] = mapped_column(
        Text().with_variant(Text(collation="C"), "postgresql"), primary_key=True
    )
    local_prefix: Mapped[str] = mapped_column(Text().with_variant(Text(collation="C"), "postgresql"), nullable=False)


class TagBatch(Base):
    """One "write genre to tags" run: where the genres came from, how they were written, and
    whether it ran to the end. Its files are its `TagWrite` rows; an undo acts on them."""

    __tablename__ = "tag_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)  # a model name, or "typed"
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # replace, add
    min_confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())


class TagWrite(Base):
    """One file of a batch: its genre values before and after, and its size and modification time
    before and after, stored before the file is written.

    ``state``: ``pending`` (about to be written, or interrupted: settled by reading the file),
    ``written``, ``skipped`` (``reason`` says why), ``not_written`` (the batch was interrupted before
    this file), ``undoing`` (being written back), ``undone``; an undo that leaves a file alone
    keeps it ``written`` and says why in ``reason``.
    """

    __tablename__ = "tag_writes"

    batch_id: Mapped[int] = mapped_column(ForeignKey("tag_batches.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(Text, nullable=False)
    genre: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[float | None] = mapped_column(Float)
    old_values: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    new_values: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    old_size: Mapped[int | None] = mapped_column(Integer().with_variant(BigInteger(), "postgresql"))
    old_mtime: Mapped[float | None] = mapped_column(Float)
    new_size: Mapped[int | None] = mapped_column(Integer().with_variant(BigInteger(), "postgresql"))
    new_mtime: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_tag_writes_state", "state"), Index("ix_tag_writes_track", "track_id"))
