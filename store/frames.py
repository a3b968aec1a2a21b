"""Reading large result sets into frames through the driver's own cursor.

SQLAlchemy builds a ``Row`` per result row (and ``pandas.read_sql`` goes through them): for the
registry's 400k live records that is most of the time of reading them. Here the statement is compiled
by SQLAlchemy for the connection's dialect and run on the raw DBAPI cursor of the same connection (same
transaction), and the tuples become the frame's columns directly.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

__all__ = ["fetch_frame"]


def fetch_frame(connection: sa.Connection, statement: sa.Select) -> pd.DataFrame:
    """The rows of ``statement`` as a frame of object columns named as the statement's columns."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    parameters = compiled.params
    if compiled.positional:
        parameters = tuple(parameters[name] for name in compiled.positiontup or ())
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    columns = [column.name for column in statement.selected_columns]
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=False) if rows else None
    if frame is None:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return frame.astype(object)
