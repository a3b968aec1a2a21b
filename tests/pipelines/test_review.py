"""The stewards' loop end to end: the report (opened in headless Chromium), ``review list`` / ``review
decide``, decisions applied by the next run and by a full rebuild, and ``export-outreach``."""

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pipelines.cli import main

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
_NIK = re.compile(r"\b\d{16}\b")


def _list(db: str, *extra: str) -> pd.DataFrame:
    result = CliRunner().invoke(main, ["review", "list", "--db", db, "--format", "csv", *extra])
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.output), dtype=str, keep_default_na=False)


def _registry_ids(db: str) -> dict[tuple[str, str], str]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT source, record_id, registry_id FROM source_records"))
            return {(source, record_id): registry_id for source, record_id, registry_id in rows}
    finally:
        engine.dispose()


def _match_pair(db: str) -> dict:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT * FROM match_pairs WHERE decision = 'match' ORDER BY weight LIMIT 1")
            )
            return dict(row.mappings().one())
    finally:
        engine.dispose()


def test_review_list_shows_the_queue_with_fields_masked(registry_copy):
    queue = _list(registry_copy)
    assert len(queue) > 0
    expected = ["pair_id", "source_l", "record_id_l", "source_r", "record_id_r", "weight"]
    assert list(queue.columns[:6]) == expected
    assert {"nik_l", "nik_r", "phone_l", "phone_r", "full_name_l", "full_name_r"} <= set(queue.columns)
    for column in ("nik_l", "nik_r", "phone_l", "phone_r"):
        assert queue[column].str.fullmatch(r"(\d{4}\*+\d{4})?").all(), column
    assert queue["full_name_l"].str.fullmatch(r"[^\s]\**( [^\s]\**)*|").all()
    table = CliRunner().invoke(main, ["review", "list", "--db", registry_copy])
    assert table.exit_code == 0 and "pair " in table.output and not _NIK.search(table.output)


def test_decide_refuses_an_unknown_pair_with_one_line(registry_copy):
    result = CliRunner().invoke(main, ["review", "decide", "999999", "--match", "--db", registry_copy])
    assert result.exit_code == 2
    assert result.output.strip().startswith("registry: error: the registry holds no pair 999999")


@pytest.fixture(scope="module")
def realistic_drop(tmp_path_factory) -> Path:
    """A generated drop of 2,000 persons (≈ 4,000 records): a realistic review queue."""
    from synthetic import generate_drop

    folder = tmp_path_factory.mktemp("realistic-drop")
    generate_drop(2000, folder, seed=5)
    return folder


def _key(row) -> tuple[tuple[str, str], tuple[str, str]]:
    return (row["source_l"], row["record_id_l"]), (row["source_r"], row["record_id_r"])


def test_decisions_stick_in_the_next_run_and_a_full_rebuild(prefect_server, realistic_drop, tmp_path):
    from pipelines.flow import sync

    db = f"sqlite:///{tmp_path / 'registry.db'}"

    def run(full: bool) -> None:
        state = sync(
            config=str(realistic_drop / "sources.yaml"),
            db=db,
            full=full,
            report_dir=str(tmp_path / "reports"),
            return_state=True,
        )
        assert state.is_completed(), state.message

    run(False)
    queue = _list(db)
    assert len(queue) >= 2, "a realistic drop leaves pairs for the stewards"
    ids = _registry_ids(db)
    top = queue.iloc[0]
    top_key = _key(top)
    assert ids[top_key[0]] != ids[top_key[1]]
    # another pair, apart now, touching neither person of the top pair (decisions that do not contradict)
    taken = {ids[top_key[0]], ids[top_key[1]]}
    other = next(
        row
        for _, row in queue.iloc[1:].iterrows()
        if not {ids[_key(row)[0]], ids[_key(row)[1]]} & taken and ids[_key(row)[0]] != ids[_key(row)[1]]
    )
    other_key = _key(other)
    linked = _match_pair(db)  # a pair the model linked: the steward splits it
    linked_key = ((linked["source_l"], linked["record_id_l"]), (linked["source_r"], linked["record_id_r"]))
    assert ids[linked_key[0]] == ids[linked_key[1]]

    runner = CliRunner()
    decisions = [
        [top["pair_id"], "--non-match", "--note", "different people"],
        [other["pair_id"], "--match", "--by", "steward-b"],
        [str(linked["pair_id"]), "--non-match"],
    ]
    for arguments in decisions:
        result = runner.invoke(main, ["review", "decide", *arguments, "--db", db])
        assert result.exit_code == 0, result.output
        assert "decided" in result.output and not _NIK.search(result.output)

    for full in (False, True):
        run(full)
        ids = _registry_ids(db)
        assert ids[top_key[0]] != ids[top_key[1]], "a non-match decision keeps the records apart"
        assert ids[other_key[0]] == ids[other_key[1]], "a match decision joins the records"
        assert ids[linked_key[0]] != ids[linked_key[1]], "a non-match decision overrides the model"

    # decided pairs leave the queue; --all lists them with their decision; the report counts them
    remaining = _list(db)
    assert not (
        (remaining["record_id_l"] == top["record_id_l"]) & (remaining["record_id_r"] == top["record_id_r"])
    ).any()
    assert set(_list(db, "--all")["decision"]) >= {"match", "non-match"}
    page = (tmp_path / "reports" / "latest.html").read_text(encoding="utf-8")
    assert "3 decisions stored" in page


def test_export_outreach_lists_workers_without_employment_insurance(registry_copy, tmp_path):
    out = tmp_path / "outreach.csv"
    result = CliRunner().invoke(main, ["export-outreach", "--db", registry_copy, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"wrote [\d,]+ workers without active employment insurance to .*\n", result.output)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) > 0
    assert {"registry_id", "full_name", "phone", "kecamatan", "occupation", "informal"} <= set(frame.columns)
    assert frame["informal"].isin(["True", "False"]).all() and (frame["informal"] == "True").any()


def test_report_opens_in_headless_chromium(published, tmp_path):
    assert CHROMIUM.exists(), (
        "Chromium is needed for this test and is not installed: "
        "apt-get update && apt-get install -y chromium  (Debian package; gives /usr/bin/chromium)"
    )
    page = published.report_dir / "latest.html"
    html = page.read_text(encoding="utf-8")
    assert "Review queue" in html and "Coverage gap" in html and "Data Docs" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert not _NIK.search(html), "the report masks NIKs by default"
    for link in re.findall(r"href='([^']+)'", html):
        assert (published.report_dir / link).is_file(), link
    profile = Path(tempfile.mkdtemp(dir=tmp_path))
    screenshot = tmp_path / "report.png"
    completed = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--screenshot={screenshot}", "--window-size=1280,4000",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert screenshot.stat().st_size > 20_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.rmtree(profile, ignore_errors=True)
