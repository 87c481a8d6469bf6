"""Per-machine path mappings: where another machine finds the files of a shared library.

A library is scanned from one machine's view of its files, and ``tracks.path`` keeps that view (it
is what identifies a track). A machine that mounts the same share elsewhere says so with a row
here: on ``machine``, a stored path starting with the folder ``library_prefix`` is found under the
folder ``local_prefix`` instead. The rows live in the library, so every machine's mappings travel
with the shared library and can be listed from any of them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Prefixes compare by code point on PostgreSQL, like tracks.path (migration 0001).
    path_text = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    op.create_table(
        "path_mappings",
        sa.Column("machine", sa.Text, primary_key=True),
        sa.Column("library_prefix", path_text, primary_key=True),
        sa.Column("local_prefix", path_text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("path_mappings")
