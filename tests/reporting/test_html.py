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
