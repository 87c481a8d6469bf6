"""PostgreSQL: an analysis' genre may be as long as a person's own genre name.

``analyses.top1`` and ``majority`` were VARCHAR(64): the genre keys of the shipped models are
short, but "My genres" learns the person's own names (tag genres, playlist names), which may be
longer. SQLite never enforced the length; PostgreSQL does, so there they become TEXT. SQLite
libraries are left as they are (nothing to change, and no table copy).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("top1", "majority"):
        op.alter_column("analyses", name, type_=sa.Text(), existing_type=sa.String(64))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("top1", "majority"):
        op.alter_column("analyses", name, type_=sa.String(64), existing_type=sa.Text())
