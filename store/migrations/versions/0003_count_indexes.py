"""indexes for the counts every run reads: the tombstones of source_records (live records per source)
and the programme flags of persons (persons per combination of programmes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_source_records_tombstones",
            ["source"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        )

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            "ix_persons_programmes", ["in_health", "in_employment", "in_city"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_programmes")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_source_records_tombstones")
