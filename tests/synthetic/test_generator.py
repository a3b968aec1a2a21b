"""The synthetic drop generator: file formats, ids, truth, determinism and realism of a first drop."""

from __future__ import annotations

import datetime as dt
import filecmp
import re
import sqlite3
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import synthetic
from synthetic import DropSummary, generate_drop
from synthetic.__main__ import main
from synthetic.drop import build_drop
from synthetic.population import build_population

from .conftest import PERSONS, SEED, read_drop

pytestmark = pytest.mark.unit

MONTHS = (
    "Januari|Februari|Pebruari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Nopember|Desember"
)
TIMESTAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
NIK_LIKE = r"|\d{16}|'\d{16}|\d{2}\.\d{4}\.\d{6}\.\d{4}|\d{4} \d{4} \d{4} \d{4}| \d{16}|\d{16} |\d{15}|\d{17}"
FORMATS = {
    "bpjs_kesehatan": {
        "no_kartu": r"\d{13}",
        "nik": NIK_LIKE,
        "nama_peserta": r"[A-Z][A-Z.,' \-]*[A-Z.]",
        "tgl_lahir": r"\d{2}-\d{2}-\d{4}",
        "jenis_kelamin": r"[LP]",
        "alamat": r"[A-Z][A-Z0-9 .,:/\-]*[A-Z0-9]",
        "kelurahan": r"[A-Z][A-Z .]*[A-Z]",
        "kecamatan": r"[A-Z][A-Z .]*[A-Z]",
        "no_hp": r"|08\d{8,11}",
        "segmen": r"PBI|PPU|PBPU|BP",
        "status_peserta": r"AKTIF|TIDAK AKTIF",
        "tgl_update": TIMESTAMP,
    },
    "bpjs_ketenagakerjaan": {
        "kpj": r"\d{11}",
        "nik": NIK_LIKE + r"|\d\.\d{5}E\+15",
        "nama": r"[A-Z][A-Za-z.,' \-]*[A-Za-z.]",
        "tempat_lahir": r"[A-Z][a-z]+\.?( [A-Z][a-z]+)*",
        "tanggal_lahir": r"|\d{4}-\d{2}-\d{2}",
        "gender": r"Laki-laki|Perempuan",
        "alamat_domisili": r"[A-Z][A-Za-z0-9 .,:/\-]*Depok( \d{5}|, Jawa Barat)?( \d{5})?",
        "telepon": r"|(\+62|62|0)8\d{8,11}",
        "kategori": r"PU|BPU|JAKON",
        "pekerjaan": r"[A-Z][a-z]+( [A-Z][A-Za-z]+)*",
        "tgl_kepesertaan": r"\d{4}-\d{2}-\d{2}",
        "status": r"AKTIF|NONAKTIF",
    },
    "penduduk_depok": {
        "nik": r"\d{16}",
        "no_kk": r"\d{16}",
        "nama_lengkap": r"[A-Z][A-Z.,' \-]*[A-Z.]",
        "tempat_lahir": r"[A-Z][A-Z .]*[A-Z]",
        "tanggal_lahir": rf"\d{{2}}/\d{{2}}/\d{{4}}|\d{{1,2}} ({MONTHS}) \d{{4}}",
        "alamat": r"[A-Z][A-Z0-9 .\-]*[A-Z0-9]",
        "rt": r"\d{3}",
        "rw": r"\d{3}",
        "kelurahan": r"[A-Z][A-Z ]*[A-Z]",
        "kecamatan": r"[A-Z][A-Z ]*[A-Z]",
        "status_kawin": r"BELUM KAWIN|KAWIN|KAWIN TERCATAT|CERAI HIDUP|CERAI MATI",
        "updated_at": TIMESTAMP,
    },
}
CITY_SCHEMA = [
    ("id_penduduk", "INTEGER", 1), ("nik", "TEXT", 0), ("no_kk", "TEXT", 0), ("nama_lengkap", "TEXT", 0),
    ("tempat_lahir", "TEXT", 0), ("tanggal_lahir", "TEXT", 0), ("jenis_kelamin", "INTEGER", 0),
    ("alamat", "TEXT", 0), ("rt", "TEXT", 0), ("rw", "TEXT", 0), ("kelurahan", "TEXT", 0),
    ("kecamatan", "TEXT", 0), ("pekerjaan", "TEXT", 0), ("status_kawin", "TEXT", 0),
    ("updated_at", "TEXT", 0),
]  # fmt: skip
IDS = {"bpjs_kesehatan": "no_kartu", "bpjs_ketenagakerjaan": "kpj", "penduduk_depok": "id_penduduk"}
SOURCES = tuple(IDS)


def records_with_person(drop, source):
    truth = drop["truth"]
    mapping = truth[truth["source"] == source].set_index("record_id")["person_id"]
    frame = drop[source].copy()
    frame["person_id"] = mapping.reindex(frame[IDS[source]].astype(str)).to_numpy()
    return frame


def test_public_api_is_explicit():
    assert synthetic.__all__ == ["DropSummary", "generate_drop", "generate_next_day"]


def test_drop_writes_the_five_files_and_a_summary(tmp_path):
    summary = generate_drop(300, tmp_path, seed=1)
    names = {
        "bpjs_kesehatan.csv",
        "bpjs_ketenagakerjaan.csv",
        "penduduk_depok.db",
        "truth.csv",
        "sources.yaml",
    }
    assert {p.name for p in tmp_path.iterdir()} == names
    assert isinstance(summary, DropSummary)
    assert summary.persons == 300
    written = read_drop(tmp_path)
    assert dict(summary.counts) == {s: len(written[s]) for s in SOURCES}
    assert summary.records == len(written["truth"])
    assert {p.name for p in summary.paths.values()} == names
    shipped = resources.files("synthetic").joinpath("sources.yaml").read_bytes()
    assert (tmp_path / "sources.yaml").read_bytes() == shipped


def test_drop_overwrites_existing_files(tmp_path):
    generate_drop(400, tmp_path, seed=1)
    generate_drop(300, tmp_path, seed=2)
    assert generate_drop(300, tmp_path / "again", seed=2).records == len(read_drop(tmp_path)["truth"])


@pytest.mark.parametrize("source", SOURCES)
def test_every_column_follows_the_documented_format(drop, source):
    frame = drop[source]
    for column, pattern in FORMATS[source].items():
        values = frame[column].astype(str)
        bad = values[~values.str.fullmatch(pattern)]
        assert bad.empty, f"{source}.{column}: {len(bad)} values off format, e.g. row {bad.index[0]}"


def test_health_csv_is_comma_separated_with_the_documented_header(drop_dir):
    header = (drop_dir / "bpjs_kesehatan.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "no_kartu,nik,nama_peserta,tgl_lahir,jenis_kelamin,alamat,kelurahan,kecamatan,no_hp,"
        "segmen,status_peserta,tgl_update"
    )


def test_employment_csv_is_semicolon_separated(drop_dir):
    lines = (drop_dir / "bpjs_ketenagakerjaan.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "kpj;nik;nama;tempat_lahir;tanggal_lahir;gender;alamat_domisili;telepon;kategori;"
        "pekerjaan;tgl_kepesertaan;status"
    )
    assert all(line.count(";") == 11 for line in lines[1:])
    # Addresses carry commas, so a comma reader would split rows into many more fields.
    assert any("," in line for line in lines[1:])


def test_city_table_schema(drop_dir):
    with sqlite3.connect(drop_dir / "penduduk_depok.db") as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        info = [(r[1], r[2], r[5]) for r in con.execute("PRAGMA table_info(penduduk)")]
        kinds = set(con.execute("SELECT DISTINCT typeof(jenis_kelamin) FROM penduduk").fetchall())
        sexes = {r[0] for r in con.execute("SELECT DISTINCT jenis_kelamin FROM penduduk")}
        text = set(con.execute("SELECT DISTINCT typeof(nik) || typeof(rt) FROM penduduk").fetchall())
    con.close()
    assert tables == ["penduduk"]
    assert info == CITY_SCHEMA
    assert kinds == {("integer",)}
    assert sexes == {1, 2}
    assert text == {("texttext",)}


def test_city_occupations_and_regions_come_from_the_reference_lists(drop):
    from matching.reference import depok_crosswalk, occupation_codes

    labels = set()
    for label in occupation_codes()["pekerjaan"]:
        labels.update(x.strip() for x in re.split(r"\[newer label: |\]", label) if x.strip())
    city = drop["penduduk_depok"]
    assert set(city["pekerjaan"]) <= labels
    crosswalk = depok_crosswalk()
    pairs = set(
        zip(crosswalk["nama_kemendagri_2025"].str.upper(), crosswalk["kecamatan"].str.upper(), strict=True)
    )
    assert set(zip(city["kelurahan"], city["kecamatan"], strict=True)) <= pairs


def test_record_ids_are_unique_within_each_source(drop):
    for source in SOURCES:
        ids = drop[source][IDS[source]]
        assert ids.is_unique, source
    assert drop["bpjs_kesehatan"]["no_kartu"].str.startswith("0").mean() > 0.5


def test_truth_covers_every_record_exactly_once(drop):
    truth = drop["truth"]
    assert list(truth.columns) == ["source", "record_id", "person_id"]
    assert not truth.duplicated(["source", "record_id"]).any()
    for source in SOURCES:
        ids = set(drop[source][IDS[source]].astype(str))
        assert set(truth.loc[truth["source"] == source, "record_id"]) == ids
    assert set(truth["source"]) == set(SOURCES)
    assert truth["person_id"].nunique() == PERSONS


def test_rows_are_not_grouped_by_person(drop):
    jkn = records_with_person(drop, "bpjs_kesehatan")
    numbers = jkn["person_id"].str[1:].astype(int).to_numpy()
    assert abs(np.corrcoef(numbers, np.arange(len(numbers)))[0, 1]) < 0.1


def test_same_seed_gives_identical_files(tmp_path):
    generate_drop(500, tmp_path / "a", seed=3)
    generate_drop(500, tmp_path / "b", seed=3)
    for name in ("bpjs_kesehatan.csv", "bpjs_ketenagakerjaan.csv", "truth.csv", "penduduk_depok.db"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name


def test_different_seed_gives_different_files(tmp_path):
    generate_drop(500, tmp_path / "a", seed=3)
    generate_drop(500, tmp_path / "b", seed=4)
    for name in ("bpjs_kesehatan.csv", "bpjs_ketenagakerjaan.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def _decode(nik: pd.Series) -> pd.DataFrame:
    dd = nik.str[6:8].astype(int)
    return pd.DataFrame(
        {
            "sex": np.where(dd > 40, 2, 1),
            "day": dd % 40,
            "month": nik.str[8:10].astype(int),
            "yy": nik.str[10:12].astype(int),
        }
    )


def test_population_niks_encode_region_birth_date_and_sex():
    pop = build_population(3000, SEED)
    nik = pd.Series([f"{x:016d}" for x in pop["nik"]])
    decoded = _decode(nik)
    nik_birth = pd.to_datetime(pop["nik_birth"], unit="D")
    assert (decoded["sex"].to_numpy() == pop["sex"].to_numpy()).all()
    assert (decoded["day"].to_numpy() == nik_birth.dt.day.to_numpy()).all()
    assert (decoded["month"].to_numpy() == nik_birth.dt.month.to_numpy()).all()
    assert (decoded["yy"].to_numpy() == nik_birth.dt.year.to_numpy() % 100).all()
    assert (pop["nik_birth"] == pop["birth"]).mean() > 0.99  # a few DOBs corrected after issue
    assert nik.is_unique
    assert (nik.str[12:] != "0000").all()
    # Region: residents mostly Depok-issued, non-residents never.
    resident = pop["resident"].to_numpy()
    assert (nik[~resident].str[:4] != "3276").all()
    depok_share = (nik[resident].str[:4] == "3276").mean()
    assert 0.65 < depok_share < 0.95
    assert nik[resident].str[:4].nunique() > 5


def test_city_niks_agree_with_recorded_birth_date_and_sex(drop):
    city = drop["penduduk_depok"]
    decoded = _decode(city["nik"])
    slash = city["tanggal_lahir"].str.fullmatch(r"\d{2}/\d{2}/\d{4}")
    dates = pd.to_datetime(city.loc[slash, "tanggal_lahir"], format="%d/%m/%Y")
    agree = (
        (decoded.loc[slash, "day"] == dates.dt.day)
        & (decoded.loc[slash, "month"] == dates.dt.month)
        & (decoded.loc[slash, "yy"] == dates.dt.year % 100)
        & (decoded.loc[slash, "sex"] == city.loc[slash, "jenis_kelamin"])
    )
    assert agree.mean() > 0.98


def test_kk_numbers_are_region_plus_registration_date_and_shared_by_households(drop):
    city = drop["penduduk_depok"]
    kk = city["no_kk"]
    assert (kk.str[:4] == "3276").mean() > 0.99
    day, month, yy = kk.str[6:8].astype(int), kk.str[8:10].astype(int), kk.str[10:12].astype(int)
    assert day.between(1, 31).all() and month.between(1, 12).all() and yy.between(8, 26).all()
    sizes = kk.value_counts()
    assert sizes.max() >= 5 and (sizes >= 3).mean() > 0.3
    # A family card has one address.
    assert (
        city.groupby("no_kk")[["alamat", "rt", "rw", "kelurahan"]].nunique().max(axis=1) == 1
    ).mean() > 0.99


def test_twins_share_birth_date_and_family_card_but_not_name(drop):
    city = records_with_person(drop, "penduduk_depok")
    groups = city.groupby(["no_kk", "tanggal_lahir"])
    twins = groups.filter(lambda g: g["person_id"].nunique() >= 2)
    assert len(twins) >= 2
    assert twins.groupby(["no_kk", "tanggal_lahir"])["nama_lengkap"].nunique().min() >= 2


def test_duplicate_registrations_exist(drop):
    jkn = records_with_person(drop, "bpjs_kesehatan")
    cards = jkn.groupby("person_id")["no_kartu"].nunique()
    assert 0.005 < (cards >= 2).mean() < 0.05
    two_cards = jkn[jkn["person_id"].isin(cards[cards >= 2].index)]
    assert (two_cards.groupby("person_id")["segmen"].nunique() == 2).all()
    tk = records_with_person(drop, "bpjs_ketenagakerjaan")
    kpj = tk.groupby("person_id")["kpj"].nunique()
    twice = tk[tk["person_id"].isin(kpj[kpj >= 2].index)]
    assert len(twice) >= 2 and (twice["kategori"] == "BPU").all()


def test_non_residents_are_absent_from_the_city_registry(drop):
    pop = build_population(PERSONS, SEED)
    labels = pd.Series([f"P{x:08d}" for x in pop["person_id"]])
    visitors = set(labels[~pop["resident"].to_numpy()])
    truth = drop["truth"]
    in_city = set(truth.loc[truth["source"] == "penduduk_depok", "person_id"])
    elsewhere = set(truth.loc[truth["source"] != "penduduk_depok", "person_id"])
    assert visitors and not (visitors & in_city)
    assert visitors <= elsewhere
    assert 0.88 <= len(in_city) / PERSONS <= 0.93


def test_records_per_person_and_source_coverage(drop):
    truth = drop["truth"]
    assert 1.95 < len(truth) / PERSONS < 2.15
    jkn_people = truth.loc[truth["source"] == "bpjs_kesehatan", "person_id"].nunique()
    assert 0.82 < jkn_people / PERSONS < 0.93
    pop = build_population(PERSONS, SEED)
    working = ((pop["age"] >= 18) & (pop["age"] < 65)).sum()
    tk_people = truth.loc[truth["source"] == "bpjs_ketenagakerjaan", "person_id"].nunique()
    assert 0.25 < tk_people / working < 0.42


def test_gig_workers_are_often_uninsured_and_unlabelled_in_the_city_file():
    frames = build_drop(4000, SEED)
    pop = build_population(4000, SEED)
    from synthetic.occupations import GIG_CLASSES

    gig = pop["person_id"][np.isin(pop["occupation"], GIG_CLASSES)]
    insured = set(frames["bpjs_ketenagakerjaan"]["_person"])
    share = np.mean([p in insured for p in gig])
    assert 0.15 < share < 0.45  # most gig workers have no employment insurance
    tk = frames["bpjs_ketenagakerjaan"]
    assert tk["pekerjaan"].str.contains("Ojek Online|Ojol|Kurir|Kreator Konten").any()
    assert (tk.loc[tk["pekerjaan"].str.contains("Ojek Online|Kurir"), "kategori"] == "BPU").all()
    city = frames["penduduk_depok"]
    city_gig = city[city["_person"].isin(set(gig))]
    assert not city_gig["pekerjaan"].str.contains("OJEK|KURIR").any()
    assert {"WIRASWASTA", "SOPIR", "KARYAWAN SWASTA"} <= set(city_gig["pekerjaan"])


def test_injected_error_rates_are_realistic():
    frames = build_drop(6000, SEED)
    jkn, tk, city = frames["bpjs_kesehatan"], frames["bpjs_ketenagakerjaan"], frames["penduduk_depok"]
    from synthetic.identifiers import NIK_ERRORS

    def rate(frame, name):
        return (frame["_nik_error"] == NIK_ERRORS.index(name)).mean()

    assert 0.02 < rate(jkn, "empty") < 0.05
    assert 0.25 < (tk.loc[tk["kategori"] == "BPU", "nik"] == "").mean() < 0.5
    assert (tk.loc[tk["kategori"] == "PU", "nik"] == "").mean() < 0.05
    for name in ("typo", "transposition", "kk_number", "placeholder", "excel_zero", "formatting"):
        assert 0.001 < rate(jkn, name) < 0.02, name
        assert 0.001 < rate(tk, name) < 0.03, name
    assert 0.0005 < rate(jkn, "head_nik") < 0.02
    assert (city["_nik_error"] != 0).mean() < 0.003
    assert 0.003 < (jkn["_date_error"] > 0).mean() < 0.05
    assert 0.01 < (tk["tanggal_lahir"] == "").mean() < 0.06
    assert (jkn["_sex_error"]).mean() < 0.01


def test_name_variations_are_present(drop):
    jkn = drop["bpjs_kesehatan"]["nama_peserta"]
    assert jkn.str.match(r"(H|HJ)\. ").any()
    assert jkn.str.contains(r"\b(?:M|MOH|MUH|MOCH|MHD)\. ").any()
    assert jkn.str.contains(r"S\.E|S\.KOM|S\.PD|SE$|M\.M").any()
    assert drop["bpjs_kesehatan"]["alamat"].str.contains(r"RT\.\d+/RW\.\d+").any()
    assert drop["bpjs_kesehatan"]["alamat"].str.contains(r"RT \d{3}/RW \d{3}").any()
    names = pd.concat([jkn, drop["penduduk_depok"]["nama_lengkap"]])
    assert names.str.contains(r"DJ|OE|TJ|SJ").any()
    assert names.str.contains(r" (?:BIN|BINTI) ").any()
    # The same person is spelled differently across sources in a sizeable minority of cases.
    city = records_with_person(drop, "penduduk_depok").set_index("person_id")["nama_lengkap"]
    jkn_p = records_with_person(drop, "bpjs_kesehatan").drop_duplicates("person_id").set_index("person_id")
    both = jkn_p.join(city, how="inner")
    differ = (both["nama_peserta"] != both["nama_lengkap"]).mean()
    assert 0.15 < differ < 0.6


def test_first_names_follow_sex_and_the_frequency_shape(drop):
    city = drop["penduduk_depok"]
    first = city["nama_lengkap"].str.replace(r"^(H|HJ|DR|DRS|DRA|IR)\.? ", "", regex=True).str.split().str[0]
    male_only = {"MUHAMMAD", "MUHAMAD", "AHMAD", "AGUS", "BUDI", "ASEP", "UJANG"}
    female_only = {"SITI", "SRI", "DEWI", "EUIS", "NENENG", "PUTRI"}
    assert not first[city["jenis_kelamin"] == 2].isin(male_only).sum() > 2  # only rare sex miscoding
    assert not first[city["jenis_kelamin"] == 1].isin(female_only).sum() > 2
    counts = first.value_counts()
    assert counts.index[0] in {"MUHAMMAD", "SITI", "SRI", "AGUS"}
    assert first.nunique() > 150


def test_curug_exists_in_two_kecamatan():
    frames = build_drop(6000, SEED)
    city = frames["penduduk_depok"]
    assert set(city.loc[city["kelurahan"] == "CURUG", "kecamatan"]) == {"CIMANGGIS", "BOJONGSARI"}


def test_dates_are_real_calendar_dates(drop):
    for value in drop["bpjs_kesehatan"]["tgl_lahir"]:
        dt.datetime.strptime(value, "%d-%m-%Y")
    tk = drop["bpjs_ketenagakerjaan"]
    for value in tk.loc[tk["tanggal_lahir"] != "", "tanggal_lahir"]:
        dt.date.fromisoformat(value)
    assert drop["penduduk_depok"]["tanggal_lahir"].str.contains(r"[A-Za-z]").mean() > 0.2


def test_command_line_writes_a_drop(tmp_path, capsys):
    assert main(["--persons", "300", "--out", str(tmp_path), "--seed", "5"]) == 0
    assert (tmp_path / "truth.csv").exists()
    assert "300 persons" in capsys.readouterr().out
