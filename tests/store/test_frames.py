"""``fetch_frame`` and ``execute_each``: statements through the driver's cursor, the same rows as
``pandas.read_sql`` and SQLAlchemy."""

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from store.frames import execute_each, fetch_frame
from store.models import RegistryMeta, Run

pytestmark = pytest.mark.integration


def test_a_select_with_bound_and_expanding_parameters_reads_as_read_sql_does(registry):
    rows = [{"key": f"k{i:03d}", "value": None if i % 7 == 0 else f"v{i}"} for i in range(300)]
    with registry.begin() as connection:
        connection.execute(sa.insert(RegistryMeta), [row for row in rows if row["value"] is not None])
    statement = (
        sa.select(RegistryMeta.key, RegistryMeta.value)
        .where(RegistryMeta.key.in_([f"k{i:03d}" for i in range(0, 300, 3)]), RegistryMeta.value != "v3")
        .order_by(RegistryMeta.key)
    )
    with registry.connect() as connection:
        fetched = fetch_frame(connection, statement)
        expected = pd.read_sql(statement, connection, dtype=object)
    assert len(fetched) > 50
    pd.testing.assert_frame_equal(fetched, expected)


def test_no_rows_give_the_columns_and_no_rows(registry):
    statement = sa.select(RegistryMeta.key, RegistryMeta.value).where(RegistryMeta.key == "nothing")
    with registry.connect() as connection:
        fetched = fetch_frame(connection, statement)
    assert list(fetched.columns) == ["key", "value"] and fetched.empty


def test_execute_each_selects_and_writes_what_sqlalchemy_would_per_chunk(registry):
    keys = [f"k{i:03d}" for i in range(40)]
    started = datetime(2026, 11, 27, 1, 2, 3)
    with registry.begin() as connection:
        connection.execute(sa.insert(RegistryMeta), [{"key": key, "value": f"v{key}"} for key in keys])
        connection.execute(
            sa.insert(Run),
            [{"run_id": key, "started_at": started, "status": "running", "config_path": "x"} for key in keys],
        )
    ids = sa.bindparam("ids", expanding=True)
    chunks = [keys[0:7], keys[7:14], keys[20:23], ["nothing"], keys[30:37]]  # lengths 7, 7, 3, 1, 7
    select = sa.select(RegistryMeta.key, RegistryMeta.value).where(
        RegistryMeta.key.in_(ids), RegistryMeta.value != sa.bindparam("unwanted")
    )
    finished = datetime(2026, 11, 28, 4, 5, 6)  # a typed value of the statement's own: bind-processed
    update = sa.update(Run).where(Run.run_id.in_(ids)).values(finished_at=finished, status="succeeded")
    with registry.begin() as connection:
        rows = execute_each(connection, select, [{"ids": chunk, "unwanted": "vk021"} for chunk in chunks])
        expected = [
            tuple(row)
            for chunk in chunks
            for row in connection.execute(select, {"ids": chunk, "unwanted": "vk021"})
        ]
        assert sorted(rows) == sorted(expected) and len(rows) == 7 + 7 + 2 + 0 + 7
        assert execute_each(connection, update, [{"ids": chunk} for chunk in chunks]) == []
    with registry.connect() as connection:
        runs = connection.execute(
            sa.select(Run.run_id, Run.finished_at, Run.status).order_by(Run.run_id)
        ).all()
    done = {key for chunk in chunks for key in chunk}
    assert [(run.finished_at, run.status) for run in runs] == [
        (finished, "succeeded") if run.run_id in done else (None, "running") for run in runs
    ]
