import pandas as pd
import pyarrow as pa
import pytest

from matching.addresses import parse_address_text, resolve_places, standardise_addresses
from matching.text import ascii_digits

pytestmark = pytest.mark.unit


def std(**columns):
    return standardise_addresses(pd.DataFrame({k: [v] for k, v in columns.items()})).iloc[0]


def test_free_text_address_of_bpjs_ketenagakerjaan():
    row = std(address="Jl. Margonda Raya No.12, RT.3/RW.5, Kel. Pondok Cina, Kec. Beji, Depok")
    assert (row["rt_std"], row["rw_std"]) == ("003", "005")
    assert row["kelurahan_std"] == "Pondok Cina" and row["kecamatan_std"] == "Beji"
    assert row["kelurahan_code"] == "32.76.06.1005" and row["kecamatan_code"] == "32.76.06"
    assert row["street_std"] == "JL MARGONDA RAYA NO 12"


@pytest.mark.parametrize(
    ("text", "rt", "rw"),
    [
        ("JL. MARGONDA RAYA NO. 12 RT 003/RW 005", "003", "005"),
        ("Jl. Kenanga Raya No. 10 RT02/RW21 Kel. Abadijaya", "002", "021"),
        ("Jl. Mawar, Kp. Baru, RT. 004/002, Serua", "004", "002"),
        ("GG SUNGAI RT 02 RW 02 NO. 9", "002", "002"),
        ("JL ABC RT/RW 003/004", "003", "004"),
        ("JL ABC RT:1 RW:10", "001", "010"),
        ("JL ABC RT 000/RW 000", None, None),
    ],
)
def test_rt_rw_written_many_ways(text, rt, rw):
    row = std(address=text)
    assert (row["rt_std"], row["rw_std"]) == (rt, rw)


def test_separate_columns_win_over_free_text():
    row = std(
        address="JL. KARTINI NO. 7 RT 001/RW 001", rt="4", rw="007", kelurahan="TUGU", kecamatan="CIMANGGIS"
    )
    assert (row["rt_std"], row["rw_std"]) == ("004", "007")
    assert row["kelurahan_code"] == "32.76.02.1009"


def test_curug_is_resolved_by_its_kecamatan():
    out = resolve_places(pd.Series(["CURUG", "CURUG", "CURUG"]), pd.Series(["BOJONGSARI", "CIMANGGIS", None]))
    assert out["kelurahan_code"].tolist() == ["32.76.11.1005", "32.76.02.1008", None]
    assert out["kecamatan_std"].tolist() == ["Bojongsari", "Cimanggis", None]


@pytest.mark.parametrize(
    ("kel", "kec", "code"),
    [
        ("KEMIRIMUKA", "BEJI", "32.76.06.1004"),
        ("ABADI JAYA", "SUKMA JAYA", "32.76.05.1003"),
        ("MARUYUNG", "LIMO", "32.76.04.1001"),
        ("SAWANGAN LAMA", "SAWANGAN", "32.76.03.1010"),
        ("PONDOK CNA", "BEJI", "32.76.06.1005"),  # misspelt, fuzzy-corrected
        ("PD. TERONG", None, None),
        ("BOJONG PONDOK TERONG", "CIPAYUNG", "32.76.07.1004"),
        ("LEUWINANGUNG", "TAPOS", "32.76.10.1002"),
        ("TAPOS", "CIMANGGIS", "32.76.10.1001"),  # old kecamatan: the unique kelurahan wins
        ("ATLANTIS", "BEJI", None),
    ],
)
def test_spelling_variants_and_misspellings(kel, kec, code):
    out = resolve_places(pd.Series([kel]), pd.Series([kec]))
    assert out["kelurahan_code"].iloc[0] == code


def test_kecamatan_alone_is_resolved():
    out = resolve_places(pd.Series([None]), pd.Series(["PANCORANMAS"]))
    assert out["kecamatan_code"].iloc[0] == "32.76.01" and out["kelurahan_code"].iloc[0] is None


def test_unlabelled_kelurahan_in_free_text():
    row = std(address="Jl. Melati, RT.02/RW.06, Curug, Kec. Cimanggis")
    assert row["kelurahan_code"] == "32.76.02.1008"
    parsed = parse_address_text(pd.Series(["Jl. Mawar, Kp. Baru, RT. 004/002, Serua, Kec. Bojongsari"])).iloc[
        0
    ]
    assert parsed["kelurahan"] == "SERUA" and parsed["kecamatan"] == "BOJONGSARI"


def test_index_kept_and_missing_everything():
    frame = pd.DataFrame({"address": [None, "JL X"]}, index=[10, 3])
    out = standardise_addresses(frame)
    assert list(out.index) == [10, 3]
    assert out.loc[10].isna().all()


@pytest.mark.parametrize(
    ("text", "rt", "rw"),
    [
        ("JL X RT ٠١٢/RW ٠٠٣", "012", "003"),  # Arabic-Indic
        ("JL X RT ０１２/RW ０３", "012", "003"),  # full-width
        ("JL X RT 1٢/RW ३", "012", "003"),  # mixed scripts: read 12, not 1
        ("JL X RT ٠/RW ٠", None, None),
        ("JL X RT ²/RW ³", None, None),  # superscripts are not decimal digits
    ],
)
def test_rt_rw_in_digits_of_other_scripts_come_out_ascii(text, rt, rw):
    row = std(address=text)
    assert (row["rt_std"], row["rw_std"]) == (rt, rw)


def test_rt_rw_columns_in_digits_of_other_scripts_come_out_ascii():
    out = standardise_addresses(pd.DataFrame({"rt": ["٠١٢", "０１２", "٠"], "rw": ["३", "১২", None]}))
    assert out["rt_std"].tolist() == ["012", "012", None]
    assert out["rw_std"].tolist() == ["003", "012", None]


def test_ascii_digits_keeps_everything_but_digits():
    values = pa.array(["JL ١٢ ÉLAN", None, "RT 003", "０１"], type=pa.string())
    assert ascii_digits(values).to_pylist() == ["JL 12 ÉLAN", None, "RT 003", "01"]
