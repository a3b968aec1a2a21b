"""review decisions (the stewards' review loop, store/reviews.py)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_l", sa.String(length=32), nullable=False),
        sa.Column("record_id_l", sa.String(length=64), nullable=False),
        sa.Column("source_r", sa.String(length=32), nullable=False),
        sa.Column("record_id_r", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("content_hash_l", sa.String(length=32), nullable=True),
        sa.Column("content_hash_r", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_decisions_pair", ["source_l", "record_id_l", "source_r", "record_id_r"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decisions_pair")
    op.drop_table("review_decisions")
