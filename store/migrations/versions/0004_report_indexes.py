"""indexes for the report's reads of persons: the largest persons by live records, and the coverage
gap's candidates counted on an index alone (at 2M persons each was a scan of the whole table, whose rows
carry the golden record's provenance: 2.4 s and 0.8 s of every run's report, now 0.3 s and 0.01 s)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 04:00:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index("ix_persons_record_count", ["record_count"], unique=False)
        batch_op.create_index(
            "ix_persons_gap",
            ["occupation", "worker_category", "kecamatan", "in_employment", "employment_active"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_gap")
        batch_op.drop_index("ix_persons_record_count")
