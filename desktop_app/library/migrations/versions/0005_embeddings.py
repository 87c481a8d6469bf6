"""Each analysis may keep an embedding: what the track sounds like to the network, for similarity.

One row per analysis (deleted with it): the layer it was taken from, its length and the vector as
little-endian float16 bytes (400 bytes for the tagger's 200 units: 40 MB per 100,000 tracks).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embeddings",
        sa.Column("analysis_id", sa.Integer, sa.ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("dims", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    # Small beside the table's vectors: lets SQLite count the embeddings without reading them
    # (the similarity index asks on every query whether they changed).
    op.create_index("ix_embeddings_dims", "embeddings", ["dims"])


def downgrade() -> None:
    op.drop_table("embeddings")
