"""Work claims: several analysis workers (machines, processes, the window) share one library.

A worker claims a few tracks for one model before analysing them, so two workers never analyse
the same track with the same model. A claim is a lease: it names its worker and expires unless
the worker renews it, so the tracks of a worker that died go to another one once it has expired.
Saving a track's analysis deletes its claim in the same transaction (`library.claims`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_claims",
        sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("worker", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_work_claims_model_worker", "work_claims", ["model_id", "worker"])


def downgrade() -> None:
    op.drop_index("ix_work_claims_model_worker", table_name="work_claims")
    op.drop_table("work_claims")
