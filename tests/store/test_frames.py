"""``fetch_frame``: large selects through the driver's cursor, the same rows as ``pandas.read_sql``."""

import pandas as pd
import pytest
import sqlalchemy as sa

from store.frames import fetch_frame
from store.models import RegistryMeta

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
