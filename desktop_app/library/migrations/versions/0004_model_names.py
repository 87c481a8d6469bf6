"""Models have a name: which network (or derived taxonomy) their analyses belong to.

Until now every stored model was the CCMusic network; the built-in tagger (``musicnn-msd``,
``musicnn-mtt``) and the broad genres derived from it (``broad-genre``) are stored beside it, and
the window, playlists and the CLI choose analyses by name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("name", sa.String(32), nullable=False, server_default="ccmusic"))
        batch.create_index("ix_models_name", ["name"])


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_index("ix_models_name")
        batch.drop_column("name")
