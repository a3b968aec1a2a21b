"""What people do for a living, and how each agency writes it down.

One occupation class per person drives three renderings: the civil registry's label from its fixed
list of 89 (which has no entry for ojek-online drivers or couriers, and is rarely updated), the
employment insurer's category and free-text occupation, and the chance of being insured at all.
Gig and informal workers are insured far less often than wage earners: that gap is what the
registry exists to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.rng import choose

__all__ = ["OCCUPATIONS", "Occupation", "assign_occupations", "city_labels", "tk_texts", "GIG_CLASSES"]


@dataclass(frozen=True)
class Occupation:
    """One occupation class: civil-registry labels (with weights), employment-insurance category, its
    free-text occupations (with weights) and the share of working people in the class who hold an
    employment-insurance membership."""

    name: str
    city: tuple[tuple[str, float], ...]
    tk_category: str
    tk_texts: tuple[tuple[str, float], ...]
    tk_coverage: float


_GIG_CITY = (
    ("WIRASWASTA", 34), ("SOPIR", 14), ("KARYAWAN SWASTA", 16), ("BURUH HARIAN LEPAS", 10),
    ("LAINNYA", 10), ("BELUM/TIDAK BEKERJA", 8), ("TRANSPORTASI", 4), ("PELAJAR/MAHASISWA", 4),
)  # fmt: skip

OCCUPATIONS: tuple[Occupation, ...] = (
    Occupation("child", (("BELUM/TIDAK BEKERJA", 1),), "", (), 0.0),
    Occupation("student", (("PELAJAR/MAHASISWA", 1),), "BPU", (("Pelajar", 1), ("Mahasiswa", 2)), 0.01),
    Occupation(
        "homemaker",
        (("MENGURUS RUMAH TANGGA", 95), ("BELUM/TIDAK BEKERJA", 5)),
        "BPU",
        (("Pedagang Online", 2), ("Reseller Online", 1), ("Ibu Rumah Tangga", 1)),
        0.015,
    ),
    Occupation(
        "unemployed", (("BELUM/TIDAK BEKERJA", 90), ("LAINNYA", 10)), "BPU", (("Pekerja Lepas", 1),), 0.02
    ),
    Occupation(
        "retired",
        (("PENSIUNAN", 70), ("BELUM/TIDAK BEKERJA", 20), ("MENGURUS RUMAH TANGGA", 10)),
        "",
        (),
        0.0,
    ),
    Occupation(
        "employee",
        (("KARYAWAN SWASTA", 88), ("KARYAWAN BUMN", 5), ("KARYAWAN HONORER", 4), ("LAINNYA", 3)),
        "PU",
        (
            ("Karyawan Swasta", 30),
            ("Staf Administrasi", 8),
            ("Operator Produksi", 8),
            ("Admin Gudang", 5),
            ("Kasir", 5),
            ("Satpam", 6),
            ("Sales", 5),
            ("Teknisi", 5),
            ("Customer Service", 4),
            ("Staf Keuangan", 4),
            ("Pramuniaga", 5),
            ("Office Boy", 3),
            ("Staf IT", 3),
            ("Karyawan", 5),
        ),
        0.86,
    ),
    Occupation(
        "civil_servant",
        (
            ("PEGAWAI NEGERI SIPIL (PNS)", 45),
            ("APARATUR SIPIL NEGARA (ASN)", 15),
            ("TENTARA NASIONAL INDONESIA (TNI)", 10),
            ("KEPOLISIAN RI (POLRI)", 10),
            ("GURU", 20),
        ),
        "PU",
        (("Guru Honorer", 3), ("Tenaga Kontrak Pemerintah", 2)),
        0.04,
    ),
    Occupation(
        "professional",
        (
            ("DOKTER", 10),
            ("PERAWAT", 20),
            ("BIDAN", 10),
            ("APOTEKER", 5),
            ("AKUNTAN", 10),
            ("ARSITEK", 5),
            ("KONSULTAN", 10),
            ("DOSEN", 10),
            ("GURU", 15),
            ("WARTAWAN", 5),
        ),
        "PU",
        (
            ("Perawat", 3),
            ("Guru", 3),
            ("Akuntan", 2),
            ("Dokter", 1),
            ("Bidan", 1),
            ("Konsultan", 1),
            ("Dosen", 1),
        ),
        0.72,
    ),
    Occupation(
        "ride_hailing",
        _GIG_CITY,
        "BPU",
        (
            ("Pengemudi Ojek Online", 40),
            ("Ojek Online", 15),
            ("Driver Ojol", 12),
            ("Mitra Pengemudi", 10),
            ("Pengemudi Taksi Online", 8),
            ("Driver Online", 10),
            ("Ojol", 5),
        ),
        0.34,
    ),
    Occupation(
        "courier",
        _GIG_CITY,
        "BPU",
        (
            ("Kurir", 30),
            ("Kurir Paket", 12),
            ("Mitra Kurir", 12),
            ("Kurir Online", 10),
            ("Pengantar Makanan", 12),
            ("Food Delivery Rider", 8),
            ("Kurir Ekspedisi", 10),
            ("Driver Pengantar Makanan", 6),
        ),
        0.34,
    ),
    Occupation(
        "freelance",
        (
            ("WIRASWASTA", 30),
            ("KARYAWAN SWASTA", 20),
            ("LAINNYA", 15),
            ("BELUM/TIDAK BEKERJA", 12),
            ("PELAJAR/MAHASISWA", 13),
            ("SENIMAN", 10),
        ),
        "BPU",
        (
            ("Desainer Grafis Lepas", 20),
            ("Kreator Konten", 25),
            ("Freelancer", 20),
            ("Penulis Lepas", 8),
            ("Fotografer Lepas", 8),
            ("Programmer Lepas", 10),
            ("Editor Video Lepas", 9),
        ),
        0.2,
    ),
    Occupation(
        "trader",
        (("PEDAGANG", 45), ("WIRASWASTA", 43), ("PERDAGANGAN", 6), ("LAINNYA", 6)),
        "BPU",
        (
            ("Pedagang", 35),
            ("Pedagang Kaki Lima", 20),
            ("Pemilik Warung", 15),
            ("Pedagang Sayur", 10),
            ("Pedagang Online", 12),
            ("Penjual Makanan", 8),
        ),
        0.12,
    ),
    Occupation(
        "informal_service",
        (
            ("SOPIR", 25),
            ("PEMBANTU RUMAH TANGGA", 20),
            ("BURUH HARIAN LEPAS", 25),
            ("TUKANG CUKUR", 5),
            ("TUKANG JAHIT", 6),
            ("MEKANIK", 7),
            ("LAINNYA", 12),
        ),
        "BPU",
        (
            ("Sopir Angkot", 15),
            ("Pekerja Rumah Tangga", 15),
            ("Juru Parkir", 10),
            ("Buruh Harian", 20),
            ("Tukang Cukur", 5),
            ("Penjahit", 6),
            ("Montir", 8),
            ("Ojek Pangkalan", 12),
            ("Sopir", 9),
        ),
        0.11,
    ),
    Occupation(
        "construction",
        (
            ("BURUH HARIAN LEPAS", 38),
            ("TUKANG BATU", 25),
            ("TUKANG KAYU", 10),
            ("KONSTRUKSI", 10),
            ("WIRASWASTA", 10),
            ("TUKANG LAS/PANDAI BESI", 7),
        ),
        "JAKON",
        (
            ("Tukang Batu", 30),
            ("Pekerja Konstruksi", 25),
            ("Kenek Bangunan", 15),
            ("Mandor", 5),
            ("Tukang Kayu", 12),
            ("Tukang Las", 8),
            ("Tukang Cat", 5),
        ),
        0.58,
    ),
    Occupation(
        "entrepreneur",
        (("WIRASWASTA", 92), ("PEDAGANG", 5), ("LAINNYA", 3)),
        "BPU",
        (("Wiraswasta", 60), ("Pengusaha", 25), ("Pemilik Usaha", 15)),
        0.16,
    ),
)
_INDEX = {occupation.name: i for i, occupation in enumerate(OCCUPATIONS)}

#: Occupation classes of platform and gig work (ride-hailing, couriers, freelancers).
GIG_CLASSES = tuple(_INDEX[name] for name in ("ride_hailing", "courier", "freelance"))

# Working-age class mix (18-64) by sex, in the order of _WORKING.
_WORKING = (
    "employee",
    "civil_servant",
    "professional",
    "ride_hailing",
    "courier",
    "freelance",
    "trader",
    "informal_service",
    "construction",
    "entrepreneur",
    "unemployed",
    "homemaker",
)
_MIX_MALE = (31, 5, 3, 9.5, 4.5, 2.5, 10, 8, 8, 6, 6, 0.5)
_MIX_FEMALE = (23, 5, 5, 0.6, 1.2, 3, 12, 6, 0.3, 4, 5, 34.9)


def assign_occupations(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """One occupation class index per person, by age and sex."""
    n = len(age)
    out = np.full(n, _INDEX["child"], dtype=np.int8)
    school = (age >= 5) & (age < 18)
    out[school] = _INDEX["student"]
    working = np.array([_INDEX[name] for name in _WORKING], dtype=np.int8)
    for sex_code, mix in ((1, _MIX_MALE), (2, _MIX_FEMALE)):
        rows = np.flatnonzero((age >= 18) & (age < 65) & (sex == sex_code))
        out[rows] = working[choose(rng, len(rows), mix)]
        # Many young adults are still studying (Depok is a university town).
        young = rows[(age[rows] < 24) & (rng.random(len(rows)) < np.where(age[rows] < 21, 0.55, 0.3))]
        out[young] = _INDEX["student"]
    old = np.flatnonzero(age >= 65)
    old_mix = {
        "retired": 45,
        "homemaker": 20,
        "trader": 10,
        "entrepreneur": 5,
        "informal_service": 5,
        "unemployed": 15,
    }
    names = list(old_mix)
    out[old] = np.array([_INDEX[name] for name in names], dtype=np.int8)[
        choose(rng, len(old), list(old_mix.values()))
    ]
    men_homemakers = (out == _INDEX["homemaker"]) & (sex == 1)
    out[men_homemakers] = _INDEX["unemployed"]
    return out


def city_labels(rng: np.random.Generator, occupation: np.ndarray) -> np.ndarray:
    """The civil registry's occupation label for each person."""
    out = np.empty(len(occupation), dtype=object)
    for i, spec in enumerate(OCCUPATIONS):
        rows = np.flatnonzero(occupation == i)
        labels = np.array([label for label, _ in spec.city], dtype=object)
        out[rows] = labels[choose(rng, len(rows), [w for _, w in spec.city])]
    return out


def tk_texts(rng: np.random.Generator, occupation: np.ndarray) -> np.ndarray:
    """The employment insurer's free-text occupation for each person."""
    out = np.full(len(occupation), "Lainnya", dtype=object)
    for i, spec in enumerate(OCCUPATIONS):
        rows = np.flatnonzero(occupation == i)
        if not spec.tk_texts or not len(rows):
            continue
        texts = np.array([text for text, _ in spec.tk_texts], dtype=object)
        out[rows] = texts[choose(rng, len(rows), [w for _, w in spec.tk_texts])]
    return out
