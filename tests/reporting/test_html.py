import numpy as np
import pandas as pd
import pytest

from reporting import ReportInputs, write_report

pytestmark = pytest.mark.unit


def _inputs(**overrides) -> ReportInputs:
    values = {
        "run_id": "20261127T020000-abc123",
        "started_at": "2026-11-27 02:00:00 UTC",
        "database": "sqlite:///registry.db",
        "counts": {
            "read": {"bpjs_kesehatan": 10, "penduduk_depok": 5},
            "linked": {"bpjs_kesehatan": 9, "penduduk_depok": 5},
            "quarantined": {"bpjs_kesehatan": 1},
        },
        "persons": 11,
        "new_persons": 11,
        "quarantine_reasons": pd.DataFrame(
            [{"source": "bpjs_kesehatan", "reason": "full_name: empty", "records": 1}]
        ),
        "expectations": pd.DataFrame(
            [
                {
                    "source": "bpjs_kesehatan",
                    "expectation": "nik_format",
                    "column": "nik",
                    "critical": False,
                    "success": False,
                    "unexpected": 2,
                    "checked": 10,
                }
            ]
        ),  # fmt: skip
        "overlap": pd.DataFrame(
            {
                "in_health": [True, True],
                "in_employment": [False, True],
                "in_city": [True, False],
                "persons": [8, 3],
            }
        ),
        "pair_weights": np.array([-12.0, -3.5, 4.0, 18.0, 22.5]),
        "match_threshold": 10.0,
        "review_threshold": 2.0,
        "pair_counts": {"match pairs": 2},
    }
    return ReportInputs(**(values | overrides))


def test_report_is_one_self_contained_page_with_counts_and_thresholds(tmp_path):
    path = write_report(_inputs(), tmp_path / "reports")
    page = path.read_text(encoding="utf-8")
    assert path.name == "run-20261127T020000-abc123.html"
    assert (tmp_path / "reports" / "latest.html").read_text(encoding="utf-8") == page
    assert "every record accounted for" in page
    assert "full_name: empty" in page
    assert "health + city" in page and "health + employment" in page
    assert "match ≥ 10" in page and "review ≥ 2" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_report_flags_unaccounted_records_and_handles_no_pairs(tmp_path):
    counts = {"read": {"bpjs_kesehatan": 10}, "linked": {"bpjs_kesehatan": 8}, "quarantined": {}}
    page = write_report(_inputs(counts=counts, pair_weights=np.array([])), tmp_path).read_text(
        encoding="utf-8"
    )
    assert "records unaccounted for" in page
    assert "No candidate pairs were scored." in page


def _published_registry(tmp_path) -> str:
    """A hand-made registry: two persons, one review pair with a NIK and phone on each side."""
    from datetime import UTC, datetime

    from store import RunOutcome, open_registry, publish_run
    from store.models import RAW_FIELDS, STANDARD_FIELDS

    records = pd.DataFrame(
        [
            {"source": "penduduk_depok", "record_id": "1", "cluster": 0, "full_name": "SITI AMINAH",
             "nik": "3276015708900001", "phone": "081234567890", "occupation": "WIRASWASTA",
             "kecamatan_std": "Beji"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "cluster": 1, "full_name": "SITI AMINA",
             "nik": "3276015708900002", "membership_status": "AKTIF"},
        ]
    )  # fmt: skip
    for column in (*RAW_FIELDS, *STANDARD_FIELDS):
        if column not in records:
            records[column] = None
    records["source_row"] = [1, 2]
    pairs = pd.DataFrame(
        [["penduduk_depok", "1", "bpjs_kesehatan", "0001", 5.0, 0.9, "review"]],
        columns=["source_l", "record_id_l", "source_r", "record_id_r", "weight", "probability", "decision"],
    )
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = open_registry(url)
    publish_run(
        engine,
        RunOutcome(
            run_id="20261127T020000-abc123",
            started_at=datetime(2026, 11, 27, tzinfo=UTC),
            config_path="sources.yaml",
            programmes={"penduduk_depok": "city", "bpjs_kesehatan": "health"},
            rows_read={"penduduk_depok": 1, "bpjs_kesehatan": 1},
            records=records,
            quarantine=pd.DataFrame(columns=["source", "record_id", "source_row", "reason"]),
            pairs=pairs,
        ),
    )
    engine.dispose()
    return url


def test_report_shows_the_queue_with_a_waterfall_masked_and_the_coverage_gap(tmp_path):
    url = _published_registry(tmp_path)
    contributions = pd.DataFrame(
        [{"source_l": "bpjs_kesehatan", "record_id_l": "0001", "source_r": "penduduk_depok",
          "record_id_r": "1", "weight": 5.0, "name_weight": 6.0, "nik_weight": 3.0}]
    )  # fmt: skip
    docs = tmp_path / "reports" / "data-docs" / "20261127T020000-abc123" / "penduduk_depok"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html></html>", encoding="utf-8")
    page = write_report(
        _inputs(registry_url=url, review_pairs=contributions), tmp_path / "reports"
    ).read_text(encoding="utf-8")
    assert "<b>1</b> pairs wait for a steward" in page
    assert "SITI AMINAH" in page  # the stewards' page shows names
    assert "3276********0001" in page and "0812****7890" in page
    assert "3276015708900001" not in page and "081234567890" not in page
    assert "aria-label='match weight waterfall'" in page and "+6.00" in page and "-4.00" in page
    assert "<b>1</b> working people hold no active BPJS Ketenagakerjaan" in page
    assert "href='data-docs/20261127T020000-abc123/penduduk_depok/index.html'" in page
    unmasked = write_report(
        _inputs(registry_url=url, review_pairs=contributions), tmp_path / "unmasked", unmasked=True
    ).read_text(encoding="utf-8")
    assert "3276015708900001" in unmasked
