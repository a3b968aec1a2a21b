"""registry schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 11:34:48.612582
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entity_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("registry_id", sa.String(length=16), nullable=False),
        sa.Column("other_registry_id", sa.String(length=16), nullable=True),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entity_history", schema=None) as batch_op:
        batch_op.create_index("ix_entity_history_registry_id", ["registry_id"], unique=False)

    op.create_table(
        "match_pairs",
        sa.Column("pair_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("source_l", sa.String(length=32), nullable=False),
        sa.Column("record_id_l", sa.String(length=64), nullable=False),
        sa.Column("source_r", sa.String(length=32), nullable=False),
        sa.Column("record_id_r", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("pair_id"),
    )
    with op.batch_alter_table("match_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_match_pairs_left", ["source_l", "record_id_l"], unique=False)
        batch_op.create_index("ix_match_pairs_right", ["source_r", "record_id_r"], unique=False)

    op.create_table(
        "persons",
        sa.Column("registry_id", sa.String(length=16), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.String(length=10), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("kelurahan", sa.Text(), nullable=True),
        sa.Column("kecamatan", sa.Text(), nullable=True),
        sa.Column("kelurahan_code", sa.String(length=13), nullable=True),
        sa.Column("occupation", sa.Text(), nullable=True),
        sa.Column("worker_category", sa.String(length=8), nullable=True),
        sa.Column("in_health", sa.Boolean(), nullable=False),
        sa.Column("in_employment", sa.Boolean(), nullable=False),
        sa.Column("in_city", sa.Boolean(), nullable=False),
        sa.Column("health_active", sa.Boolean(), nullable=False),
        sa.Column("employment_active", sa.Boolean(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("registry_id"),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_nik"), ["nik"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=96), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registry_id_redirects",
        sa.Column("retired_id", sa.String(length=16), nullable=False),
        sa.Column("registry_id", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("retired_id"),
    )
    op.create_table(
        "registry_lock",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "registry_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("config_path", sa.Text(), nullable=False),
        sa.Column("settings_hash", sa.String(length=64), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_table(
        "source_records",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("registry_id", sa.String(length=16), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("first_seen_run", sa.String(length=32), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("nik", sa.Text(), nullable=True),
        sa.Column("kk_number", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("birth_place", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("rt", sa.Text(), nullable=True),
        sa.Column("rw", sa.Text(), nullable=True),
        sa.Column("kelurahan", sa.Text(), nullable=True),
        sa.Column("kecamatan", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("occupation", sa.Text(), nullable=True),
        sa.Column("worker_category", sa.Text(), nullable=True),
        sa.Column("jkn_segment", sa.Text(), nullable=True),
        sa.Column("membership_status", sa.Text(), nullable=True),
        sa.Column("membership_start", sa.Text(), nullable=True),
        sa.Column("marital_status", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Text(), nullable=True),
        sa.Column("nik_std", sa.String(length=16), nullable=True),
        sa.Column("name_std", sa.Text(), nullable=True),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("birth_date_std", sa.String(length=10), nullable=True),
        sa.Column("sex_std", sa.String(length=1), nullable=True),
        sa.Column("phone_std", sa.String(length=16), nullable=True),
        sa.Column("rt_std", sa.String(length=3), nullable=True),
        sa.Column("rw_std", sa.String(length=3), nullable=True),
        sa.Column("kelurahan_code", sa.String(length=13), nullable=True),
        sa.Column("kelurahan_std", sa.Text(), nullable=True),
        sa.Column("kecamatan_std", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", "record_id"),
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_index("ix_source_records_registry_id", ["registry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_source_records_registry_id")

    op.drop_table("source_records")
    op.drop_table("runs")
    op.drop_table("registry_meta")
    op.drop_table("registry_lock")
    op.drop_table("registry_id_redirects")
    op.drop_table("quarantine")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_nik"))

    op.drop_table("persons")
    with op.batch_alter_table("match_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_match_pairs_right")
        batch_op.drop_index("ix_match_pairs_left")

    op.drop_table("match_pairs")
    with op.batch_alter_table("entity_history", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_history_registry_id")

    op.drop_table("entity_history")
