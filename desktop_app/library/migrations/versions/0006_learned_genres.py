"""Genres learned from the person's own library: what each learned model was trained on.

A learned model is a row of ``models`` (name ``my-genres``, origin ``learned``, its genres as
classes) whose analyses are stored like any model's; this table keeps, beside it, the training
set (track ids and labels, so any result can be traced to the examples behind it), the
cross-validated evaluation shown to the person before it was used, and the classifier itself as
plain numbers (a linear model: no pickled object is ever stored).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_genres",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("embedding_model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("examples", sa.JSON, nullable=False),
        sa.Column("evaluation", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("trained_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("learned_genres")
