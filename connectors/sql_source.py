"""SQL connector: one table (or query) on a database reached through a SQLAlchemy URL.

The table name is checked against the database's own catalogue (reflection) and every mapped column
against the table, so no user text is ever spliced into SQL. Values are handed on as text.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import NoSuchTableError, OperationalError, SQLAlchemyError

from connectors.batch import SourceBatch, empty_rejected, to_canonical
from connectors.config import SourceConfig
from connectors.errors import SourceSchemaError, SourceUnavailableError

__all__ = ["read_sql_source"]

log = logging.getLogger(__name__)


def read_sql_source(source: SourceConfig) -> SourceBatch:
    """Read one SQL source into canonical records, ordered by record id for a stable row numbering."""
    assert source.kind == "sql" and source.url
    _check_sqlite_file(source)
    engine = sa.create_engine(source.url)
    try:
        with engine.connect() as connection:
            raw = _fetch(connection, source)
    except OperationalError as error:
        raise SourceUnavailableError(source.name, f"cannot query {source.location}: {error.orig}") from None
    except SQLAlchemyError as error:
        raise SourceSchemaError(source.name, f"cannot read {source.location}: {error}") from None
    finally:
        engine.dispose()
    raw = pd.DataFrame({column: _as_text(raw[column]) for column in raw.columns})
    records = to_canonical(raw, source, np.arange(1, len(raw) + 1, dtype="int64"))
    return SourceBatch(source.name, source.programme, records, empty_rejected(), ())


def _fetch(connection: sa.Connection, source: SourceConfig) -> pd.DataFrame:
    wanted = list(dict.fromkeys(source.columns.values()))
    if source.table:
        schema, _, name = source.table.rpartition(".")
        try:
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
        except NoSuchTableError:
            raise SourceSchemaError(source.name, f"table {source.table} does not exist") from None
        missing = [column for column in wanted if column not in table.c]
        if missing:
            raise SourceSchemaError(
                source.name, f"table {source.table} is missing required column(s) {', '.join(missing)}"
            )
        record_id = table.c[source.columns["record_id"]]
        statement = sa.select(*(table.c[column] for column in wanted)).order_by(record_id)
        return pd.read_sql(statement, connection)
    frame = pd.read_sql(sa.text(source.query or ""), connection)
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        raise SourceSchemaError(source.name, f"query result is missing column(s) {', '.join(missing)}")
    return frame.loc[:, wanted]


def _check_sqlite_file(source: SourceConfig) -> None:
    url = sa.make_url(source.url or "")
    is_file = url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:"
    if is_file and not Path(url.database).exists():
        raise SourceUnavailableError(source.name, f"database file {url.database} does not exist")


def _as_text(column: pd.Series) -> pd.Series:
    """A column as text (``None`` where missing): integers without a decimal point, strings untouched."""
    present = column.notna().to_numpy()
    if pd.api.types.is_integer_dtype(column):
        text = column.astype(str)
    elif pd.api.types.is_float_dtype(column):
        values = column.to_numpy()
        whole = present & (np.mod(np.nan_to_num(values), 1) == 0)
        text = column.astype(str)
        text[whole] = column[whole].astype("int64").astype(str)
    else:
        text = column.astype("object")
        odd = present & ~text.map(type).eq(str).to_numpy()
        if odd.any():
            text[odd] = text[odd].map(str)
    return text.where(present, None).astype("object")
