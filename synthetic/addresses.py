"""Depok street addresses: where a household lives, and how each agency writes it.

A household address is a street part (``JL. MELATI NO. 12``, ``GG. H. MUHI``,
``PERUM. GRIYA DEPOK ASRI BLOK C2 NO. 5``), an RT and RW and a kelurahan (index into
:func:`synthetic.regions.kelurahan_table`). The health insurer writes RT/RW inside the street
line in a dozen ways, the employment insurer writes everything as one free-text line with varied
labels, and the civil registry keeps the parts in separate columns.
"""

from __future__ import annotations

import numpy as np

from synthetic.regions import kelurahan_table
from synthetic.rng import choose
from synthetic.typos import typo

__all__ = [
    "draw_addresses",
    "draw_kelurahan",
    "jkn_street_lines",
    "jkn_region_names",
    "tk_address_lines",
    "PADDED",
]

_LOCAL = (
    "MELATI", "MAWAR", "KENANGA", "ANGGREK", "DAHLIA", "FLAMBOYAN", "NANGKA", "RAMBUTAN", "DURIAN", "MANGGA",
    "JAMBU", "SAWO", "KELAPA", "BAMBU KUNING", "CEMPAKA", "KAMBOJA", "TERATAI", "SERUNI", "KARTINI",
    "DIPONEGORO", "SUDIRMAN", "PEMUDA", "MERDEKA", "PERJUANGAN", "H. ASMAWI", "H. SAIRI", "H. NAMAN",
    "H. ROSID", "MASJID", "MUSHOLLA", "SWADAYA", "KELUARGA", "DAMAI", "SEJAHTERA", "MAKMUR", "BERINGIN",
    "DELIMA", "SIRSAK", "BUNGUR", "HARAPAN", "RUKUN", "KEMUNING", "SENTOSA", "NUSA INDAH", "PELITA",
    "AL-HIDAYAH", "H. MUHI", "SETIA BUDI", "KAMPUNG BARU", "PALEM", "CENDANA", "MERANTI", "SAWO KECIL",
)  # fmt: skip
_KAMPUNG = (
    "SETU", "BULAK", "LIO", "PARUNG BINGUNG", "KEBON DUREN", "BENDUNGAN", "GEDONG", "RAWA DENOK",
    "SUMUR BATU", "KRAMAT", "PITARA", "BARU", "CIKUMPA", "BELIMBING", "PEDURENAN",
)  # fmt: skip
_ESTATES = (
    "PERUMNAS DEPOK TIMUR", "PERUMNAS DEPOK UTARA", "PERUM. GRIYA DEPOK ASRI", "PERUM. BUKIT SAWANGAN INDAH",
    "PERUM. PESONA KHAYANGAN", "VILLA PERMATA DEPOK", "PERUM. TELAGA GOLF SAWANGAN", "GRAND DEPOK CITY",
    "PERUM. KOTA KEMBANG DEPOK RAYA", "KOMP. GRIYA CINERE", "KOMP. PONDOK DUTA", "PERUM. TAPOS PERMAI",
    "PERUM. CILODONG PERMAI", "PERUM. BUMI SAWANGAN INDAH", "PERUM. MUTIARA DEPOK", "KOMP. BRIMOB",
    "KOMP. PELNI", "CLUSTER GREEN VALLEY",
)  # fmt: skip
# Main roads and the kecamatan codes they run through.
_ROADS = (
    ("MARGONDA RAYA", (6, 1)), ("NUSANTARA RAYA", (1, 6)), ("ARIF RAHMAN HAKIM", (6, 1)),
    ("RAYA SAWANGAN", (1, 3)), ("RAYA MUCHTAR", (3, 11)), ("RAYA PARUNG-CIPUTAT", (11,)),
    ("RAYA BOGOR", (2, 10)), ("RAYA JAKARTA-BOGOR", (2,)), ("TOLE ISKANDAR", (5, 8)),
    ("IR. H. JUANDA", (5, 6)),
    ("RAYA CINERE", (9, 4)), ("RAYA LIMO", (4,)), ("KRUKUT RAYA", (4,)), ("CIPAYUNG RAYA", (7,)),
    ("RAYA CITAYAM", (7,)), ("RAYA KALIMULYA", (8,)), ("RAYA TAPOS", (10,)), ("RAYA LEUWINANGGUNG", (10,)),
    ("KH. M. USMAN", (6,)), ("SILIWANGI", (1,)), ("RAYA KEADILAN", (1,)), ("RAYA MERUYUNG", (4,)),
    ("RAYA GANDUL", (9,)), ("PANGKALAN JATI", (9,)), ("RAYA CILANGKAP", (10,)), ("RAYA SUKAMAJU", (8,)),
    ("RAYA PITARA", (1, 7)), ("RAYA BOJONGSARI", (11,)), ("RAYA PENGASINAN", (3,)), ("RAYA CINANGKA", (3,)),
    ("AKSES UI", (2, 6)), ("RAYA TANAH BARU", (6,)),
)  # fmt: skip

#: ``"000"`` .. ``"999"``: zero-padded RT/RW text by number.
PADDED = np.array([f"{i:03d}" for i in range(1000)], dtype=object)
_PLAIN = np.array([str(i) for i in range(1000)], dtype=object)
_TWO = np.array([f"{i:02d}" for i in range(1000)], dtype=object)


def draw_kelurahan(rng: np.random.Generator, n: int, near_campus: bool = False) -> np.ndarray:
    """Kelurahan indices weighted by size; ``near_campus`` favours Beji and Pancoran Mas (kos areas)."""
    table = kelurahan_table()
    weights = table["weight"].to_numpy(float).copy()
    if near_campus:
        weights *= np.where(table["kec_code"].isin([6, 1]).to_numpy(), 4.0, 1.0)
    return choose(rng, n, weights).astype(np.int16)


def _house_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.minimum(rng.geometric(0.035, n), 250)


def draw_addresses(rng: np.random.Generator, kel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A street part, RT and RW for each kelurahan index: ``(street, rt, rw)``."""
    n = len(kel)
    kec = kelurahan_table()["kec_code"].to_numpy()[kel]
    kind = choose(rng, n, (50, 20, 8, 16, 6))  # jalan, gang, kampung, estate, main road
    number = _house_numbers(rng, n)
    local = rng.integers(len(_LOCAL), size=n)
    kampung = rng.integers(len(_KAMPUNG), size=n)
    estate = rng.integers(len(_ESTATES), size=n)
    block = rng.integers(0, 11, size=n)
    block_no = rng.integers(1, 13, size=n)
    numbered = rng.random(n)
    road_by_kec = {
        code: [name for name, kecs in _ROADS if code in kecs] for code in range(1, 12)
    }  # every kecamatan has at least one main road
    pick = rng.random(n)
    streets = []
    for i in range(n):
        k = kind[i]
        if k == 0:
            text = f"JL. {_LOCAL[local[i]]}" + (f" NO. {number[i]}" if numbered[i] < 0.8 else "")
        elif k == 1:
            text = f"GG. {_LOCAL[local[i]]}" + (f" NO. {number[i]}" if numbered[i] < 0.5 else "")
        elif k == 2:
            text = f"KP. {_KAMPUNG[kampung[i]]}" + (f" NO. {number[i]}" if numbered[i] < 0.3 else "")
        elif k == 3:
            text = (
                f"{_ESTATES[estate[i]]} BLOK {'ABCDEFGHIJK'[block[i]]}{block_no[i]} NO. {number[i] % 40 + 1}"
            )
        else:
            roads = road_by_kec[int(kec[i])]
            text = f"JL. {roads[int(pick[i] * len(roads))]} NO. {number[i]}"
        streets.append(text)
    rt = np.minimum(rng.geometric(0.18, n), 20).astype(np.int16)
    rw = np.minimum(rng.geometric(0.12, n), 25).astype(np.int16)
    return np.array(streets, dtype=object), rt, rw


def _rtrw(
    rng: np.random.Generator, rt: np.ndarray, rw: np.ndarray, styles: tuple[tuple[str, float], ...]
) -> np.ndarray:
    """RT/RW text in one of several styles per row; ``{p}`` zero-padded to 3, ``{t}`` to 2, ``{n}`` plain."""
    out = np.empty(len(rt), dtype=object)
    choice = choose(rng, len(rt), [w for _, w in styles])
    for s, (style, _) in enumerate(styles):
        rows = np.flatnonzero(choice == s)
        if not len(rows):
            continue
        a, b = rt[rows], rw[rows]
        parts = {"p": (PADDED[a], PADDED[b]), "t": (_TWO[a], _TWO[b]), "n": (_PLAIN[a], _PLAIN[b])}
        head, tail = style.split("|")
        key = head[-1]
        out[rows] = head[:-1] + parts[key][0] + tail[:-1] + parts[key][1]
    return out


_JKN_RTRW = (
    ("RT p|/RW p", 30), ("RT.n|/RW.n", 15), ("RT t| RW t", 15), ("RTp|/p", 10), ("RT. p| RW. p", 8),
    ("RT n| RW n", 8), ("RTt|/RWt", 6), ("RT p| / RW p", 4), ("RT.p|/RW.p", 4),
)  # fmt: skip
_TK_RTRW = (
    ("RT.n|/RW.n", 30), ("RT p|/RW p", 20), ("RTp|/RWp", 10), ("RT. p|/p", 10), ("Rt n| Rw n", 10),
    ("RT t| RW t", 15), ("RT.t|/RW.t", 5),
)  # fmt: skip


def _vary_street(rng: np.random.Generator, street: np.ndarray, share: float) -> np.ndarray:
    """Rewrite prefixes and house numbers the way different clerks type them."""
    out = street.copy()
    rows = np.flatnonzero(rng.random(len(street)) < share)
    swaps = (
        ("JL. ", ("JLN. ", "JALAN ", "JL ")),
        ("GG. ", ("GANG ", "GG ")),
        ("KP. ", ("KAMPUNG ", "KP ")),
        (" NO. ", (" NO.", " NO ", " NO: ")),
        ("PERUM. ", ("PERUMAHAN ", "PERUM ")),
    )
    pick = rng.integers(0, 3, size=len(rows))
    for i, row in enumerate(rows):
        text = out[row]
        for old, new in swaps:
            if old in text:
                text = text.replace(old, new[pick[i] % len(new)], 1)
        out[row] = text
    return out


def jkn_street_lines(
    rng: np.random.Generator, street: np.ndarray, rt: np.ndarray, rw: np.ndarray
) -> np.ndarray:
    """The health insurer's ``alamat``: street part plus RT/RW in its many written forms."""
    line = _vary_street(rng, street, 0.25) + " " + _rtrw(rng, rt, rw, _JKN_RTRW)
    bare = rng.random(len(street)) < 0.03
    return np.where(bare, street, line)


def jkn_region_names(rng: np.random.Generator, kel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kelurahan and kecamatan columns for the health insurer: upper case, official spelling mostly,
    other official spellings sometimes, and a few misspellings."""
    table = kelurahan_table()
    kel_name = table["kelurahan"].to_numpy(object)[kel].copy()
    kec_name = table["kecamatan"].to_numpy(object)[kel].copy()
    kel_variants = table["kel_variants"].to_numpy(object)[kel]
    kec_variants = table["kec_variants"].to_numpy(object)[kel]
    draw = rng.random((len(kel), 2))
    for i in np.flatnonzero(draw[:, 0] < 0.17):
        if draw[i, 0] < 0.015:
            kel_name[i] = typo(kel_name[i], rng)
        elif kel_variants[i]:
            kel_name[i] = kel_variants[i][int(rng.integers(len(kel_variants[i])))]
    for i in np.flatnonzero(draw[:, 1] < 0.08):
        if draw[i, 1] < 0.006:
            kec_name[i] = typo(kec_name[i], rng)
        elif kec_variants[i]:
            kec_name[i] = kec_variants[i][int(rng.integers(len(kec_variants[i])))]
    return kel_name, kec_name


def tk_address_lines(
    rng: np.random.Generator, street: np.ndarray, rt: np.ndarray, rw: np.ndarray, kel: np.ndarray
) -> np.ndarray:
    """The employment insurer's one-line ``alamat_domisili`` in Title Case with varied labels."""
    n = len(street)
    table = kelurahan_table()
    streets = np.array([s.title() for s in _vary_street(rng, street, 0.3)], dtype=object)
    rtrw = _rtrw(rng, rt, rw, _TK_RTRW)
    kel_name = table["kelurahan"].to_numpy(object)[kel].copy()
    variants = table["kel_variants"].to_numpy(object)[kel]
    for i in np.flatnonzero(rng.random(n) < 0.1):
        if variants[i]:
            kel_name[i] = variants[i][int(rng.integers(len(variants[i])))]
    kel_title = np.array([s.title() for s in kel_name], dtype=object)
    kec_title = np.array([s.title() for s in table["kecamatan"].to_numpy(object)[kel]], dtype=object)
    kel_label = np.array(["Kel. ", "Kelurahan ", "", "Desa ", "Ds. "], dtype=object)[
        choose(rng, n, (55, 15, 20, 5, 5))
    ]
    kec_label = np.array(["Kec. ", "Kecamatan ", ""], dtype=object)[choose(rng, n, (70, 20, 10))]
    city = np.array(
        ["Depok", "Kota Depok", "Kodya Depok", "Depok, Jawa Barat", "Kotamadya Depok"], dtype=object
    )
    city = city[choose(rng, n, (45, 35, 5, 10, 5))]
    postal = table["postal"].to_numpy(object)[kel]
    city = np.where(rng.random(n) < 0.1, city + " " + postal, city)
    no_rtrw = rng.random(n) < 0.05
    middle = np.where(no_rtrw, "", ", " + rtrw)
    return streets + middle + ", " + kel_label + kel_title + ", " + kec_label + kec_title + ", " + city
