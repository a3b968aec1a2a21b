from pathlib import Path

import pytest

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
