"""Small canonical frames, one per source: a valid template row per source, overridden per test row."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from connectors.schema import CANONICAL_COLUMNS

#: A row of each source that passes every expectation of its suite.
VALID_ROWS: dict[str, dict[str, str]] = {
    "bpjs_kesehatan": {
        "record_id": "0001234567890",
        "nik": "3276014507850001",
        "full_name": "BUDI SANTOSO",
        "birth_date": "17-08-1985",
        "sex": "L",
        "address": "JL. MARGONDA RAYA NO. 12 RT 003/RW 005",
        "kelurahan": "PONDOK CINA",
        "kecamatan": "BEJI",
        "phone": "081234567890",
        "jkn_segment": "PBI",
        "membership_status": "AKTIF",
        "updated_at": "2024-05-01 10:00:00",
    },
    "bpjs_ketenagakerjaan": {
        "record_id": "12345678901",
        "nik": "3276015508900002",
        "full_name": "Siti Aminah",
        "birth_place": "Depok",
        "birth_date": "1990-08-15",
        "sex": "Perempuan",
        "address": "Jl. Margonda Raya No.12, RT.3/RW.5, Kel. Pondok Cina, Kec. Beji, Depok",
        "phone": "+6281234567890",
        "worker_category": "BPU",
        "occupation": "Pengemudi Ojek Online",
        "membership_start": "2021-03-01",
        "membership_status": "AKTIF",
    },
    "penduduk_depok": {
        "record_id": "1001",
        "nik": "3276011208750003",
        "kk_number": "3276010101090001",
        "full_name": "AHMAD HIDAYAT",
        "birth_place": "DEPOK",
        "birth_date": "12 Agustus 1975",
        "sex": "1",
        "address": "JL. KARTINI NO. 7",
        "rt": "003",
        "rw": "005",
        "kelurahan": "DEPOK",
        "kecamatan": "PANCORAN MAS",
        "occupation": "WIRASWASTA",
        "marital_status": "KAWIN",
        "updated_at": "2024-05-01 10:00:00",
    },
}

FrameFactory = Callable[..., pd.DataFrame]


def build_frame(
    source: str, rows: list[dict[str, str | None]], index: list[int] | None = None
) -> pd.DataFrame:
    """A canonical frame of ``source``: each row is the valid template with the given overrides.

    Record ids default to distinct ids derived from the template; ``source_row`` is 1-based.
    """
    template = VALID_ROWS[source]
    records = []
    for number, overrides in enumerate(rows, start=1):
        record: dict[str, object] = {column: None for column in CANONICAL_COLUMNS}
        record.update(template)
        record["record_id"] = _nth_id(template["record_id"], number)
        record.update(overrides)
        record["source"] = source
        record["source_row"] = number
        records.append(record)
    frame = pd.DataFrame(records, columns=list(CANONICAL_COLUMNS))
    frame["source_row"] = frame["source_row"].astype("int64")
    if index is not None:
        frame.index = index
    return frame


def _nth_id(template_id: str, number: int) -> str:
    """A distinct id of the template's shape (same length, digits only)."""
    return str(int(template_id) + number).zfill(len(template_id))


@pytest.fixture(scope="session")
def make_frame() -> FrameFactory:
    """``make_frame(source, rows, index=None)``: see :func:`build_frame`."""
    return build_frame
