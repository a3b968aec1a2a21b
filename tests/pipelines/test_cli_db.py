"""``registry db upgrade``: creates the schema in an empty database and is a no-op at the newest revision."""

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from store import open_registry
from store.schema import current_revision, head_revision

pytestmark = pytest.mark.integration


def test_db_upgrade_creates_the_schema_then_changes_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    first = CliRunner().invoke(main, ["db", "upgrade", "--db", db])
    assert first.exit_code == 0, first.output
    assert f"empty -> {head_revision()}" in first.output
    second = CliRunner().invoke(main, ["db", "upgrade", "--db", db])
    assert second.exit_code == 0 and f"{head_revision()} -> {head_revision()}" in second.output
    engine = open_registry(db, create=False)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_db_upgrade_names_a_bad_url_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", "nonsense"])
    assert result.exit_code == 2 and "not a database URL" in result.output
