"""Genres written into files' tags: each batch, and each file's values before and after.

A file's old genre values are stored here before the file is written (its entry ``pending``), so
an undo works after a restart, and a crash between the write and the library's update is found
and settled on the next write or undo by reading the file. Sizes and modification times say
whether a file changed on disk since Genrescope wrote it (then an undo leaves it alone).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SIZE = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tag_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("min_confidence", sa.Float),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "tag_writes",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("tag_batches.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="SET NULL")),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("genre", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float),
        sa.Column("old_values", sa.JSON, nullable=False),
        sa.Column("new_values", sa.JSON, nullable=False),
        sa.Column("old_size", _SIZE),
        sa.Column("old_mtime", sa.Float),
        sa.Column("new_size", _SIZE),
        sa.Column("new_mtime", sa.Float),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_tag_writes_state", "tag_writes", ["state"])
    op.create_index("ix_tag_writes_track", "tag_writes", ["track_id"])


def downgrade() -> None:
    op.drop_table("tag_writes")
    op.drop_table("tag_batches")
