"""Tracks and the genres written in their tags.

On PostgreSQL (the same schema; SQLite's is unchanged by these variants): ``path`` compares by
code point (collation "C"), as SQLite compares text, so the scanner's "inside this folder" range on
the unique path index means the same there whatever the database's locale; ``size`` is a 64-bit
integer (SQLite's INTEGER is; PostgreSQL's is 32 bits, and files reach 2 GB).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False, unique=True),
        sa.Column("size", sa.Integer().with_variant(sa.BigInteger(), "postgresql")),
        sa.Column("mtime", sa.Float),
        sa.Column("format", sa.String(16)),
        sa.Column("duration", sa.Float),
        sa.Column("sample_rate", sa.Integer),
        sa.Column("channels", sa.Integer),
        sa.Column("bitrate", sa.Integer),
        sa.Column("title", sa.Text),
        sa.Column("artist", sa.Text),
        sa.Column("album", sa.Text),
        sa.Column("album_artist", sa.Text),
        sa.Column("track_number", sa.Integer),
        sa.Column("disc_number", sa.Integer),
        sa.Column("year", sa.Integer),
        sa.Column("genre", sa.Text),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("scanned_at", sa.DateTime, nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_tracks_artist", "tracks", ["artist"])
    op.create_index("ix_tracks_album", "tracks", ["album"])
    op.create_index("ix_tracks_available", "tracks", ["available"])
    op.create_table(
        "tag_genres",
        sa.Column(
            "track_id",
            sa.Integer,
            sa.ForeignKey("tracks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.create_index("ix_tag_genres_name", "tag_genres", ["name"])


def downgrade() -> None:
    op.drop_table("tag_genres")
    op.drop_table("tracks")
