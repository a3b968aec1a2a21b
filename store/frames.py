"""Reading large result sets into frames, and running a statement over many chunks of keys, through the
driver's own cursor.

SQLAlchemy builds a ``Row`` per result row (and ``pandas.read_sql`` goes through them): for the
registry's 400k live records that is most of the time of reading them. Here the statement is compiled
by SQLAlchemy for the connection's dialect and run on the raw DBAPI cursor of the same connection (same
transaction), and the tuples become the frame's columns directly (``fetch_frame`` hands the statement's
values to the driver as they are: keys, strings, numbers). ``execute_each`` runs one statement for many
chunks of keys that way, its SQL expanded once per chunk length instead of once per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

__all__ = ["execute_each", "fetch_frame"]


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
    return frame.astype(object, copy=False)  # (a new frame: its object columns need no copy)


def execute_each(
    connection: sa.Connection, statement: sa.Executable, parameter_sets: Iterable[Mapping[str, object]]
) -> list[tuple]:
    """Run ``statement`` once per parameter set (a list fills an expanding ``bindparam``, e.g. a chunk of
    keys for ``IN``) on the driver's cursor, and return the rows it selected (none for DELETE, UPDATE).

    SQLAlchemy expands the statement's SQL again for every execution; here it is expanded once per length
    of the lists, and each parameter set's values are put in their places (through the types' bind
    processors, as SQLAlchemy would).
    """
    compiled = statement.compile(dialect=connection.dialect)
    templates: dict[tuple, _Template] = {}
    rows: list[tuple] = []
    cursor = connection.connection.driver_connection.cursor()
    try:
        for parameters in parameter_sets:
            shape = tuple((name, _length(value)) for name, value in parameters.items())
            if shape not in templates:
                templates[shape] = _Template.of(compiled, parameters)
            template = templates[shape]
            cursor.execute(template.sql, template.filled(parameters))
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def _length(value: object) -> int | None:
    """How many values a list parameter holds (``None``: a single value)."""
    return len(value) if isinstance(value, list | tuple) else None


@dataclass(frozen=True)
class _Slot:
    """Stands, while a template is made, for the value at ``position`` of a parameter set's values laid
    out in a row (lists spread out)."""

    position: int


@dataclass(frozen=True)
class _Template:
    """A statement's SQL with its lists expanded to one length, and how a parameter set becomes the
    driver's parameters: the set's values laid out in a row (``names`` in order, lists spread out, then
    the statement's own ``constants``), the position in that row of each driver parameter (``picks``),
    and the bind processors of those whose type has one."""

    sql: str
    names: tuple[str, ...]
    constants: tuple[object, ...]
    picks: tuple[int, ...]
    keys: tuple[str, ...] | None  # named paramstyles: the driver parameters' names
    processors: tuple[tuple[int, Callable[[object], object]], ...]

    @classmethod
    def of(cls, compiled: sa.sql.compiler.SQLCompiler, parameters: Mapping[str, object]) -> _Template:
        slots: dict[str, object] = {}
        laid_out = 0
        for name, value in parameters.items():
            length = _length(value)
            if length is None:
                slots[name] = _Slot(laid_out)
            else:
                slots[name] = [_Slot(laid_out + index) for index in range(length)]
            laid_out += 1 if length is None else length
        state = compiled.construct_expanded_state(slots)
        order = list(state.positiontup) if state.positiontup is not None else list(state.parameters)
        constants: list[object] = []
        picks = []
        for key in order:
            item = state.parameters[key]
            if isinstance(item, _Slot):
                picks.append(item.position)
            else:
                picks.append(laid_out + len(constants))
                constants.append(item)
        processors = _bind_processors(compiled, state)
        return cls(
            state.statement,
            tuple(parameters),
            tuple(constants),
            tuple(picks),
            None if state.positiontup is not None else tuple(order),
            tuple((index, processors[key]) for index, key in enumerate(order) if key in processors),
        )

    def filled(self, parameters: Mapping[str, object]) -> Sequence[object] | dict[str, object]:
        row: list[object] = []
        for name in self.names:
            value = parameters[name]
            if isinstance(value, list | tuple):
                row.extend(value)
            else:
                row.append(value)
        row.extend(self.constants)
        values = [row[position] for position in self.picks]
        for index, processor in self.processors:
            values[index] = processor(values[index])
        return tuple(values) if self.keys is None else dict(zip(self.keys, values, strict=True))


def _bind_processors(
    compiled: sa.sql.compiler.SQLCompiler, state: sa.sql.compiler.ExpandedState
) -> dict[str, Callable[[object], object]]:
    """The bind processor of each driver parameter whose type has one (an expanded list's: its type's)."""
    dialect = compiled.dialect
    processors = {}
    for key, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[key] = processor
    for key, expanded in state.parameter_expansion.items():
        if key in processors:
            processors.update(dict.fromkeys(expanded, processors[key]))
    return processors
