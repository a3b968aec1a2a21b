"""Places: Depok's kelurahan with their spelling variants, and the regions that issue NIKs.

The kelurahan table comes from the shipped Kemendagri/BPS crosswalk; the NIK-issuing regions outside
Depok and the birthplaces that go with them are a small hand-made table of the places Depok's
residents and workers typically come from.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from matching.reference import depok_crosswalk

__all__ = ["kelurahan_table", "external_regions", "birthplaces", "KECAMATAN_BEFORE_SPLIT", "DEPOK_PREFIX"]

#: Kota Depok's province + kota code, the first four NIK digits of NIKs issued in Depok.
DEPOK_PREFIX = 3276

#: Kecamatan codes 07-11 were split off 01/05/04/02/03; NIKs issued before the split keep the old code.
KECAMATAN_BEFORE_SPLIT = {7: 1, 8: 5, 9: 4, 10: 2, 11: 3}

# Spellings seen in other official lists and in public addresses, beyond the crosswalk's own columns.
_EXTRA_KELURAHAN_VARIANTS = {
    "MERUYUNG": ("MARUYUNG",),
    "ABADIJAYA": ("ABADI JAYA",),
    "MEKARJAYA": ("MEKAR JAYA",),
    "TIRTAJAYA": ("TIRTA JAYA",),
    "BAKTIJAYA": ("BAKTI JAYA", "BHAKTI JAYA"),
    "PANGKALAN JATI": ("PANGKALANJATI",),
    "PANGKALAN JATI BARU": ("PANGKALANJATI BARU",),
    "KEMIRI MUKA": ("KEMIRIMUKA",),
    "RATU JAYA": ("RATUJAYA",),
    "LEUWINANGGUNG": ("LEUWINAGGUNG", "LEUWI NANGGUNG"),
    "SAWANGAN": ("SAWANGAN LAMA",),
    "BOJONGSARI": ("BOJONGSARI LAMA", "BOJONG SARI"),
    "SUKAMAJU BARU": ("SUKAMAJUBARU",),
    "PONDOK CINA": ("PONDOKCINA", "PD. CINA"),
    "PASIR GUNUNG SELATAN": ("PASIR GN. SELATAN",),
    "BOJONG PONDOK TERONG": ("BOJONG PD. TERONG",),
}
_KECAMATAN_VARIANTS = {
    "SUKMAJAYA": ("SUKMA JAYA",),
    "PANCORAN MAS": ("PANCORANMAS", "PANCORAN MAS DEPOK"),
    "BOJONGSARI": ("BOJONG SARI",),
}

# prefix4, weight, kecamatan count, name groups that favour it, birthplaces (Title Case)
_EXTERNAL = (
    (3201, 14.0, 40, "SJIM", ("Bogor", "Cibinong", "Bogor")),
    (3271, 3.0, 6, "SJIM", ("Bogor",)),
    (3171, 9.0, 10, "SJIMC", ("Jakarta", "Jakarta Selatan")),
    (3172, 9.0, 10, "SJIMCBE", ("Jakarta", "Jakarta Timur")),
    (3173, 3.0, 8, "IMC", ("Jakarta", "Jakarta Pusat")),
    (3174, 4.0, 8, "IC", ("Jakarta", "Jakarta Barat")),
    (3175, 2.0, 6, "IC", ("Jakarta", "Jakarta Utara")),
    (3674, 5.0, 7, "SJIC", ("Tangerang", "Jakarta")),
    (3603, 2.0, 29, "SI", ("Tangerang",)),
    (3275, 3.0, 12, "SJI", ("Bekasi",)),
    (3216, 1.5, 23, "SJ", ("Bekasi",)),
    (3202, 2.5, 47, "S", ("Sukabumi",)),
    (3203, 2.5, 32, "S", ("Cianjur",)),
    (3205, 2.5, 42, "S", ("Garut",)),
    (3206, 2.0, 39, "S", ("Tasikmalaya",)),
    (3208, 1.5, 32, "S", ("Kuningan",)),
    (3209, 1.5, 40, "SJ", ("Cirebon",)),
    (3212, 1.0, 31, "J", ("Indramayu",)),
    (3273, 2.0, 30, "SC", ("Bandung",)),
    (3328, 2.0, 18, "J", ("Tegal",)),
    (3329, 2.0, 17, "J", ("Brebes",)),
    (3302, 1.5, 27, "J", ("Purwokerto", "Banyumas")),
    (3305, 1.5, 26, "J", ("Kebumen",)),
    (3312, 2.0, 25, "J", ("Wonogiri",)),
    (3310, 1.5, 26, "J", ("Klaten",)),
    (3372, 1.0, 5, "J", ("Surakarta", "Solo")),
    (3374, 1.0, 16, "JC", ("Semarang",)),
    (3471, 1.0, 14, "J", ("Yogyakarta",)),
    (3578, 1.0, 31, "JC", ("Surabaya",)),
    (1271, 2.0, 21, "BMC", ("Medan",)),
    (1202, 1.5, 15, "B", ("Tarutung", "Balige")),
    (1272, 1.0, 8, "B", ("Pematangsiantar",)),
    (1371, 2.0, 11, "M", ("Padang",)),
    (1375, 1.0, 3, "M", ("Bukittinggi",)),
    (1671, 1.0, 18, "IM", ("Palembang",)),
    (1871, 1.0, 20, "IJS", ("Bandar Lampung",)),
    (7371, 0.8, 15, "IE", ("Makassar", "Ujung Pandang")),
    (7171, 0.8, 11, "E", ("Manado",)),
    (8171, 0.5, 5, "E", ("Ambon",)),
    (5371, 0.5, 6, "E", ("Kupang",)),
    (6171, 0.5, 6, "C", ("Pontianak",)),
    (9471, 0.2, 5, "E", ("Jayapura",)),
)


@cache
def kelurahan_table() -> pd.DataFrame:
    """Depok's 63 kelurahan: official upper-case names, kecamatan code, variants and a population weight.

    Columns: ``kelurahan``, ``kecamatan`` (official upper case), ``kec_code`` (NIK digits 5-6),
    ``kel_variants`` and ``kec_variants`` (tuples of other spellings), ``postal``, ``weight``.
    """
    cw = depok_crosswalk()
    table = pd.DataFrame(
        {
            "kelurahan": cw["nama_kemendagri_2025"].str.upper(),
            "kecamatan": cw["kecamatan"].str.upper(),
            "kec_code": cw["kode_kec_kemendagri"].str[-2:].astype(int),
            "postal": cw["kode_pos_bps_relation"],
        }
    )
    variants = []
    for official, bps, pos in zip(
        table["kelurahan"], cw["nama_bps"], cw["nama_pos"].str.upper(), strict=True
    ):
        found = {bps, pos, *_EXTRA_KELURAHAN_VARIANTS.get(official, ())} - {official}
        variants.append(tuple(sorted(found)))
    table["kel_variants"] = variants
    kec_variants = []
    for official, bps in zip(table["kecamatan"], cw["kecamatan_bps"], strict=True):
        found = {bps, *_KECAMATAN_VARIANTS.get(official, ())} - {official}
        kec_variants.append(tuple(sorted(found)))
    table["kec_variants"] = kec_variants
    # Kelurahan differ a lot in size; a fixed draw keeps the geography the same for every seed.
    table["weight"] = np.random.default_rng(63).gamma(3.0, 1.0, len(table)).round(3)
    return table


@cache
def external_regions() -> pd.DataFrame:
    """NIK-issuing kab/kota outside Depok: ``prefix``, ``weight``, ``kecamatan_count``, ``groups``,
    ``birthplaces`` (tuple of Title Case places)."""
    return pd.DataFrame(_EXTERNAL, columns=["prefix", "weight", "kecamatan_count", "groups", "birthplaces"])


@cache
def birthplaces() -> tuple[str, ...]:
    """Every birthplace used, Title Case, in a fixed order (``Depok`` first)."""
    places = ["Depok"]
    for entry in _EXTERNAL:
        for place in entry[4]:
            if place not in places:
                places.append(place)
    return tuple(places)
