"""Database passwords from a Prefect Secret block: ``${prefect-secret:NAME}`` in a ``sources.yaml`` URL,
resolved against a real Prefect API (the session's test server), inside and outside a flow run; the
value reaches the URL and nothing else (repr, str, messages)."""

import uuid

import pytest
import sqlalchemy as sa
from prefect import flow
from prefect.blocks.system import Secret

from connectors import SourcesConfigError, load_sources_config
from connectors.config import prefect_secret
from pipelines.flow import load_config

pytestmark = pytest.mark.integration

PASSWORD = "p@ss:w/rd 42"
CITY = """sources:
  penduduk_depok:
    programme: city
    kind: sql
    url: {url}
    table: penduduk
    columns: {{record_id: id_penduduk, full_name: nama_lengkap}}
"""


@pytest.fixture
def block_name(prefect_server) -> str:
    """A Secret block saved on the test server under a fresh name, holding ``PASSWORD``."""
    name = f"city-db-password-{uuid.uuid4().hex[:8]}"
    Secret(value=PASSWORD).save(name)
    yield name
    Secret.delete(name)


def _config(tmp_path, url: str):
    path = tmp_path / "sources.yaml"
    path.write_text(CITY.format(url=url), encoding="utf-8")
    return path


def test_a_secret_block_fills_the_url_password_and_nothing_else(block_name, tmp_path):
    url = f"postgresql+psycopg://reader:${{prefect-secret:{block_name}}}@db.depok.go.id/penduduk"
    config = load_sources_config(_config(tmp_path, url))
    source = config.source("penduduk_depok")
    parsed = sa.make_url(source.url or "")
    assert (parsed.username, parsed.password, parsed.host) == ("reader", PASSWORD, "db.depok.go.id")
    for shown in (repr(config), str(config), repr(source), str(source), source.location):
        assert "p@ss" not in shown and "p%40ss" not in shown


def test_inside_a_flow_run_the_load_config_task_resolves_the_block(block_name, tmp_path):
    url = f"postgresql+psycopg://reader:${{prefect-secret:{block_name}}}@db.depok.go.id/penduduk"
    path = _config(tmp_path, url)

    @flow(persist_result=False)
    def read_sources(config: str):
        return load_config(config)

    config = read_sources(str(path))
    assert sa.make_url(config.source("penduduk_depok").url or "").password == PASSWORD


def test_a_missing_block_is_named_with_the_source_and_no_value(prefect_server, tmp_path):
    url = "postgresql+psycopg://reader:${prefect-secret:no-such-block}@db.depok.go.id/penduduk"
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(_config(tmp_path, url))
    assert caught.value.problems == [
        "sources.penduduk_depok: url refers to a Prefect Secret block: Prefect Secret block "
        "'no-such-block' not found (create it in the Prefect UI, Blocks -> Secret)"
    ]


def test_a_numeric_looking_password_stays_a_string(prefect_server):
    # Secret.get() would JSON-decode "007123" into the number 7123
    name = f"numeric-{uuid.uuid4().hex[:8]}"
    Secret(value="007123").save(name)
    try:
        assert prefect_secret(name) == "007123"
    finally:
        Secret.delete(name)


def test_a_block_holding_json_is_refused_without_its_value(prefect_server):
    name = f"structured-{uuid.uuid4().hex[:8]}"
    Secret(value={"user": "reader", "password": "topsecret"}).save(name)
    try:
        with pytest.raises(LookupError, match=f"block '{name}' holds a dict, not a string") as caught:
            prefect_secret(name)
        assert "topsecret" not in str(caught.value)
    finally:
        Secret.delete(name)
