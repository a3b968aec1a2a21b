"""``registry export-persons`` and ``--pseudonymise`` on ``export-links`` / ``export-persons``, on the
registry a real sync published: pseudonymised files carry no raw NIK, name or phone; the key is read
from ``REGISTRY_PSEUDONYMISE_KEY``, refused when missing or short, and never shown."""

import re

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pipelines.cli import main
from store.pseudonyms import KEY_VARIABLE, Pseudonymiser

pytestmark = pytest.mark.integration

KEY = "depok-sharing-key-2026-" + "0123456789abcdef"  # 39 characters


def _registry_values(db: str) -> dict[str, set[str]]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as con:
            persons = pd.read_sql(sa.text("SELECT nik, full_name, phone, birth_date FROM persons"), con)
            records = pd.read_sql(sa.text("SELECT nik, nik_std, phone FROM source_records"), con)
    finally:
        engine.dispose()
    return {
        "nik": set(persons["nik"].dropna()) | set(records["nik_std"].dropna()) | set(records["nik"].dropna()),
        "name": set(persons["full_name"].dropna()),
        "phone": set(persons["phone"].dropna()) | set(records["phone"].dropna()),
        "birth_date": set(persons["birth_date"].dropna()),
    }


def _invoke(args: list[str], key: str | None) -> object:
    """Run the command with ``REGISTRY_PSEUDONYMISE_KEY`` set to ``key`` (``None``: unset)."""
    return CliRunner().invoke(main, args, env={KEY_VARIABLE: key})


def test_export_persons_writes_golden_records_with_nik_and_coverage(registry_copy, tmp_path):
    out = tmp_path / "persons.csv"
    result = _invoke(["export-persons", "--db", registry_copy, "--out", str(out)], key=None)
    assert result.exit_code == 0, result.output
    persons = pd.read_csv(out, dtype=str)
    assert re.fullmatch(rf"wrote {len(persons):,} persons to {re.escape(str(out))}\n", result.output)
    expected = {"registry_id", "nik", "full_name", "in_health", "in_employment", "in_city"}
    assert expected <= set(persons.columns)
    assert persons["registry_id"].is_unique and persons["nik"].notna().any()


@pytest.mark.parametrize("command", ["export-links", "export-persons"])
def test_pseudonymise_without_a_key_is_one_line_naming_the_variable(registry_copy, tmp_path, command):
    out = tmp_path / "out.csv"
    result = _invoke([command, "--db", registry_copy, "--out", str(out), "--pseudonymise"], key=None)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"registry: error: --pseudonymise needs a key: set {KEY_VARIABLE} ")
    assert not out.exists()


@pytest.mark.parametrize("command", ["export-links", "export-persons"])
def test_a_short_key_is_refused_without_showing_it(registry_copy, tmp_path, command):
    out = tmp_path / "out.csv"
    short = "only-twenty-chars!!!"
    result = _invoke([command, "--db", registry_copy, "--out", str(out), "--pseudonymise"], key=short)
    assert result.exit_code == 2
    assert "REGISTRY_PSEUDONYMISE_KEY is too short" in result.output and "at least 32" in result.output
    assert short not in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_pseudonymised_exports_leak_nothing_and_join_on_the_pseudonym(registry_copy, tmp_path):
    links_csv, persons_csv = tmp_path / "links.csv", tmp_path / "persons.csv"
    results = [
        _invoke(["export-links", "--db", registry_copy, "--out", str(links_csv), "--pseudonymise"], KEY),
        _invoke(["export-persons", "--db", registry_copy, "--out", str(persons_csv), "--pseudonymise"], KEY),
    ]
    for result in results:
        assert result.exit_code == 0, result.output
        assert KEY not in result.output
    values = _registry_values(registry_copy)
    assert values["nik"] and values["name"] and values["phone"]
    for path in (links_csv, persons_csv):
        cells = set(pd.read_csv(path, dtype=str).stack())
        for kind in ("nik", "name", "phone", "birth_date"):
            assert not cells & values[kind], f"a raw {kind} in {path.name}"
        assert KEY not in path.read_text(encoding="utf-8")

    links = pd.read_csv(links_csv, dtype=str)
    persons = pd.read_csv(persons_csv, dtype=str)
    keyed = Pseudonymiser(KEY)
    assert persons["nik_pseudonym"].dropna().str.fullmatch(r"hmac:[0-9a-f]{64}").all()
    golden = {keyed.pseudonym(nik) for nik in _golden_niks(registry_copy)}
    assert set(persons["nik_pseudonym"].dropna()) == golden
    # each person's pseudonym is one of its own records' pseudonyms (the survivorship winner)
    joined = links.dropna(subset=["nik_pseudonym"]).merge(
        persons[["registry_id", "nik_pseudonym"]], on="registry_id", suffixes=("_record", "_person")
    )
    agreeing = joined[joined["nik_pseudonym_record"] == joined["nik_pseudonym_person"]]
    assert set(agreeing["registry_id"]) == set(persons.dropna(subset=["nik_pseudonym"])["registry_id"])

    # the same key again (another run of the command): byte-identical files
    again = tmp_path / "again.csv"
    _invoke(["export-persons", "--db", registry_copy, "--out", str(again), "--pseudonymise"], KEY)
    assert again.read_bytes() == persons_csv.read_bytes()


def _golden_niks(db: str) -> set[str]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.text("SELECT nik FROM persons WHERE nik IS NOT NULL")))
    finally:
        engine.dispose()
