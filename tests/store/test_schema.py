import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import RegistrySchemaError, open_registry
from store.models import Base
from store.schema import current_revision, head_revision, upgrade_schema

pytestmark = pytest.mark.integration


def test_upgrading_an_empty_database_gives_exactly_the_models(registry_url):
    engine = sa.create_engine(registry_url)
    try:
        upgrade_schema(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_open_registry_upgrades_an_empty_database_and_refuses_an_old_schema(registry_url):
    open_registry(registry_url).dispose()
    engine = sa.create_engine(registry_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    with pytest.raises(RegistrySchemaError, match="run `registry db upgrade --db"):
        open_registry(registry_url)
