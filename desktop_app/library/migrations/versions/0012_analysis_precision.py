"""Each analysis records the precision its network ran in: ``fp32`` (exact), ``bf16``, ``fp16`` or ``int8``.

Reduced precision is switched on per machine once it has proved itself on the person's music
(`analysis.precision_switch`), so one library can hold exact and reduced analyses side by side, and
several machines of a shared library may differ. The column says which is which. Rows from before
this revision keep NULL: not recorded (they may be either).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analyses", sa.Column("precision", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("analyses", "precision")
