"""Genre models and their analyses of tracks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("classes", sa.JSON, nullable=False),
        sa.Column("first_used_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("top1", sa.String(64)),
        sa.Column("confidence", sa.Float),
        sa.Column("majority", sa.String(64)),
        sa.Column("probabilities", sa.JSON),
        sa.Column("window_probabilities", sa.JSON),
        sa.Column("window_count", sa.Integer),
        sa.Column("short_clip", sa.Boolean),
        sa.Column("silent", sa.Boolean),
        sa.Column("device", sa.String(16)),
        sa.Column("seconds", sa.Float),
        sa.Column("analysed_at", sa.DateTime, nullable=False),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("track_id", "model_id", name="uq_analyses_track_model"),
    )
    op.create_index("ix_analyses_model_top1", "analyses", ["model_id", "top1"])


def downgrade() -> None:
    op.drop_table("analyses")
    op.drop_table("models")
