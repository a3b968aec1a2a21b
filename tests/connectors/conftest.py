"""Shared by the connector tests: the fast CSV path checked against the strict parser."""

from collections.abc import Callable

import pandas as pd
import pytest

from connectors import SourceConfig, SourceSchemaError
from connectors.csv_source import read_csv_source


def _same_as_strict(source: SourceConfig) -> None:
    """The fast and the strict path agree on ``source``: the same batch, or the same error."""
    try:
        fast = read_csv_source(source)
    except SourceSchemaError as error:
        with pytest.raises(SourceSchemaError) as strict_error:
            read_csv_source(source, fast=False)
        assert str(strict_error.value) == str(error)
        return
    strict = read_csv_source(source, fast=False)
    pd.testing.assert_frame_equal(fast.records, strict.records, check_exact=True)
    pd.testing.assert_frame_equal(fast.rejected, strict.rejected, check_exact=True)
    assert fast.notes == strict.notes
    assert (fast.source, fast.programme, fast.rows_read) == (
        strict.source,
        strict.programme,
        strict.rows_read,
    )


@pytest.fixture(scope="session")
def assert_same_as_strict() -> Callable[[SourceConfig], None]:
    return _same_as_strict
