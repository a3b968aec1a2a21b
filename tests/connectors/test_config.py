import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors import SourcesConfigError, load_sources_config

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "samples" / "sources.yaml"

pytestmark = pytest.mark.unit


def test_shipped_config_names_the_three_sources_relative_to_its_folder():
    config = load_sources_config(SHIPPED)
    assert config.names == ("bpjs_kesehatan", "bpjs_ketenagakerjaan", "penduduk_depok")
    assert config.source("bpjs_kesehatan").path == SHIPPED.parent / "bpjs_kesehatan.csv"
    assert config.source("bpjs_ketenagakerjaan").delimiter == ";"
    assert config.source("penduduk_depok").url == f"sqlite:///{SHIPPED.parent / 'penduduk_depok.db'}"


def test_shipped_config_is_the_generators_copy():
    generator_copy = SHIPPED.parents[2] / "synthetic" / "sources.yaml"
    assert SHIPPED.read_bytes() == generator_copy.read_bytes()


def test_copied_next_to_another_drop_it_reads_that_drop(tmp_path):
    copy = tmp_path / "night-2" / "sources.yaml"
    copy.parent.mkdir()
    copy.write_bytes(SHIPPED.read_bytes())
    config = load_sources_config(copy)
    assert config.source("bpjs_kesehatan").path == copy.parent / "bpjs_kesehatan.csv"
    assert str(copy.parent) in (config.source("penduduk_depok").url or "")


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        """
sources:
  bpjs_kesehatan:
    programme: health
    kind: csv
    columns: {record_id: no_kartu, full_name: nama, shoe_size: x}
  bpjs_ketenagakerjaan:
    programme: pension
    kind: csv
    path: tk.csv
    columns: {record_id: kpj, full_name: nama}
  penduduk_depok:
    programme: city
    kind: sql
    url: sqlite:///x.db
    columns: {full_name: nama_lengkap}
""",
        encoding="utf-8",
    )
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(path)
    problems = " | ".join(caught.value.problems)
    assert "shoe_size" in problems
    assert "programme" in problems
    assert "record_id" in problems
    assert len(caught.value.problems) >= 3
    assert str(path) in str(caught.value)


def test_environment_variables_fill_urls_and_unset_ones_are_reported(tmp_path, monkeypatch):
    path = tmp_path / "sources.yaml"
    path.write_text(
        """
sources:
  penduduk_depok:
    programme: city
    kind: sql
    url: postgresql+psycopg://reader:${CITY_DB_PASSWORD}@localhost/penduduk
    table: penduduk
    columns: {record_id: id_penduduk, full_name: nama_lengkap}
""",
        encoding="utf-8",
    )
    with pytest.raises(SourcesConfigError, match="CITY_DB_PASSWORD"):
        load_sources_config(path)
    monkeypatch.setenv("CITY_DB_PASSWORD", "s3cret")
    config = load_sources_config(path)
    assert config.source("penduduk_depok").url == "postgresql+psycopg://reader:s3cret@localhost/penduduk"


def test_missing_and_unparseable_files_are_config_errors(tmp_path):
    with pytest.raises(SourcesConfigError, match="file not found"):
        load_sources_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(SourcesConfigError, match="not valid YAML"):
        load_sources_config(bad)


def _city_config(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  penduduk_depok:\n{source}", encoding="utf-8")
    return path


CITY = """    programme: city
    kind: sql
    columns: {record_id: id_penduduk, full_name: nama_lengkap}
"""


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:hunter2secret@db.depok.go.id/penduduk",
        "postgresql+psycopg://reader:hunter2secret${SUFFIX}@db.depok.go.id/penduduk",
        "postgresql+psycopg://reader@db.depok.go.id/penduduk?password=hunter2secret",
    ],
)
def test_a_literal_password_in_a_url_is_refused_naming_the_source_not_the_password(
    tmp_path, url, monkeypatch
):
    monkeypatch.setenv("SUFFIX", "x")
    path = _city_config(tmp_path, f"{CITY}    url: {url}\n    table: penduduk\n")
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(path)
    message = str(caught.value)
    assert "sources.penduduk_depok.url: holds a literal password" in message
    assert "${VARIABLE}" in message
    assert "hunter2secret" not in message and "hunter2secret" not in repr(caught.value.problems)
    assert "\n" not in message


def test_passwords_from_the_environment_are_url_quoted_and_kept_out_of_repr(tmp_path, monkeypatch):
    monkeypatch.setenv("CITY_DB_PASSWORD", "p@ss:w/rd")
    url = "postgresql+psycopg://reader:${CITY_DB_PASSWORD}@db.depok.go.id:5432/penduduk"
    config = load_sources_config(_city_config(tmp_path, f"{CITY}    url: {url}\n    table: penduduk\n"))
    source = config.source("penduduk_depok")
    parsed = sa.make_url(source.url or "")
    assert (parsed.username, parsed.password, parsed.host, parsed.database) == (
        "reader",
        "p@ss:w/rd",
        "db.depok.go.id",
        "penduduk",
    )
    assert "p@ss" not in repr(source) and "p@ss" not in repr(config)
    monkeypatch.setenv("CITY_DB_URL", "sqlite:///elsewhere.db")
    whole = load_sources_config(
        _city_config(tmp_path, f"{CITY}    url: ${{CITY_DB_URL}}\n    table: penduduk\n")
    )
    assert whole.source("penduduk_depok").url == f"sqlite:///{(tmp_path / 'elsewhere.db').resolve()}"


@pytest.mark.parametrize(
    "table",
    [
        "penduduk; DROP TABLE penduduk",
        "pen duduk",
        "a.b.c",
        '"penduduk"',
        "penduduk--",
        "1penduduk",
        "dukcapil.",
    ],
)
def test_table_names_that_are_not_plain_identifiers_are_refused(tmp_path, table):
    path = _city_config(tmp_path, f"{CITY}    url: sqlite:///x.db\n    table: '{table}'\n")
    with pytest.raises(SourcesConfigError, match=r"sources\.penduduk_depok\.table: .*plain identifier"):
        load_sources_config(path)


@pytest.mark.parametrize("table", ["penduduk", "dukcapil.penduduk", "_Penduduk_2024"])
def test_plain_and_schema_qualified_table_names_are_accepted(tmp_path, table):
    config = load_sources_config(
        _city_config(tmp_path, f"{CITY}    url: sqlite:///x.db\n    table: {table}\n")
    )
    assert config.source("penduduk_depok").table == table


def test_query_params_are_checked_against_the_placeholders(tmp_path):
    query = "SELECT * FROM penduduk WHERE kecamatan = :kecamatan AND updated_at >= :since"
    params = "{kecamatan: BEJI, since: 2024-01-01}"
    good = f"{CITY}    url: sqlite:///x.db\n    query: {query}\n    params: {params}\n"
    source = load_sources_config(_city_config(tmp_path, good)).source("penduduk_depok")
    assert source.params == {"kecamatan": "BEJI", "since": dt.date(2024, 1, 1)}
    for params, problem in [
        ("{kecamatan: BEJI}", "placeholder(s) :since without 'params'"),
        ("{kecamatan: BEJI, since: 2024-01-01, extra: 1}", "'params' extra match no :name placeholder"),
    ]:
        bad = f"{CITY}    url: sqlite:///x.db\n    query: {query}\n    params: {params}\n"
        with pytest.raises(SourcesConfigError, match=re.escape(problem)):
            load_sources_config(_city_config(tmp_path, bad))
    with pytest.raises(SourcesConfigError, match="'params' go with a 'query'"):
        load_sources_config(
            _city_config(tmp_path, f"{CITY}    url: sqlite:///x.db\n    table: t\n    params: {{a: 1}}\n")
        )


def test_new_problems_are_reported_together_with_the_others(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        """
sources:
  bpjs_kesehatan:
    programme: health
    kind: csv
    path: kes.csv
    encoding: utf-99
    columns: {record_id: no_kartu, full_name: nama}
  bpjs_ketenagakerjaan:
    programme: employment
    kind: csv
    path: tk.csv
    delimiter: '"'
    columns: {record_id: kpj, full_name: nama}
  penduduk_depok:
    programme: city
    kind: sql
    url: postgresql://reader:topsecret@host/db
    table: "penduduk; --"
    columns: {record_id: id_penduduk, full_name: nama_lengkap}
""",
        encoding="utf-8",
    )
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(path)
    problems = caught.value.problems
    assert len(problems) == 4
    assert any(p.startswith("sources.bpjs_kesehatan.encoding") and "utf-99" in p for p in problems)
    assert any(p.startswith("sources.bpjs_ketenagakerjaan") and "delimiter" in p for p in problems)
    assert any(p.startswith("sources.penduduk_depok.url: holds a literal password") for p in problems)
    assert any(p.startswith("sources.penduduk_depok.table") for p in problems)
    assert "topsecret" not in str(caught.value)


def test_an_unparseable_url_is_reported_without_echoing_it(tmp_path):
    path = _city_config(tmp_path, f"{CITY}    url: 'not a url with s3cret'\n    table: penduduk\n")
    with pytest.raises(SourcesConfigError, match="url: not a valid SQLAlchemy URL") as caught:
        load_sources_config(path)
    assert "s3cret" not in str(caught.value)


def _secrets(values: dict[str, str]):
    """A resolver of ``${prefect-secret:NAME}`` over ``values`` (the Prefect-backed default is tested
    against a real Prefect server in tests/pipelines/test_secrets.py)."""

    def resolve(name: str) -> str:
        if name not in values:
            raise LookupError(f"Prefect Secret block {name!r} not found")
        return values[name]

    return resolve


def test_a_secret_block_reference_fills_the_password_url_quoted_and_out_of_repr(tmp_path):
    url = "postgresql+psycopg://reader:${prefect-secret:city-db-password}@db.depok.go.id/penduduk"
    path = _city_config(tmp_path, f"{CITY}    url: {url}\n    table: penduduk\n")
    config = load_sources_config(path, secrets=_secrets({"city-db-password": "p@ss:w/rd-9"}))
    source = config.source("penduduk_depok")
    parsed = sa.make_url(source.url or "")
    assert (parsed.username, parsed.password, parsed.host) == ("reader", "p@ss:w/rd-9", "db.depok.go.id")
    assert "p@ss" not in repr(source) and "p@ss" not in str(config) and "p@ss" not in repr(config)


def test_a_missing_secret_block_names_the_source_and_the_block(tmp_path):
    url = "postgresql+psycopg://reader:${prefect-secret:city-db-password}@db.depok.go.id/penduduk"
    path = _city_config(tmp_path, f"{CITY}    url: {url}\n    table: penduduk\n")
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(path, secrets=_secrets({}))
    assert caught.value.problems == [
        "sources.penduduk_depok: url refers to a Prefect Secret block: "
        "Prefect Secret block 'city-db-password' not found"
    ]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "postgresql+psycopg://reader:hunter2${prefect-secret:city-db}@db/penduduk",
            "holds a literal password",
        ),
        ("postgresql+psycopg://reader@db/penduduk?password=x${prefect-secret:city-db}", "holds a literal"),
        ("postgresql+psycopg://reader:${prefect-secret:City_DB}@db/penduduk", "lowercase letters, digits"),
        ("postgresql+psycopg://reader:${prefect-secret:}@db/penduduk", "lowercase letters, digits"),
    ],
)
def test_secret_references_do_not_open_a_way_around_the_literal_password_rule(tmp_path, url, problem):
    path = _city_config(tmp_path, f"{CITY}    url: '{url}'\n    table: penduduk\n")
    with pytest.raises(SourcesConfigError) as caught:
        load_sources_config(path, secrets=_secrets({"city-db": "resolved-value"}))
    assert len(caught.value.problems) == 1 and problem in caught.value.problems[0]
    assert "hunter2" not in str(caught.value) and "resolved-value" not in str(caught.value)


def test_a_whole_url_may_come_from_a_secret_block_and_no_block_is_read_without_a_reference(tmp_path):
    path = _city_config(tmp_path, f"{CITY}    url: ${{prefect-secret:city-db-url}}\n    table: penduduk\n")
    config = load_sources_config(path, secrets=_secrets({"city-db-url": "sqlite:///elsewhere.db"}))
    assert config.source("penduduk_depok").url == f"sqlite:///{(tmp_path / 'elsewhere.db').resolve()}"

    def refuse(name: str) -> str:
        raise AssertionError("a Secret block was read without a reference")

    assert load_sources_config(SHIPPED, secrets=refuse).names[-1] == "penduduk_depok"
