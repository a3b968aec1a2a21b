"""The suites as data: what each source's suite checks, how severely, with which patterns."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from connectors import load_sources_config
from connectors.schema import CANONICAL_FIELDS, SOURCE_NAMES
from expectations import UnknownSourceError, suite_for
from expectations.derived import DERIVED_COLUMNS
from expectations.errors import DataQualityError
from expectations.suites import (
    DATE_CITY,
    DATE_DD_MM_YYYY,
    DATE_ISO,
    MAX_FIELD_LENGTH,
    MAX_RECORD_ID_LENGTH,
    NIK_PATTERN,
    NIK_PLACEHOLDER_PATTERN,
    PHONE_PATTERN,
    SOURCE_FIELDS,
    SUITE_BUILDERS,
    TIMESTAMP_ISO,
    suite_columns,
    suite_helper_columns,
)

pytestmark = pytest.mark.unit

CRITICAL_NAMES = [
    "record_id_present",
    "record_id_not_blank",
    "record_id_unique",
    "record_id_length",
    "full_name_present",
    "full_name_not_blank",
]
SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "data" / "samples" / "sources.yaml"


def length_names(source: str) -> list[str]:
    """The critical length checks of a source's suite: one per field the agency sends, besides the id."""
    return [f"{field}_length" for field in SOURCE_FIELDS[source] if field != "record_id"]


def _by_name(suite: gx.ExpectationSuite) -> dict[str, gxe.Expectation]:
    return {expectation.meta["name"]: expectation for expectation in suite.expectations}


def _matches(pattern: str, value: str) -> bool:
    """What GX's pandas regex check does: ``str.contains``, i.e. ``re.search``."""
    return re.search(pattern, value) is not None


def test_one_suite_per_canonical_source() -> None:
    assert set(SUITE_BUILDERS) == set(SOURCE_NAMES)


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_suite_is_a_fresh_gx_suite_named_after_its_source(source: str) -> None:
    suite = suite_for(source)
    assert isinstance(suite, gx.ExpectationSuite)
    assert suite.name == source
    assert suite_for(source) is not suite
    names = [expectation.meta["name"] for expectation in suite.expectations]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_exactly_the_id_name_and_length_checks_are_critical(source: str) -> None:
    suite = suite_for(source)
    critical = [e.meta["name"] for e in suite.expectations if e.severity.value == "critical"]
    others = {e.severity.value for e in suite.expectations if e.meta["name"] not in critical}
    assert critical == CRITICAL_NAMES + length_names(source)
    assert others == {"warning"}


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_every_field_is_length_checked_and_the_record_id_to_the_registrys_width(source: str) -> None:
    by_name = _by_name(suite_for(source))
    # on the helper columns of the values' lengths (expectations.derived), reported as the field's
    record_id = by_name["record_id_length"]
    assert isinstance(record_id, gxe.ExpectColumnValuesToBeBetween)
    assert (record_id.column, record_id.meta["column"], record_id.max_value, record_id.meta["rule"]) == (
        "record_id_length",
        "record_id",
        MAX_RECORD_ID_LENGTH,
        "too long",
    )
    for name in length_names(source):
        expectation = by_name[name]
        assert isinstance(expectation, gxe.ExpectColumnValuesToBeBetween)
        assert expectation.column == name and f"{expectation.meta['column']}_length" == name
        assert expectation.max_value == MAX_FIELD_LENGTH and expectation.min_value is None
        assert expectation.meta["rule"] == "too long"


def test_length_checks_cover_every_field_the_shipped_config_maps() -> None:
    config = load_sources_config(SHIPPED_CONFIG)
    for source in config.sources:
        assert set(source.columns) <= set(SOURCE_FIELDS[source.name]), source.name
        assert set(SOURCE_FIELDS[source.name]) <= set(CANONICAL_FIELDS)


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_critical_checks_are_the_gx_expectations_asked_for(source: str) -> None:
    by_name = _by_name(suite_for(source))
    assert isinstance(by_name["record_id_present"], gxe.ExpectColumnValuesToNotBeNull)
    assert isinstance(by_name["record_id_not_blank"], gxe.ExpectColumnValuesToNotMatchRegex)
    assert isinstance(by_name["record_id_unique"], gxe.ExpectColumnValuesToBeUnique)
    assert isinstance(by_name["record_id_length"], gxe.ExpectColumnValuesToBeBetween)
    assert isinstance(by_name["full_name_present"], gxe.ExpectColumnValuesToNotBeNull)
    assert isinstance(by_name["full_name_not_blank"], gxe.ExpectColumnValuesToNotMatchRegex)
    assert [by_name[name].meta["rule"] for name in CRITICAL_NAMES] == [
        "missing",
        "empty",
        "duplicate",
        "too long",
        "missing",
        "empty",
    ]
    for name in ("record_id_not_blank", "full_name_not_blank"):
        regex = by_name[name].regex
        assert all(_matches(regex, value) for value in ("", " ", "\t  "))
        assert not _matches(regex, " A ")


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_suites_read_only_canonical_columns_and_their_helpers(source: str) -> None:
    suite = suite_for(source)
    assert set(suite_columns(suite)) <= set(CANONICAL_FIELDS)
    assert suite_helper_columns(suite) == (
        *(f"{field}_length" for field in SOURCE_FIELDS[source]),
        "birth_date_is_real_date",
        "birth_date_as_date",
    )
    assert set(suite_helper_columns(suite)) <= set(DERIVED_COLUMNS)


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_calendar_and_range_checks_of_the_birth_date(source: str) -> None:
    today = dt.date(2024, 6, 1)
    by_name = _by_name(suite_for(source, today=today))
    real = by_name["birth_date_real_date"]
    assert isinstance(real, gxe.ExpectColumnValuesToBeInSet)
    assert (real.column, list(real.value_set), real.severity.value) == (
        "birth_date_is_real_date",
        [True],
        "warning",
    )
    future = by_name["birth_date_not_future"]
    assert isinstance(future, gxe.ExpectColumnValuesToBeBetween)
    assert (future.column, future.min_value, future.max_value) == ("birth_date_as_date", None, today)
    early = by_name["birth_date_not_before_1900"]
    assert (early.column, early.min_value, early.max_value) == (
        "birth_date_as_date",
        dt.date(1900, 1, 1),
        None,
    )
    # the outcomes of checks on helper columns report the canonical column they describe
    assert {by_name[name].meta["column"] for name in ("birth_date_real_date", "birth_date_not_future")} == {
        "birth_date"
    }
    assert _by_name(suite_for(source))["birth_date_not_future"].max_value == dt.date.today()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "bpjs_kesehatan",
            {
                "record_id_format", "nik_format", "nik_not_placeholder", "birth_date_present",
                "birth_date_format", "sex_in_set", "phone_format", "jkn_segment_in_set",
                "membership_status_in_set", "updated_at_format",
                "birth_date_real_date", "birth_date_not_future", "birth_date_not_before_1900",
            },
        ),
        (
            "bpjs_ketenagakerjaan",
            {
                "record_id_format", "nik_format", "nik_not_placeholder", "birth_date_present",
                "birth_date_format", "sex_in_set", "phone_format", "worker_category_in_set",
                "membership_status_in_set", "membership_start_format",
                "birth_date_real_date", "birth_date_not_future", "birth_date_not_before_1900",
            },
        ),
        (
            "penduduk_depok",
            {
                "record_id_format", "nik_format", "nik_not_placeholder", "birth_date_present",
                "birth_date_format", "sex_in_set", "kk_number_format", "rt_format", "rw_format",
                "updated_at_format",
                "birth_date_real_date", "birth_date_not_future", "birth_date_not_before_1900",
            },
        ),
    ],
)  # fmt: skip
def test_reported_only_checks_per_source(source: str, expected: set[str]) -> None:
    assert set(_by_name(suite_for(source))) - set(CRITICAL_NAMES) - set(length_names(source)) == expected


@pytest.mark.parametrize(
    ("source", "name", "value_set"),
    [
        ("bpjs_kesehatan", "sex_in_set", {"L", "P"}),
        ("bpjs_ketenagakerjaan", "sex_in_set", {"Laki-laki", "Perempuan"}),
        ("penduduk_depok", "sex_in_set", {"1", "2"}),
        ("bpjs_kesehatan", "jkn_segment_in_set", {"PBI", "PPU", "PBPU", "BP"}),
        ("bpjs_kesehatan", "membership_status_in_set", {"AKTIF", "TIDAK AKTIF"}),
        ("bpjs_ketenagakerjaan", "membership_status_in_set", {"AKTIF", "NONAKTIF"}),
        ("bpjs_ketenagakerjaan", "worker_category_in_set", {"PU", "BPU", "JAKON"}),
    ],
)
def test_value_sets(source: str, name: str, value_set: set[str]) -> None:
    expectation = _by_name(suite_for(source))[name]
    assert isinstance(expectation, gxe.ExpectColumnValuesToBeInSet)
    assert set(expectation.value_set) == value_set


@pytest.mark.parametrize(
    ("source", "good", "bad"),
    [
        (
            "bpjs_kesehatan",
            ["0001234567890"],
            ["123456789012", "12345678901234", "000123456789X", "٠٠٠١٢٣٤٥٦٧٨٩٠"],
        ),
        ("bpjs_ketenagakerjaan", ["12345678901"], ["1234567890", "123456789012", "1234567890a"]),
        ("penduduk_depok", ["1", "1001", "987654"], ["A12", "1.0", "-3", ""]),
    ],
)
def test_record_id_format_per_source(source: str, good: list[str], bad: list[str]) -> None:
    regex = _by_name(suite_for(source))["record_id_format"].regex
    assert all(_matches(regex, value) for value in good)
    assert not any(_matches(regex, value) for value in bad)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (NIK_PATTERN, ["3276014507850001", "0000000000000000"], ["327601450785000", "32760145078500011",
                                                                 "3276-0145078500", "٣٢٧٦٠١٤٥٠٧٨٥٠٠٠١"]),
        (NIK_PLACEHOLDER_PATTERN, ["0000000000000000", "9999999999999999"], ["3276014507850001", "0000"]),
        (PHONE_PATTERN, ["081234567890", "0812345678", "6281234567890", "+6281234567890"],
         ["0212345678", "81234567890", "+62 812 3456 7890", "08123", "0812345678901234"]),
        (DATE_DD_MM_YYYY, ["17-08-1985", "01-01-2000"],
         ["1985-08-17", "17/08/1985", "32-01-1990", "1-8-1985"]),
        (DATE_ISO, ["1990-08-15", "2021-03-01"], ["15-08-1990", "1990-13-01", "1990-8-15", "19900815"]),
        (DATE_CITY, ["17/08/1985", "17 Agustus 1985", "1 Januari 2001", "5 NOPEMBER 1950", "09 Mei 1960"],
         ["17-08-1985", "1985-08-17", "17 August 1985", "17 Agustus 85", "32/01/1990"]),
        (TIMESTAMP_ISO, ["2024-05-01 10:00:00"],
         ["2024-05-01", "01-05-2024 10:00:00", "2024-05-01 25:00:00"]),
    ],
)  # fmt: skip
def test_patterns(pattern: str, good: list[str], bad: list[str]) -> None:
    assert [value for value in good if not _matches(pattern, value)] == []
    assert [value for value in bad if _matches(pattern, value)] == []


def test_patterns_have_no_capturing_groups() -> None:
    """pandas' str.contains warns on capturing groups; every suite pattern must avoid them."""
    for source in SOURCE_NAMES:
        for expectation in suite_for(source).expectations:
            regex = getattr(expectation, "regex", None)
            if regex is not None:
                assert re.compile(regex).groups == 0, (source, expectation.meta["name"])


def test_unknown_source_is_refused() -> None:
    with pytest.raises(UnknownSourceError, match="no expectation suite for source 'dukcapil'") as caught:
        suite_for("dukcapil")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, DataQualityError)


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_suite_serialises_to_json(source: str) -> None:
    data = suite_for(source).to_json_dict()
    assert data["name"] == source
    assert len(data["expectations"]) == len(suite_for(source).expectations)
