"""Property tests of the standardisers: what their docstrings promise holds for any input.

Each property restates a contract from the module it tests (``matching.nik``, ``matching.dates``,
``matching.phones``, ``matching.names``, ``matching.standardise``): nothing raises on any text, outputs
are in their documented form or missing, and bad fields are set aside (missing) while the record stays.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matching.addresses import standardise_addresses
from matching.dates import parse_dates
from matching.names import fold_name, standardise_names
from matching.nik import standardise_nik
from matching.phones import standardise_phone
from matching.standardise import STANDARDISED_COLUMNS, standardise_records

pytestmark = pytest.mark.unit

TODAY = dt.date(2025, 6, 1)
PROPERTY = settings(max_examples=150, deadline=None, database=None)

#: Any text, and text made of what agency cells are made of (digits of several scripts, separators,
#: letters that look like digits, Excel's apostrophe and exponent).
ANY_TEXT = st.text(max_size=24)
DIGITISH = st.text(alphabet=st.sampled_from(list("0123456789 .-/'E+O l\t٣३")), max_size=22)
#: Decimal digits of every script (Unicode Nd: Arabic-Indic, Devanagari, full-width, ...) among separators.
UNICODE_DIGITS = st.text(
    alphabet=st.one_of(st.characters(categories=["Nd"]), st.sampled_from(list(" ./-:RTW"))), max_size=22
)
CELLS = st.lists(st.one_of(st.none(), ANY_TEXT, DIGITISH, UNICODE_DIGITS), max_size=8)

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember"]  # fmt: skip
BIRTH_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
DAY_FIRST_LAYOUTS = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%d%m%Y"]


def _series(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype=object)


def _nik(values: list[str | None], birth_dates: list[str | None] | None = None) -> pd.DataFrame:
    missing = [None] * len(values)
    return standardise_nik(_series(values), _series(birth_dates or missing), _series(missing), today=TODAY)


# --- NIK -------------------------------------------------------------------------------------------------

NIK_DIGITS = st.from_regex(r"\A[0-9]{16}\Z")


@PROPERTY
@given(values=st.lists(st.one_of(st.none(), ANY_TEXT, DIGITISH, UNICODE_DIGITS, NIK_DIGITS), max_size=8))
def test_nik_cleaning_never_raises_and_gives_sixteen_digits_or_missing(values: list[str | None]) -> None:
    out = _nik(values)
    assert len(out) == len(values)
    for nik_std, valid, sex, birth in out[["nik_std", "nik_valid", "nik_sex", "nik_birth_date"]].itertuples(
        index=False
    ):
        assert nik_std is None or re.fullmatch(r"[0-9]{16}", nik_std)
        assert bool(valid) == (nik_std is not None)
        assert (sex in {"L", "P"}) == bool(valid)
        # the decoded birth date is a real day, and without the record's own date never after today
        assert birth is None or (ISO_DATE.fullmatch(birth) and "1900-01-01" <= birth <= TODAY.isoformat())


@PROPERTY
@given(nik=NIK_DIGITS, letter=st.sampled_from("ABOIlSZ"), position=st.integers(0, 15))
def test_a_nik_with_a_letter_is_set_aside(nik: str, letter: str, position: int) -> None:
    with_letter = nik[:position] + letter + nik[position + 1 :]
    row = _nik([with_letter]).iloc[0]
    assert row["nik_std"] is None and not row["nik_valid"]
    assert row["nik_issue"] == "not_digits"


@PROPERTY
@given(nik=NIK_DIGITS, separator=st.sampled_from([" ", ".", "-", "  "]), apostrophe=st.booleans())
def test_separators_in_a_nik_are_stripped_as_documented(nik: str, separator: str, apostrophe: bool) -> None:
    """``matching.nik``: 16 digits after stripping spaces, dots, hyphens and a leading Excel apostrophe."""
    written = ("'" if apostrophe else "") + separator.join([nik[:4], nik[4:6], nik[6:12], nik[12:]])
    plain, decorated = _nik([nik, written])["nik_std"]
    assert decorated == plain


# --- dates -----------------------------------------------------------------------------------------------


@PROPERTY
@given(values=CELLS)
def test_date_parsing_never_raises_and_stays_between_1900_and_today(values: list[str | None]) -> None:
    parsed = parse_dates(_series(values), today=TODAY)
    assert len(parsed) == len(values)
    for iso in parsed:
        assert iso is None or (ISO_DATE.fullmatch(iso) and "1900-01-01" <= iso <= TODAY.isoformat())


@PROPERTY
@given(day=BIRTH_DATES, layout=st.sampled_from([*DAY_FIRST_LAYOUTS, "%Y-%m-%d", "long"]))
def test_dates_are_read_day_first_in_every_agency_layout(day: dt.date, layout: str) -> None:
    """``03/04/1990`` is the 3rd of April: a month-first reading is never attempted."""
    long_form = f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"
    text = long_form if layout == "long" else day.strftime(layout)
    assert parse_dates(_series([text]), today=TODAY).iloc[0] == day.isoformat()


@PROPERTY
@given(
    year=st.integers(1900, 2024),
    month=st.sampled_from([2, 4, 6, 9, 11]),
    day=st.integers(29, 31),
    layout=st.sampled_from(["{d:02d}-{m:02d}-{y}", "{d:02d}/{m:02d}/{y}", "{y}-{m:02d}-{d:02d}"]),
)
def test_impossible_dates_are_set_aside(year: int, month: int, day: int, layout: str) -> None:
    assume(day > calendar.monthrange(year, month)[1])  # the 31st of June, the 29th of February 2023, ...
    text = layout.format(d=day, m=month, y=year)
    assert parse_dates(_series([text]), today=TODAY).iloc[0] is None


@PROPERTY
@given(
    day=st.one_of(
        st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2999, 12, 31)),
        st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(1899, 12, 31)),
    ),
    layout=st.sampled_from(["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"]),
)
def test_future_and_pre_1900_birth_dates_are_set_aside(day: dt.date, layout: str) -> None:
    assert parse_dates(_series([day.strftime(layout)]), today=TODAY).iloc[0] is None


# --- phones ----------------------------------------------------------------------------------------------


PHONEISH = st.from_regex(r"\A\+?(?:62|0)8[0-9 \-]{8,13}\Z")


@PROPERTY
@given(values=st.lists(st.one_of(st.none(), ANY_TEXT, DIGITISH, UNICODE_DIGITS, PHONEISH), max_size=8))
def test_phone_normalisation_gives_digits_starting_62_or_missing(values: list[str | None]) -> None:
    out = standardise_phone(_series(values))
    assert len(out) == len(values)
    for phone in out:
        assert phone is None or re.fullmatch(r"62[0-9]{7,12}", phone)


@PROPERTY
@given(national=st.from_regex(r"\A8[1-35-9][0-9]{7,10}\Z"))
def test_every_way_of_writing_a_mobile_number_gives_one_number(national: str) -> None:
    spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
    writings = [
        "0" + national,
        "62" + national,
        "+62" + national,
        "+62 " + spaced,
        "0" + spaced.replace(" ", "-"),
    ]
    results = set(standardise_phone(_series(writings)))
    assert len(results) == 1
    tail_repeats = len(set(national[1:])) == 1 or len(set(national[2:])) == 1
    assert results == ({None} if tail_repeats else {"62" + national})


@PROPERTY
@given(national=st.from_regex(r"\A8[1-35-9][0-9]{7,10}\Z"), zero=st.sampled_from("٠۰०০੦૦௦๐０𝟎"))
def test_a_mobile_number_in_digits_of_another_script_is_the_same_number(national: str, zero: str) -> None:
    """A digit is never dropped: ``٠٨١٢…`` (Arabic-Indic) and ``０８１２…`` (full-width) are ``0812…``."""
    script = "0" + national.translate({ord(d): chr(ord(zero) + int(d)) for d in "0123456789"})
    mixed = "0" + national[:4] + script[5:]
    ascii_result = standardise_phone(_series(["0" + national])).iloc[0]
    assert list(standardise_phone(_series([script, mixed]))) == [ascii_result, ascii_result]


# --- names -----------------------------------------------------------------------------------------------

NAMEISH = st.text(alphabet=st.sampled_from(list("ABCDEHIJKMNOSTUYZ abdhj.,'-")), max_size=30)
GIVEN = ["SITI", "AMINAH", "BUDI", "SANTOSO", "AGUS", "HIDAYAT", "RINA", "WATI", "BAMBANG", "SUTRISNO",
         "AHMAD", "YUSUF", "JOKO", "SUPRAPTO", "CAHYONO", "SYARIF", "NUR", "FITRI", "HANDAYANI",
         "RIZKI"]  # fmt: skip


@PROPERTY
@given(names=st.lists(st.one_of(st.none(), ANY_TEXT, NAMEISH), max_size=8))
def test_name_keys_are_letters_and_single_spaces_folded_as_documented(names: list[str | None]) -> None:
    out = standardise_names(_series(names))
    assert list(out.columns) == ["name_std", "name_titles", "name_key", "father_name"]
    assert len(out) == len(names)
    for key in out["name_key"]:
        if key is None:
            continue
        assert re.fullmatch(r"[A-Z]+(?: [A-Z]+)*", key)  # punctuation gone, single spaces
        assert "J" not in key  # J is read as Y
        assert not re.search(r"([A-Z])\1", key)  # doubled letters squeezed
        assert not re.search(r"Y\b", key)  # a final Y is read as I


@PROPERTY
@given(
    tokens=st.lists(st.sampled_from(GIVEN), min_size=1, max_size=4),
    prefix=st.sampled_from(["", "H. ", "HJ. ", "DR. ", "IR. ", "Hj. "]),
    suffix=st.sampled_from(["", ", S.E.", ", S.Kom.", " S.H., M.H."]),
    case=st.sampled_from([str.upper, str.title, str.lower]),
)
def test_titles_and_letter_case_do_not_change_the_name_key(
    tokens: list[str], prefix: str, suffix: str, case
) -> None:
    plain = " ".join(tokens)
    keys = standardise_names(_series([plain, case(prefix + plain + suffix)]))["name_key"]
    assert keys.iloc[1] == keys.iloc[0]


@PROPERTY
@given(tokens=st.lists(st.sampled_from(GIVEN), min_size=1, max_size=4))
def test_old_spellings_share_the_key_of_the_new_ones(tokens: list[str]) -> None:
    """Pre-1972 spelling: oe for u, dj for j, tj for c, j for y (``Soeprapto`` = ``Suprapto``)."""
    plain = " ".join(tokens)
    old = plain.translate(str.maketrans({"U": "OE", "J": "DJ", "C": "TJ", "Y": "J"}))
    keys = standardise_names(_series([plain, old]))["name_key"]
    assert keys.iloc[1] == keys.iloc[0]


#: Pieces that the folding rewrites (old spellings, digraphs, doubled letters, abbreviations, Muhammad
#: variants), glued together at random so that one rewrite can make the pattern of another.
FOLD_PIECES = st.lists(
    st.sampled_from(["DJ", "OE", "TJ", "SJ", "CH", "NJ", "KH", "TH", "DZ", "PH", "Q", "J", "Y", "C", "H",
                     "T", "S", "D", "K", "O", "E", "A", "U", "M", "I", "ST", "SITI", "MUH", "MOH", "MOCH",
                     "MUHAMMAD", "ABD", "AHM", "NOOR", " ", " ", ". ", "'", "-"]),
    max_size=14,
).map("".join)  # fmt: skip


@PROPERTY
@given(names=st.lists(st.one_of(st.none(), ANY_TEXT, NAMEISH, FOLD_PIECES), min_size=1, max_size=8))
def test_name_keys_are_fixed_points_of_the_folding(names: list[str | None]) -> None:
    """``key(key(x)) == key(x)``: a key folds to itself, and so does any folded text."""
    keys = standardise_names(_series(names))["name_key"]
    assert list(fold_name(keys)) == list(keys)
    folded = fold_name(_series([None if n is None else n.upper() for n in names]))
    assert list(fold_name(folded)) == list(folded)


@PROPERTY
@given(names=st.lists(st.one_of(ANY_TEXT, NAMEISH, FOLD_PIECES), min_size=1, max_size=8))
def test_a_standardised_name_standardises_to_itself(names: list[str]) -> None:
    """A golden record's ``name_std`` read back in (survivorship, incremental runs) keeps its display
    form and its key."""
    out = standardise_names(_series(names))
    again = standardise_names(out["name_std"])
    assert list(again["name_std"]) == list(out["name_std"])
    assert list(again["name_key"]) == list(out["name_key"])


# --- addresses -------------------------------------------------------------------------------------------

UNIT = re.compile(r"[0-9]{3}")
ADDRESSISH = st.builds(
    "{}RT{}{}{}RW{}{}".format,
    st.sampled_from(["", "JL. MAWAR NO. 12 ", "Jl. Kenanga, "]),
    st.sampled_from([" ", ".", ". ", ":", ""]),
    UNICODE_DIGITS,
    st.sampled_from(["/", " ", ", "]),
    st.sampled_from([" ", ".", ""]),
    UNICODE_DIGITS,
)


@PROPERTY
@given(
    rows=st.lists(
        st.tuples(*[st.one_of(st.none(), ANY_TEXT, DIGITISH, UNICODE_DIGITS, ADDRESSISH)] * 3),
        min_size=1,
        max_size=6,
    )
)
def test_rt_rw_are_three_ascii_digits_or_missing(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    """``matching.addresses``: RT/RW are 3-digit, zero-padded (and never ``000``), whatever digits came in."""
    frame = pd.DataFrame(rows, columns=["address", "rt", "rw"], dtype=object)
    out = standardise_addresses(frame)
    for unit in [*out["rt_std"], *out["rw_std"]]:
        assert unit is None or (UNIT.fullmatch(unit) and unit != "000")
    for street in out["street_std"]:
        assert street is None or re.fullmatch(r"[A-Z0-9]+(?: [A-Z0-9]+)*", street)


@PROPERTY
@given(rt=st.integers(1, 999), rw=st.integers(1, 999), zero=st.sampled_from("0٠۰०০੦૦௦๐０𝟎"))
def test_rt_rw_written_in_any_script_read_as_the_same_numbers(rt: int, rw: int, zero: str) -> None:
    def script(number: int) -> str:
        return "".join(chr(ord(zero) + int(d)) for d in str(number))

    frame = pd.DataFrame(
        {"address": [f"JL. MAWAR RT {script(rt)}/RW {script(rw)}", None], "rt": [None, script(rt)],
         "rw": [None, script(rw)]}
    )  # fmt: skip
    out = standardise_addresses(frame)
    assert list(out["rt_std"]) == [f"{rt:03d}"] * 2
    assert list(out["rw_std"]) == [f"{rw:03d}"] * 2


# --- whole records ---------------------------------------------------------------------------------------

CANONICAL_TEXT = ["nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
                  "kelurahan", "kecamatan", "phone"]  # fmt: skip


CANONICAL_ROWS = st.fixed_dictionaries(
    {column: st.one_of(st.none(), DIGITISH, UNICODE_DIGITS, ANY_TEXT) for column in CANONICAL_TEXT}
)


@settings(max_examples=40, deadline=None, database=None)
@given(rows=st.lists(CANONICAL_ROWS, min_size=1, max_size=5))
def test_standardise_records_keeps_every_record_and_never_raises(rows: list[dict[str, str | None]]) -> None:
    frame = pd.DataFrame(rows, columns=CANONICAL_TEXT, dtype=object)
    frame.index = pd.Index([7 * n + 3 for n in range(len(frame))])
    out = standardise_records(frame, today=TODAY)
    assert list(out.index) == list(frame.index)
    pd.testing.assert_frame_equal(out.loc[:, CANONICAL_TEXT], frame)
    assert set(STANDARDISED_COLUMNS) <= set(out.columns)
    for nik in out["nik_std"]:
        assert nik is None or re.fullmatch(r"[0-9]{16}", nik)
    for iso in out["birth_date_std"]:
        assert iso is None or "1900-01-01" <= iso <= TODAY.isoformat()
    for phone in out["phone_std"]:
        assert phone is None or re.fullmatch(r"62[0-9]+", phone)
    for unit in [*out["rt_std"], *out["rw_std"]]:
        assert unit is None or re.fullmatch(r"[0-9]{3}", unit)


def test_records_with_bad_nik_or_birth_date_stay_with_the_field_set_aside() -> None:
    frame = pd.DataFrame(
        {
            "source": "bpjs_kesehatan",
            "record_id": ["1", "2", "3", "4", "5", "6"],
            "nik": ["32760I4507850001", "3276O14507850001", "3276014507850001", "3276014507850001",
                    "3276014507850001", "3276014507850001"],
            "full_name": ["SITI AMINAH"] * 6,
            "birth_date": ["05-07-1985", "05-07-1985", "31-02-1990", "not a date", "01-01-2099",
                           "31-12-1899"],
            "sex": ["P"] * 6,
        },
        index=[10, 11, 12, 13, 14, 15],
    )  # fmt: skip
    out = standardise_records(frame, today=TODAY)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    assert list(out["nik_std"]) == [None, None, "3276014507850001", "3276014507850001", "3276014507850001",
                                    "3276014507850001"]  # fmt: skip
    assert list(out["nik_issue"][:2]) == ["not_digits", "not_digits"]
    assert list(out["birth_date_std"]) == ["1985-07-05", "1985-07-05", None, None, None, None]
    assert list(out["name_key"]) == ["SITI AMINAH"] * 6  # the rest of each record is standardised as usual
