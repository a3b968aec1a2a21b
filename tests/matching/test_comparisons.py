import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.comparisons import ValueFrequencies, build_comparisons, comparison_matrix
from matching.errors import MatchInputError
from matching.settings import ComparisonSettings

pytestmark = pytest.mark.unit


def levels(kind, column, values, pairs, **options):
    (comparison,) = build_comparisons((ComparisonSettings(name="c", kind=kind, column=column, **options),))
    frame = pd.DataFrame(values) if isinstance(values, dict) else pd.DataFrame({column: values})
    if kind == "nik" and "nik_agrees" not in frame:
        frame["nik_agrees"] = pd.array([True] * len(frame), dtype="boolean")
    features = comparison.prepare(frame)
    left = np.array([p[0] for p in pairs], dtype=np.int64)
    right = np.array([p[1] for p in pairs], dtype=np.int64)
    return [comparison.level_names[x] for x in comparison.levels(features, left, right)]


def test_name_levels():
    names = [
        "MUHAMAD YOKO SUPRAPTO",
        "MUHAMAD YOKO SUPRAPTO",
        "YOKO SUPRAPTO MUHAMAD",
        "NUR HIDAYAH",
        "NURHIDAYAH",
        "SITI AMINAH",
        "SITI AMINAH PUTRI",
        "M RIZKI PRATAMA",
        "MUHAMAD RIZKI PRATAMA",
        "A RIZKI PRATAMA",
        "RINA MARLINA",
        "RINA MARLINAH",
        "BAMBANG SUTRISNO",
        None,
        "SITI",
        "SITI HALIMAH",
    ]
    got = levels(
        "name",
        "name_key",
        names,
        [(0, 1), (0, 2), (3, 4), (5, 6), (7, 8), (9, 8), (10, 11), (0, 12), (0, 13), (14, 5), (5, 15)],
    )
    assert got == [
        "exact",
        "same_tokens",
        "same_tokens",
        "subset_or_initials",
        "subset_or_initials",
        "most_tokens",
        "fuzzy_tokens",
        "else",
        "null",
        "one_token",
        "one_token",
    ]


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("LINDA MIHELE AGNSE", "LINDA MIHELE AGNES SUSANTO", "fuzzy_tokens"),  # typo + truncation
        ("M RIFAN PUTRA", "MUHAMAD IRFAN PUTRA", "fuzzy_tokens"),  # initial + transposition
        ("ZAIFUL MUHAMAD", "MUHAMAD SAIFUL", "fuzzy_tokens"),  # swap + typo
        ("NUR HIDAYAHH", "NURHIDAYAH", "fuzzy_tokens"),  # merge + typo
        ("YONATAN YOHANES SILALAHI", "YONATAN ANDREAS SILALAHI", "most_tokens"),  # twins, family name
        ("FARHAN KURNIAWAN PUTRA", "FARHAN SAPUTRA", "one_token"),  # twins, same first name
        ("RUT LUMENTUT", "PUTRI LUMENTUT", "one_token"),
        ("YULI AYU AULIA", "MARYAM", "else"),
    ],
)
def test_name_token_correspondence(a, b, level):
    assert levels("name", "name_key", [a, b], [(0, 1)]) == [level]


def test_name_max_edits_is_configurable():
    assert levels("name", "name_key", ["RINA MARLINA", "RINA MARLINAH"], [(0, 1)], max_edits=0) == [
        "one_token"
    ]


def test_date_levels():
    dates = [
        "1990-08-17",
        "1990-08-17",
        "1990-08-18",
        "1990-08-71",
        "1990-17-08",
        "1991-08-17",
        "1990-03-04",
        "1990-04-03",
        "1990-12-25",
        "1975-01-01",
        None,
        "1990-08-71",
    ]
    dates[3] = "1990-07-18"  # two digits differ, within a year
    dates[11] = "1990-01-01"  # the default for an unknown birthday
    got = levels(
        "date",
        "birth_date_std",
        dates,
        [(0, 1), (0, 2), (6, 7), (0, 5), (0, 8), (0, 9), (0, 10), (0, 3), (0, 11), (9, 11)],
    )
    assert got == [
        "exact",
        "one_typo",
        "day_month_swap",
        "one_typo",
        "within_year",
        "else",
        "null",
        "within_year",
        "default_day",
        "else",
    ]


def test_date_adjacent_digit_transposition_is_one_typo():
    assert levels("date", "birth_date_std", ["1985-08-17", "1958-08-17"], [(0, 1)]) == ["one_typo"]


def test_nik_levels():
    frame = {
        "nik_std": [
            "3276015708900001",
            "3276015708900001",
            "3276015708900002",
            "3276015708900010",
            "3276011203850007",
            None,
            "3276015708900001",
        ],
        "nik_agrees": pd.array([True, True, True, True, True, pd.NA, False], dtype="boolean"),
    }
    got = levels("nik", "nik_std", frame, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 6), (4, 6)])
    assert got == ["exact", "one_edit", "one_edit", "else", "null", "exact_inconsistent", "else_inconsistent"]


def test_exact_phone_place_and_string_levels():
    assert levels("exact", "sex_std", ["L", "L", "P", None], [(0, 1), (0, 2), (0, 3)]) == [
        "exact",
        "else",
        "null",
    ]
    phones = ["6281234567890", "6281234567890", "6281234567891", "6285700000000", None]
    assert levels("phone", "phone_std", phones, [(0, 1), (0, 2), (0, 3), (0, 4)]) == [
        "exact",
        "one_edit",
        "else",
        "null",
    ]
    place = {
        "kelurahan_code": ["32.76.06.1005"] * 4 + ["32.76.06.1001", "32.76.10.1001", None, None],
        "kecamatan_code": ["32.76.06"] * 5 + ["32.76.10", "32.76.06", None],
        "rw_std": ["005", "005", "005", "006", "005", "005", None, None],
        "rt_std": ["003", "003", "004", "003", "003", "003", None, None],
    }
    assert levels("place", None, place, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7)]) == [
        "kelurahan_rw_rt",
        "kelurahan_rw",
        "kelurahan",
        "kecamatan",
        "else",
        "kecamatan",
        "null",
    ]
    towns = ["DEPOK", "DEPOK", "DEPOKK", "BANDUNG", None]
    assert levels(
        "string", "birth_place_std", towns, [(0, 1), (0, 2), (0, 3), (0, 4)], thresholds=(0.9,)
    ) == ["exact", "jaro_winkler_0.9", "else", "null"]


def test_comparison_matrix_shape_and_missing_column():
    comparisons = build_comparisons(
        (
            ComparisonSettings(name="sex", kind="exact", column="sex_std"),
            ComparisonSettings(name="dob", kind="date", column="birth_date_std"),
        )
    )
    frame = pd.DataFrame({"sex_std": ["L", "L"], "birth_date_std": ["1990-01-01", "1990-01-01"]})
    features = [c.prepare(frame) for c in comparisons]
    matrix = comparison_matrix(comparisons, features, np.array([0]), np.array([1]))
    assert matrix.dtype == np.int8 and matrix.tolist() == [[1, 1]]
    with pytest.raises(MatchInputError):
        comparisons[0].prepare(pd.DataFrame({"other": [1]}))


def test_term_frequencies_are_value_shares():
    (comparison,) = build_comparisons(
        (ComparisonSettings(name="p", kind="phone", column="phone_std", term_frequency=True),)
    )
    features = comparison.prepare(pd.DataFrame({"phone_std": ["a", "a", "a", "b", None]}))
    freq = features.tf_freq[features.tf_code[:4]]
    assert np.allclose(freq, [0.75, 0.75, 0.75, 0.25]) and features.tf_code[4] == -1


def _frequency_of_each_value(table: ValueFrequencies) -> dict:
    return dict(zip(table.values.tolist(), table.frequency.tolist(), strict=True))


def _counted_by_pandas(values: list) -> dict:
    present = pd.Series(values, dtype=object)
    present = present[present.notna() & (present != "")]
    counts = present.value_counts()
    return {value: count / max(counts.sum(), 1) for value, count in counts.items()}


_TEXT = st.sampled_from(["", "A", "a", "Ä", "漢字", " A", "3276"])


@settings(max_examples=150, deadline=None, database=None)
@given(values=st.lists(st.one_of(_TEXT, st.none(), st.just(float("nan"))), max_size=40))
def test_text_values_are_counted_as_pandas_counts_them(values: list) -> None:
    table = ValueFrequencies.of(np.asarray(values, dtype=object))
    assert _frequency_of_each_value(table) == _counted_by_pandas(values)
    # every value finds its own frequency; empty and missing ones find none
    codes = table.codes(np.asarray(values, dtype=object))
    for value, code in zip(values, codes, strict=True):
        counted = isinstance(value, str) and value != ""
        assert (code >= 0) == counted
        if counted:
            assert table.frequency[code] == _counted_by_pandas(values)[value]


@pytest.mark.parametrize(
    "values",
    [[1, 2, 2, None], [b"A", "A", "A"], ["\ud800", "A", "A"], [None, None], []],
)
def test_values_that_are_not_text_are_counted_by_pandas(values: list) -> None:
    table = ValueFrequencies.of(np.asarray(values, dtype=object))
    assert _frequency_of_each_value(table) == _counted_by_pandas(values)
