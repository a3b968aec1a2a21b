"""Small hand-made canonical frames shared by the matching tests."""

from __future__ import annotations

import pandas as pd
import pytest

from matching import standardise_records

_CANONICAL = [
    # person A: three sources, titles, old spelling, TK without NIK
    dict(
        source="bpjs_kesehatan",
        record_id="A1",
        person="A",
        nik="3276011708650001",
        full_name="H. MOCH. DJOKO SOEPRAPTO, S.E.",
        birth_date="17-08-1965",
        sex="L",
        address="JL. MARGONDA RAYA NO. 12 RT 003/RW 005",
        kelurahan="PONDOK CINA",
        kecamatan="BEJI",
        phone="081234567890",
    ),
    dict(
        source="bpjs_ketenagakerjaan",
        record_id="A2",
        person="A",
        nik=None,
        full_name="Muhammad Joko Suprapto",
        birth_date="1965-08-17",
        sex="Laki-laki",
        address="Jl. Margonda Raya No.12, RT.3/RW.5, Kel. Pondok Cina, Kec. Beji, Depok",
        phone="+62 812-3456-7890",
    ),
    dict(
        source="penduduk_depok",
        record_id="1",
        person="A",
        nik="3276011708650001",
        kk_number="3276010101100001",
        full_name="MUHAMMAD JOKO SUPRAPTO",
        birth_date="17 Agustus 1965",
        sex="1",
        address="JL. MARGONDA RAYA NO. 12",
        rt="003",
        rw="005",
        kelurahan="PONDOK CINA",
        kecamatan="BEJI",
    ),
    # person B: woman, NIK typo in one source
    dict(
        source="bpjs_kesehatan",
        record_id="B1",
        person="B",
        nik="3276055502900004",
        full_name="SITI NURHALIZA",
        birth_date="15-02-1990",
        sex="P",
        address="JL. KENANGA NO. 3 RT 002/RW 011",
        kelurahan="ABADI JAYA",
        kecamatan="SUKMAJAYA",
    ),
    dict(
        source="penduduk_depok",
        record_id="2",
        person="B",
        nik="3276055502900044",
        kk_number="3276050202150002",
        full_name="SITI NURHALIZA BINTI ABDULLAH",
        birth_date="15/02/1990",
        sex="2",
        address="JL. KENANGA NO. 3",
        rt="002",
        rw="011",
        kelurahan="ABADIJAYA",
        kecamatan="SUKMAJAYA",
    ),
    # person C: unrelated man, same birthday as A
    dict(
        source="penduduk_depok",
        record_id="3",
        person="C",
        nik="3276101708650002",
        kk_number="3276100303120003",
        full_name="BAMBANG SUTRISNO",
        birth_date="17/08/1965",
        sex="1",
        address="JL. RAYA BOGOR KM 30",
        rt="001",
        rw="002",
        kelurahan="TAPOS",
        kecamatan="TAPOS",
    ),
]


@pytest.fixture(scope="session")
def canonical() -> pd.DataFrame:
    return pd.DataFrame(_CANONICAL)


@pytest.fixture(scope="session")
def std(canonical) -> pd.DataFrame:
    return standardise_records(canonical.drop(columns=["person"]))


_GIVEN = [
    "AGUS",
    "BUDI",
    "SITI",
    "DEWI",
    "RINA",
    "ASEP",
    "EUIS",
    "JOKO",
    "YANTI",
    "RIZKY",
    "FITRI",
    "DEDE",
    "EKA",
    "BAMBANG",
    "SLAMET",
    "NENENG",
    "HERMAN",
    "INDAH",
    "FAJAR",
    "WAHYU",
    "AMINAH",
    "HASAN",
    "YUSUF",
    "RATNA",
]
_LAST = [
    "SAPUTRA",
    "HIDAYAT",
    "LESTARI",
    "PRATAMA",
    "KURNIAWAN",
    "HANDAYANI",
    "SETIAWAN",
    "SUSANTI",
    "WIBOWO",
    "NUGROHO",
    "RAHAYU",
    "MAULANA",
    "SIREGAR",
    "NASUTION",
    "FIRDAUS",
    "SAFITRI",
    "UTAMI",
    "PERMATASARI",
]


def make_people(persons: int, seed: int) -> pd.DataFrame:
    """A small synthetic drop (canonical frame + ``person`` truth) with the usual clerical errors:
    name typos and titles, missing/mistyped NIKs, date formats, a few twins in one household."""
    import numpy as np

    rng = np.random.default_rng(seed)
    kel = ["PONDOK CINA", "BEJI", "TUGU", "MEKARSARI", "CINERE", "GANDUL", "SERUA", "TAPOS"]
    kec = ["BEJI", "BEJI", "CIMANGGIS", "CIMANGGIS", "CINERE", "CINERE", "BOJONGSARI", "TAPOS"]
    prefix = ["327606", "327606", "327602", "327602", "327609", "327609", "327611", "327610"]
    sex = rng.integers(1, 3, persons)
    first = rng.choice(_GIVEN, persons)
    middle = rng.choice(_GIVEN, persons)
    last = rng.choice(_LAST, persons)
    name = np.where(rng.random(persons) < 0.6, first + " " + middle + " " + last, first + " " + last)
    dob = np.datetime64("1950-01-01") + rng.integers(0, 25_000, persons).astype("timedelta64[D]")
    place = rng.integers(0, len(kel), persons)
    # every 25th person is the twin of the previous one: same birthday, household, phone
    twin = np.arange(persons) % 25 == 1
    sibling = np.flatnonzero(twin) - 1
    dob[twin] = dob[sibling]
    place[twin] = place[sibling]
    # twins share the family's last name and often the first one: "SAMUEL SINAGA" / "SAMUEL PAULUS SINAGA"
    name[sibling] = first[sibling] + " " + last[sibling]
    name[twin] = first[sibling] + " " + middle[twin] + " " + last[sibling]
    years = dob.astype("datetime64[Y]").astype(int) + 1970
    months = dob.astype("datetime64[M]").astype(int) % 12 + 1
    days = (dob - dob.astype("datetime64[M]")).astype(int) + 1
    serial = np.where(twin, 2, 1)
    nik = [
        f"{prefix[p]}{d + (40 if s == 2 else 0):02d}{m:02d}{y % 100:02d}{k:04d}"
        for p, d, m, y, s, k in zip(place, days, months, years, sex, serial, strict=True)
    ]
    phone = [f"0812{rng.integers(10_000_000, 99_999_999)}" for _ in range(persons)]
    for i in np.flatnonzero(twin):
        phone[i] = phone[i - 1]
    rows = []
    for source, share in (("bpjs_kesehatan", 0.85), ("bpjs_ketenagakerjaan", 0.4), ("penduduk_depok", 0.9)):
        for i in np.flatnonzero(rng.random(persons) < share):
            full = str(name[i])
            if rng.random() < 0.06:
                j = int(rng.integers(1, len(full)))
                full = full[:j] + ("A" if full[j] != "A" else "E") + full[j + 1 :]
            if rng.random() < 0.05:
                full = "H. " + full if sex[i] == 1 else "HJ. " + full
            ident = nik[i] if rng.random() > 0.08 else None
            if ident and rng.random() < 0.02:
                ident = ident[:8] + str((int(ident[8]) + 3) % 10) + ident[9:]
            y, m, d = int(years[i]), int(months[i]), int(days[i])
            row = dict(
                source=source,
                record_id=f"{source[:4]}{i}",
                person=i,
                nik=ident,
                sex=None,
                kelurahan=kel[place[i]],
                kecamatan=kec[place[i]],
            )
            if source == "bpjs_kesehatan":
                row.update(
                    full_name=full,
                    birth_date=f"{d:02d}-{m:02d}-{y}",
                    sex="LP"[sex[i] - 1],
                    address=f"JL. MAWAR NO. {i % 50} RT 00{1 + i % 5}/RW 00{1 + i % 7}",
                    phone=phone[i],
                )
            elif source == "bpjs_ketenagakerjaan":
                row.update(
                    full_name=full.title(),
                    birth_date=f"{y}-{m:02d}-{d:02d}",
                    sex=["Laki-laki", "Perempuan"][sex[i] - 1],
                    phone="+62" + phone[i][1:],
                    address=f"Jl. Mawar No.{i % 50}, RT.{1 + i % 5}/RW.{1 + i % 7}, "
                    f"Kel. {kel[place[i]].title()}",
                    kelurahan=None,
                    kecamatan=None,
                )
            else:
                row.update(
                    full_name=full,
                    birth_date=f"{d:02d}/{m:02d}/{y}",
                    sex=str(sex[i]),
                    address=f"JL. MAWAR NO. {i % 50}",
                    rt=f"00{1 + i % 5}",
                    rw=f"00{1 + i % 7}",
                )
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def people() -> pd.DataFrame:
    return make_people(1500, seed=7)


@pytest.fixture(scope="session")
def fast_settings():
    from matching import load_settings

    settings = load_settings()
    return settings.model_copy(update={"em": settings.em.model_copy(update={"u_sample_pairs": 100_000})})
