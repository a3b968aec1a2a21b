"""The registry's tables (SQLAlchemy 2 declarative models).

- ``runs``: one row per sync run: when, with what, the counts, how it ended.
- ``source_records``: every source record the registry holds, with the registry id of its person.
- ``quarantine``: every source row that did not make it into the registry, with the reason.
- ``persons``: one row per registry person: golden attributes and coverage flags.
- ``match_pairs``: the scored pairs that formed each person (matches) or need a steward (review).
- ``registry_meta``: small key/value facts about the registry (e.g. the next registry id).
- ``entity_history``: what each run did to persons: ``new``, ``merge`` (the other id was merged into this
  one and retired), ``split`` (the other id was split off this one), ``retired`` (no records left).
- ``registry_id_redirects``: every retired registry id and the id that now stands for that person.
- ``registry_lock``: the one run allowed to write the registry now (who holds it, since when).

The schema is created and changed by the Alembic migrations in ``store/migrations`` (``registry db
upgrade``); a model change needs a new revision there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "EntityHistory",
    "MatchPair",
    "Person",
    "QuarantineEntry",
    "RegistryIdRedirect",
    "RegistryLock",
    "RegistryMeta",
    "Run",
    "SourceRecord",
]

#: Canonical raw fields kept on every source record, as the agency sent them.
RAW_FIELDS = (
    "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "kelurahan", "kecamatan", "phone", "occupation", "worker_category", "jkn_segment",
    "membership_status", "membership_start", "marital_status", "updated_at",
)  # fmt: skip
#: Standardised fields kept on every source record (the matching core's output).
STANDARD_FIELDS = (
    "nik_std", "name_std", "name_key", "birth_date_std", "sex_std", "phone_std", "rt_std", "rw_std",
    "kelurahan_code", "kelurahan_std", "kecamatan_std",
)  # fmt: skip


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    config_path: Mapped[str] = mapped_column(Text)
    settings_hash: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    counts: Mapped[str] = mapped_column(Text, default="{}")


class SourceRecord(Base):
    __tablename__ = "source_records"
    __table_args__ = (
        Index("ix_source_records_registry_id", "registry_id"),
        # the tombstones only: live records per source = all per source (the key's index) - these
        Index(
            "ix_source_records_tombstones",
            "source",
            sqlite_where=text("deleted_at IS NOT NULL"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
    )

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(16))
    source_row: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str] = mapped_column(String(32))
    #: the run that first held the record; ``run_id`` is the run that last wrote it. A live record
    #: (``deleted_at`` empty) was in the latest drop of its source; a deleted one stays as a tombstone
    #: with its last registry id, out of its person's golden record.
    first_seen_run: Mapped[str | None] = mapped_column(String(32))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    nik: Mapped[str | None] = mapped_column(Text)
    kk_number: Mapped[str | None] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    birth_place: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    rt: Mapped[str | None] = mapped_column(Text)
    rw: Mapped[str | None] = mapped_column(Text)
    kelurahan: Mapped[str | None] = mapped_column(Text)
    kecamatan: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    occupation: Mapped[str | None] = mapped_column(Text)
    worker_category: Mapped[str | None] = mapped_column(Text)
    jkn_segment: Mapped[str | None] = mapped_column(Text)
    membership_status: Mapped[str | None] = mapped_column(Text)
    membership_start: Mapped[str | None] = mapped_column(Text)
    marital_status: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[str | None] = mapped_column(Text)
    nik_std: Mapped[str | None] = mapped_column(String(16))
    name_std: Mapped[str | None] = mapped_column(Text)
    name_key: Mapped[str | None] = mapped_column(Text)
    birth_date_std: Mapped[str | None] = mapped_column(String(10))
    sex_std: Mapped[str | None] = mapped_column(String(1))
    phone_std: Mapped[str | None] = mapped_column(String(16))
    rt_std: Mapped[str | None] = mapped_column(String(3))
    rw_std: Mapped[str | None] = mapped_column(String(3))
    kelurahan_code: Mapped[str | None] = mapped_column(String(13))
    kelurahan_std: Mapped[str | None] = mapped_column(Text)
    kecamatan_std: Mapped[str | None] = mapped_column(Text)


class QuarantineEntry(Base):
    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(96))
    source_row: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        #: persons per combination of programmes, counted on the index alone
        Index("ix_persons_programmes", "in_health", "in_employment", "in_city"),
        #: the report's largest persons, read from the top of the index
        Index("ix_persons_record_count", "record_count"),
        #: the coverage gap's candidates (``reporting.coverage.count_gap_candidates``), counted on the
        #: index alone: a scan of the table reads every golden record's provenance
        Index(
            "ix_persons_gap",
            "occupation",
            "worker_category",
            "kecamatan",
            "in_employment",
            "employment_active",
        ),
    )

    registry_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    nik: Mapped[str | None] = mapped_column(String(16), index=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    kelurahan: Mapped[str | None] = mapped_column(Text)
    kecamatan: Mapped[str | None] = mapped_column(Text)
    kelurahan_code: Mapped[str | None] = mapped_column(String(13))
    occupation: Mapped[str | None] = mapped_column(Text)
    worker_category: Mapped[str | None] = mapped_column(String(8))
    in_health: Mapped[bool] = mapped_column(Boolean)
    in_employment: Mapped[bool] = mapped_column(Boolean)
    in_city: Mapped[bool] = mapped_column(Boolean)
    health_active: Mapped[bool] = mapped_column(Boolean)
    employment_active: Mapped[bool] = mapped_column(Boolean)
    record_count: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(32))
    #: JSON: for each golden field, the source record that supplied it (``{"nik": ["source", "id"]}``).
    provenance: Mapped[str] = mapped_column(Text, default="{}")


class MatchPair(Base):
    __tablename__ = "match_pairs"
    __table_args__ = (
        Index("ix_match_pairs_left", "source_l", "record_id_l"),
        Index("ix_match_pairs_right", "source_r", "record_id_r"),
    )

    pair_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32))
    source_l: Mapped[str] = mapped_column(String(32))
    record_id_l: Mapped[str] = mapped_column(String(64))
    source_r: Mapped[str] = mapped_column(String(32))
    record_id_r: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))


class RegistryMeta(Base):
    __tablename__ = "registry_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class EntityHistory(Base):
    __tablename__ = "entity_history"
    __table_args__ = (Index("ix_entity_history_registry_id", "registry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    registry_id: Mapped[str] = mapped_column(String(16))
    other_registry_id: Mapped[str | None] = mapped_column(String(16))
    records: Mapped[int | None] = mapped_column(Integer)


class RegistryIdRedirect(Base):
    __tablename__ = "registry_id_redirects"

    retired_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str] = mapped_column(String(32))


class RegistryLock(Base):
    __tablename__ = "registry_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
