"""The GX expectation suites, one function per source, built in code.

Every expectation carries GX's own ``severity``: ``critical`` expectations decide quarantine (a row they
flag leaves the pipeline with a reason), ``warning`` expectations are reported only. Each also carries
``meta = {"name": ..., "rule": ...}``: ``name`` is its stable name in the suite (what
:class:`~expectations.outcomes.ExpectationOutcome` reports), ``rule`` the word a quarantine reason uses
(``record_id: missing``). Patterns use ``[0-9]`` rather than ``\\d`` (which also matches non-ASCII
digits) and only non-capturing groups (pandas warns on capturing groups). GX's pandas regex check is
``str.contains``, so every pattern is anchored.

Critical in every suite: record id present, not blank, unique and at most
:data:`MAX_RECORD_ID_LENGTH` characters; full name present and not blank; none of the fields the agency
sends (:data:`SOURCE_FIELDS`) longer than :data:`MAX_FIELD_LENGTH` characters (an absurdly long cell
is a broken export, not a person's data).
The rest describes each agency's documented format (see ``/work/shared/agency-exports.md``) and is
reported only: a record with a NIK holding letters or spaces, or a birth date that is no real day, in
the future or before 1900, goes on into the registry — the standardise stage sets such a field aside
(``nik_std`` / ``birth_date_std`` missing) — and these checks count it. The calendar and range checks
read helper columns computed before GX runs (``expectations.derived``); their outcomes report the
column they describe (``meta["column"]``, e.g. ``birth_date``).

Each builder takes ``today`` (default: the date the suite is built), the upper bound of a birth date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from expectations.derived import DERIVED_COLUMNS, length_column
from expectations.errors import UnknownSourceError

if TYPE_CHECKING:
    import great_expectations as gx
    import great_expectations.expectations as gxe

__all__ = [
    "BLANK_PATTERN",
    "CRITICAL",
    "DATE_CITY",
    "DATE_DD_MM_YYYY",
    "DATE_ISO",
    "EARLIEST_BIRTH_DATE",
    "KK_PATTERN",
    "MAX_FIELD_LENGTH",
    "MAX_RECORD_ID_LENGTH",
    "NIK_PATTERN",
    "NIK_PLACEHOLDER_PATTERN",
    "PHONE_PATTERN",
    "SOURCE_FIELDS",
    "SUITE_BUILDERS",
    "TIMESTAMP_ISO",
    "WARNING",
    "bpjs_kesehatan_suite",
    "bpjs_ketenagakerjaan_suite",
    "penduduk_depok_suite",
    "suite_columns",
    "suite_for",
    "suite_helper_columns",
]

CRITICAL = "critical"
WARNING = "warning"

#: Longest text accepted in any field: an absurdly long cell quarantines its row ("<field>: too long").
MAX_FIELD_LENGTH = 1000
#: Longest record id: the registry keeps record ids in 64 characters.
MAX_RECORD_ID_LENGTH = 64
#: The canonical fields each agency sends (``/work/shared/agency-exports.md``), i.e. what the shipped
#: ``sources.yaml`` maps: each is length-checked in that source's suite.
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "bpjs_kesehatan": (
        "record_id", "nik", "full_name", "birth_date", "sex", "address", "kelurahan", "kecamatan", "phone",
        "jkn_segment", "membership_status", "updated_at",
    ),
    "bpjs_ketenagakerjaan": (
        "record_id", "nik", "full_name", "birth_place", "birth_date", "sex", "address", "phone",
        "worker_category", "occupation", "membership_start", "membership_status",
    ),
    "penduduk_depok": (
        "record_id", "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt",
        "rw", "kelurahan", "kecamatan", "occupation", "marital_status", "updated_at",
    ),
}  # fmt: skip
#: Earliest plausible birth date (the standardise stage reads nothing earlier).
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

#: Blank text: what a name or id must not be (connectors already turn empty cells into None).
BLANK_PATTERN = r"^\s*$"
#: NIK: 16 ASCII digits.
NIK_PATTERN = r"^[0-9]{16}$"
#: NIK placeholders seen in the exports: one digit sixteen times (``0000000000000000``).
NIK_PLACEHOLDER_PATTERN = "^(?:" + "|".join(f"{digit}{{16}}" for digit in "0123456789") + ")$"
#: Indonesian mobile number: 08…, 628… or +628…, 10 to 13 digits in the national form.
PHONE_PATTERN = r"^(?:\+62|62|0)8[0-9]{8,11}$"
#: Family card (KK) number: 16 ASCII digits.
KK_PATTERN = r"^[0-9]{16}$"

_DAY = "(?:0[1-9]|[12][0-9]|3[01])"
_MONTH = "(?:0[1-9]|1[0-2])"
_YEAR = "[0-9]{4}"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
#: Indonesian month names, with the old spellings Pebruari and Nopember; any letter case.
_MONTH_NAME = (
    "(?i:januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober|november"
    "|nopember|desember)"
)
DATE_DD_MM_YYYY = f"^{_DAY}-{_MONTH}-{_YEAR}$"
DATE_ISO = f"^{_YEAR}-{_MONTH}-{_DAY}$"
DATE_CITY = f"^(?:{_DAY}/{_MONTH}/{_YEAR}|(?:[1-9]|{_DAY}) {_MONTH_NAME} {_YEAR})$"
TIMESTAMP_ISO = f"^{_YEAR}-{_MONTH}-{_DAY} {_TIME}$"


class SuiteBuilder(Protocol):
    def __call__(self, *, today: dt.date | None = None) -> gx.ExpectationSuite: ...


def _gxe() -> ModuleType:
    """GX's expectation classes, imported on first use (importing GX takes seconds)."""
    import great_expectations.expectations as gx_expectations

    return gx_expectations


def _expectation(
    kind: str, name: str, column: str, severity: str, rule: str, notes: str, **kwargs: Any
) -> gxe.Expectation:
    """A GX expectation of class ``kind`` named ``name`` in its suite, with its severity and rule.

    On a helper column (``expectations.derived``) ``meta["column"]`` names the canonical column it
    describes.
    """
    expectation_cls = getattr(_gxe(), kind)
    meta = {"name": name, "rule": rule}
    if column in DERIVED_COLUMNS:
        meta["column"] = DERIVED_COLUMNS[column][0]
    return expectation_cls(column=column, severity=severity, meta=meta, notes=notes, **kwargs)


def _present(name: str, column: str, severity: str, notes: str) -> gxe.Expectation:
    return _expectation("ExpectColumnValuesToNotBeNull", name, column, severity, "missing", notes)


def _not_blank(name: str, column: str, notes: str) -> gxe.Expectation:
    return _expectation(
        "ExpectColumnValuesToNotMatchRegex", name, column, CRITICAL, "empty", notes, regex=BLANK_PATTERN
    )


def _matches(name: str, column: str, regex: str, notes: str) -> gxe.Expectation:
    return _expectation("ExpectColumnValuesToMatchRegex", name, column, WARNING, "format", notes, regex=regex)


def _in_set(name: str, column: str, values: Iterable[str], notes: str) -> gxe.Expectation:
    return _expectation(
        "ExpectColumnValuesToBeInSet",
        name,
        column,
        WARNING,
        "not in value set",
        notes,
        value_set=list(values),
    )


def _too_long(name: str, column: str, limit: int, notes: str) -> gxe.Expectation:
    # on the lengths counted before GX runs (``expectations.derived``): GX measures text value by value
    return _expectation(
        "ExpectColumnValuesToBeBetween",
        name,
        length_column(column),
        CRITICAL,
        "too long",
        notes,
        max_value=limit,
    )


def _critical_expectations(source: str) -> list[gxe.Expectation]:
    """The checks that decide quarantine: the same for every source, lengths over its fields."""
    quarantined = "Critical: a row failing this is quarantined."
    lengths = [
        _too_long(
            f"{field}_length",
            field,
            MAX_FIELD_LENGTH,
            f"When present, {field} is at most {MAX_FIELD_LENGTH} characters. {quarantined}",
        )
        for field in SOURCE_FIELDS[source]
        if field != "record_id"
    ]
    return [
        _present("record_id_present", "record_id", CRITICAL, f"The record id is present. {quarantined}"),
        _not_blank("record_id_not_blank", "record_id", f"The record id is not blank. {quarantined}"),
        _expectation(
            "ExpectColumnValuesToBeUnique",
            "record_id_unique",
            "record_id",
            CRITICAL,
            "duplicate",
            "The record id is unique within the source. GX flags every row of a repeated id; the first "
            "occurrence is kept, the later ones are quarantined as duplicates of it.",
        ),
        _too_long(
            "record_id_length",
            "record_id",
            MAX_RECORD_ID_LENGTH,
            f"The record id is at most {MAX_RECORD_ID_LENGTH} characters (the registry's width); a longer "
            f"one is no usable id. {quarantined}",
        ),
        _present("full_name_present", "full_name", CRITICAL, f"The full name is present. {quarantined}"),
        _not_blank("full_name_not_blank", "full_name", f"The full name is not blank. {quarantined}"),
        *lengths,
    ]


def _identity_expectations(today: dt.date | None) -> list[gxe.Expectation]:
    """Reported-only checks of the NIK and of the birth date, shared by every source."""
    today = today or dt.date.today()
    return [
        _matches("nik_format", "nik", NIK_PATTERN, "When present, the NIK is 16 digits."),
        _expectation(
            "ExpectColumnValuesToNotMatchRegex",
            "nik_not_placeholder",
            "nik",
            WARNING,
            "placeholder",
            "The NIK is not a placeholder such as 0000000000000000.",
            regex=NIK_PLACEHOLDER_PATTERN,
        ),
        _present("birth_date_present", "birth_date", WARNING, "The birth date is present."),
        _expectation(
            "ExpectColumnValuesToBeInSet",
            "birth_date_real_date",
            "birth_date_is_real_date",
            WARNING,
            "not a real date",
            "When present, the birth date names a real calendar day (no 31st of February, no free text).",
            value_set=[True],
        ),
        _expectation(
            "ExpectColumnValuesToBeBetween",
            "birth_date_not_future",
            "birth_date_as_date",
            WARNING,
            "in the future",
            f"A real birth date is not after the day of the check ({today.isoformat()}).",
            max_value=today,
        ),
        _expectation(
            "ExpectColumnValuesToBeBetween",
            "birth_date_not_before_1900",
            "birth_date_as_date",
            WARNING,
            "before 1900",
            f"A real birth date is not before {EARLIEST_BIRTH_DATE.isoformat()}.",
            min_value=EARLIEST_BIRTH_DATE,
        ),
    ]


def _build(name: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    names = [expectation.meta["name"] for expectation in expectations]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:  # a programming error in this module, caught by the suite tests
        raise ValueError(f"suite {name}: expectation names repeated: {duplicated}")
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=name,
        expectations=expectations,
        meta={"notes": f"Data-quality suite of the {name} export, built in code by expectations.suites."},
    )


def bpjs_kesehatan_suite(*, today: dt.date | None = None) -> gx.ExpectationSuite:
    """BPJS Kesehatan (JKN) participants: ``no_kartu`` ids, DD-MM-YYYY dates, sex L/P."""
    return _build(
        "bpjs_kesehatan",
        [
            *_critical_expectations("bpjs_kesehatan"),
            _matches("record_id_format", "record_id", r"^[0-9]{13}$", "The JKN card number is 13 digits."),
            *_identity_expectations(today),
            _matches("birth_date_format", "birth_date", DATE_DD_MM_YYYY, "The birth date is DD-MM-YYYY."),
            _in_set("sex_in_set", "sex", ["L", "P"], "Sex is L or P."),
            _matches("phone_format", "phone", PHONE_PATTERN, "When present, a mobile number 08…/628…/+628…."),
            _in_set("jkn_segment_in_set", "jkn_segment", ["PBI", "PPU", "PBPU", "BP"], "A JKN segment."),
            _in_set(
                "membership_status_in_set",
                "membership_status",
                ["AKTIF", "TIDAK AKTIF"],
                "Membership status is AKTIF or TIDAK AKTIF.",
            ),
            _matches("updated_at_format", "updated_at", TIMESTAMP_ISO, "Last change is YYYY-MM-DD HH:MM:SS."),
        ],
    )


def bpjs_ketenagakerjaan_suite(*, today: dt.date | None = None) -> gx.ExpectationSuite:
    """BPJS Ketenagakerjaan participants: ``kpj`` ids, ISO dates, sex Laki-laki/Perempuan."""
    return _build(
        "bpjs_ketenagakerjaan",
        [
            *_critical_expectations("bpjs_ketenagakerjaan"),
            _matches("record_id_format", "record_id", r"^[0-9]{11}$", "The KPJ number is 11 digits."),
            *_identity_expectations(today),
            _matches("birth_date_format", "birth_date", DATE_ISO, "The birth date is YYYY-MM-DD."),
            _in_set("sex_in_set", "sex", ["Laki-laki", "Perempuan"], "Sex is Laki-laki or Perempuan."),
            _matches("phone_format", "phone", PHONE_PATTERN, "When present, a mobile number 08…/628…/+628…."),
            _in_set(
                "worker_category_in_set",
                "worker_category",
                ["PU", "BPU", "JAKON"],
                "Worker category is PU, BPU or JAKON.",
            ),
            _in_set(
                "membership_status_in_set",
                "membership_status",
                ["AKTIF", "NONAKTIF"],
                "Membership status is AKTIF or NONAKTIF.",
            ),
            _matches(
                "membership_start_format", "membership_start", DATE_ISO, "Membership start is YYYY-MM-DD."
            ),
        ],
    )


def penduduk_depok_suite(*, today: dt.date | None = None) -> gx.ExpectationSuite:
    """Depok civil registry: integer ids, DD/MM/YYYY or ``17 Agustus 1985`` dates, sex 1/2, KK numbers."""
    return _build(
        "penduduk_depok",
        [
            *_critical_expectations("penduduk_depok"),
            _matches("record_id_format", "record_id", r"^[0-9]+$", "The civil-registry id is an integer."),
            *_identity_expectations(today),
            _matches(
                "birth_date_format",
                "birth_date",
                DATE_CITY,
                "The birth date is DD/MM/YYYY or the long form 17 Agustus 1985.",
            ),
            _in_set("sex_in_set", "sex", ["1", "2"], "Sex is 1 (male) or 2 (female)."),
            _matches("kk_number_format", "kk_number", KK_PATTERN, "When present, the KK is 16 digits."),
            _matches("rt_format", "rt", r"^[0-9]{3}$", "When present, RT is three zero-padded digits."),
            _matches("rw_format", "rw", r"^[0-9]{3}$", "When present, RW is three zero-padded digits."),
            _matches("updated_at_format", "updated_at", TIMESTAMP_ISO, "Last change is YYYY-MM-DD HH:MM:SS."),
        ],
    )


#: One suite builder per canonical source name.
SUITE_BUILDERS: dict[str, SuiteBuilder] = {
    "bpjs_kesehatan": bpjs_kesehatan_suite,
    "bpjs_ketenagakerjaan": bpjs_ketenagakerjaan_suite,
    "penduduk_depok": penduduk_depok_suite,
}


def suite_for(source: str, *, today: dt.date | None = None) -> gx.ExpectationSuite:
    """A new GX expectation suite for ``source`` (a fresh object on every call, not tied to a context).

    ``today`` (default: the current date) is the latest birth date the suite accepts.
    """
    try:
        builder = SUITE_BUILDERS[source]
    except KeyError:
        known = ", ".join(SUITE_BUILDERS)
        raise UnknownSourceError(f"no expectation suite for source {source!r}; known: {known}") from None
    return builder(today=today)


def suite_columns(suite: gx.ExpectationSuite) -> tuple[str, ...]:
    """The canonical columns the suite's expectations read (helper columns' sources), in first-use order."""
    return tuple(
        dict.fromkeys(
            DERIVED_COLUMNS[column][0] if column in DERIVED_COLUMNS else column
            for column in (expectation.column for expectation in suite.expectations)
        )
    )


def suite_helper_columns(suite: gx.ExpectationSuite) -> tuple[str, ...]:
    """The helper columns (``expectations.derived``) the suite's expectations read, in first-use order."""
    return tuple(dict.fromkeys(e.column for e in suite.expectations if e.column in DERIVED_COLUMNS))
