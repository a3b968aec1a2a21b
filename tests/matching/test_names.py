import pandas as pd
import pytest

from matching.names import fold_name, name_token_features, standardise_names

pytestmark = pytest.mark.unit


def one(name: str) -> dict:
    return standardise_names(pd.Series([name])).iloc[0].to_dict()


def key(name: str) -> str:
    return one(name)["name_key"]


def test_titles_abbreviation_and_old_spelling():
    row = one("MOCH. DJOKO SOEPRAPTO, S.E.")
    assert row["name_std"] == "MOCH. DJOKO SOEPRAPTO"
    assert row["name_titles"] == "S.E."
    assert row["name_key"] == key("MUHAMMAD JOKO SUPRAPTO")
    assert row["father_name"] is None


@pytest.mark.parametrize(
    ("raw", "titles", "display"),
    [
        ("H. ACHMAD RIDWAN", "H.", "ACHMAD RIDWAN"),
        ("HJ. SITI AMINAH SE", "HJ. S.E.", "SITI AMINAH"),
        ("Dr. Ir. Budi Santoso, M.M., Ph.D.", "DR. IR. M.M. PH.D.", "BUDI SANTOSO"),
        ("PROF. DR. H. ABD. RAHMAN, S.H., M.H.", "PROF. DR. H. S.H. M.H.", "ABD. RAHMAN"),
        ("Rina Marlina S.Pd", "S.PD.", "RINA MARLINA"),
        ("Dra. Hj. Euis Komariah, M.Pd.", "DRA. HJ. M.PD.", "EUIS KOMARIAH"),
        ("SRI WAHYUNI", None, "SRI WAHYUNI"),
    ],
)
def test_titles_are_stripped_and_kept(raw, titles, display):
    row = one(raw)
    assert row["name_titles"] == titles
    assert row["name_std"] == display


def test_title_alone_is_kept_as_the_name():
    assert one("H")["name_std"] == "H"


@pytest.mark.parametrize(
    "variant",
    [
        "MUHAMMAD",
        "MUHAMAD",
        "MOHAMMAD",
        "MOHAMAD",
        "MOCHAMAD",
        "MOCHAMMAD",
        "MUCHAMAD",
        "MUKHAMAD",
        "MOCH.",
        "MOH.",
        "MUH.",
        "MHD.",
    ],
)
def test_muhammad_variants_share_one_key(variant):
    assert key(f"{variant} YUSUF") == key("MUHAMMAD YUSUF")


def test_single_letter_initial_is_not_expanded():
    assert key("M. RIZKY PRATAMA").split()[0] == "M"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("SOEKARNO", "SUKARNO"),
        ("TJAHJONO", "CAHYONO"),
        ("JANTI", "YANTI"),
        ("SJAHRIR", "SYAHRIR"),
        ("NJOTO", "NYOTO"),
        ("ACHMAD", "AHMAD"),
        ("MOCHTAR", "MOKHTAR"),
        ("SOEJONO", "SUYONO"),
    ],
)
def test_old_spellings_fold_to_the_modern_key(old, new):
    assert key(old) == key(new)


def test_clerk_abbreviations_and_spelling_variants():
    assert key("ABD. RAHMAN") == key("ABDUL RAHMAN")
    assert key("ST. KHODIJAH") == key("SITI KHODIJAH")
    assert key("AHM. FAUZI") == key("AHMAD FAUZI")
    assert key("RIZKY") == key("RIZKI")
    assert key("EFFENDI") == key("EFENDI")


def test_patronymic_tail_is_dropped_from_key_and_kept_as_father():
    row = one("H. ACHMAD RIDWAN BIN SULAIMAN")
    assert row["father_name"] == "SULAIMAN"
    assert row["name_key"] == key("AHMAD RIDWAN")
    assert row["name_std"] == "ACHMAD RIDWAN BIN SULAIMAN"
    assert one("SITI NURHALIZA BINTI ABDULLAH")["father_name"] == "ABDULLAH"
    assert one("NUR AINI BT. HASAN")["father_name"] == "HASAN"


def test_case_punctuation_spacing_and_accents():
    assert key("  ma'ruf   amin ") == "MARUF AMIN"
    assert key("D O D I") == "DODI"
    assert key("José") == key("JOSE")
    assert one("Sri  Wahyuni")["name_std"] == "SRI WAHYUNI"


def test_missing_and_blank_names_stay_missing_and_index_is_kept():
    out = standardise_names(pd.Series([None, "", "BUDI"], index=[7, 3, 9]))
    assert list(out.index) == [7, 3, 9]
    assert out.loc[7, "name_key"] is None and out.loc[3, "name_key"] is None
    assert out.loc[9, "name_key"] == "BUDI"


def test_token_features():
    feats = name_token_features(pd.Series(["M RIZKI PRATAMA", None, "SITI AMINAH"], index=[4, 5, 6]))
    assert feats.loc[4, "first"] == "M" and feats.loc[4, "last"] == "PRATAMA"
    assert feats.loc[4, "sorted"] == "M PRATAMA RIZKI"
    assert feats.loc[4, "noinit"] == "RIZKI PRATAMA"
    assert feats.loc[4, "n_tokens"] == 3 and feats.loc[4, "n_long"] == 2
    assert feats.loc[4, "initials"] == 1 << (ord("M") - ord("A"))
    assert feats.loc[6, "firsts"] == (1 << (ord("S") - 65)) | (1 << (ord("A") - 65))
    assert feats.loc[5, "n_tokens"] == 0


@pytest.mark.parametrize(
    ("raw", "same_as"),
    [
        ("ACHMD FAUZI", "AHMAD FAUZI"),  # CH -> H made AHMD, an abbreviation, after abbreviations ran
        ("STT. AMINAH", "SITI AMINAH"),  # squeezing made ST
        ("STH AMINAH", "SITI AMINAH"),  # TH -> T made ST
        ("MUHH ALI", "MUHAMMAD ALI"),
        ("MUKH ALI", "MUHAMMAD ALI"),  # KH -> H made MUH
        ("MOCHH ALI", "MUHAMMAD ALI"),
        ("MOHAMMADD SYAMSUL", "MUHAMMAD SYAMSUL"),
        ("ABDD RAHMAN", "ABDUL RAHMAN"),
        ("RIZKYY", "RIZKI"),  # a final YY reads as I, like a final Y
        ("JONATHHAN", "YONATAN"),  # THH -> TH, left unfolded
        ("HERMANSYQH", "HERMANSYH"),  # Q -> K made KH after KH -> H ran
        ("TJCCH", "CH"),
        ("DDZ", "Z"),
    ],
)
def test_folding_reaches_its_fixed_point_in_one_call(raw, same_as):
    """Regression (hypothesis): one pass of the folding left keys that folded again (CCH -> CH -> H)."""
    assert key(raw) == key(same_as)
    assert fold_name(pd.Series([key(raw)])).iloc[0] == key(raw)


@pytest.mark.parametrize(
    "raw", ["CCH", "STT", "AA B C", "QH", "CKH", "THH", "MDD", "AHMM", "DJOEDJOE", "SJOETJIPTO", "NJONJA"]
)
def test_a_key_folds_to_itself(raw):
    folded = key(raw)
    assert fold_name(pd.Series([folded])).iloc[0] == folded
    assert key(folded) == folded


@pytest.mark.parametrize(
    ("raw", "display", "titles"),
    [
        ("'H. BUDI SANTOSO", "BUDI SANTOSO", "H."),  # the quote hid the title until display trimmed it
        ("H,BUDI", "BUDI", "H."),
        ("DR. 'H. BUDI, S.E.", "BUDI", "DR. H. S.E."),
    ],
)
def test_a_standardised_name_standardises_to_itself(raw, display, titles):
    row = one(raw)
    assert (row["name_std"], row["name_titles"]) == (display, titles)
    again = one(row["name_std"])
    assert (again["name_std"], again["name_key"]) == (row["name_std"], row["name_key"])
