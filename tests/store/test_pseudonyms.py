import hashlib
import hmac
import pickle

import numpy as np
import pandas as pd
import pytest

from store.pseudonyms import KEY_VARIABLE, MIN_KEY_BYTES, PREFIX, Pseudonymiser, PseudonymKeyError

pytestmark = pytest.mark.unit

KEY = "k" * 40
NIK = "3276015708900001"


def test_a_pseudonym_is_the_prefixed_hex_hmac_sha256_of_the_nik():
    expected = hmac.new(KEY.encode(), NIK.encode(), hashlib.sha256).hexdigest()
    assert Pseudonymiser(KEY).pseudonym(NIK) == "hmac:" + expected
    assert PREFIX == "hmac:"


def test_known_answer_checked_with_openssl():
    # printf 3276015708900001 | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
    expected = "hmac:3cd418c87437193c043f879bedbb4008e6362507d5ddfb8850683bd21b38dea0"
    assert Pseudonymiser(bytes(range(32))).pseudonym(NIK) == expected
    assert len(expected) == len(PREFIX) + 64 and not expected[len(PREFIX) :].isdigit()


def test_pseudonyms_are_deterministic_and_depend_on_the_key_and_the_nik():
    first, again = Pseudonymiser(KEY), Pseudonymiser(KEY)
    assert first.pseudonym(NIK) == again.pseudonym(NIK) == first.pseudonym(NIK)
    assert Pseudonymiser("j" * 40).pseudonym(NIK) != first.pseudonym(NIK)
    assert first.pseudonym("3276015708900002") != first.pseudonym(NIK)
    assert first.pseudonym(f" {NIK} ") == first.pseudonym(NIK)  # stray blanks do not make a new person


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_a_missing_nik_stays_missing(missing):
    assert Pseudonymiser(KEY).pseudonym(missing) is None


def test_a_column_keeps_its_index_and_its_gaps():
    niks = pd.Series([NIK, None, NIK, np.nan], index=[10, 11, 12, 13])
    pseudonyms = Pseudonymiser(KEY).column(niks)
    assert list(pseudonyms.index) == [10, 11, 12, 13]
    assert pseudonyms[10] == pseudonyms[12] == Pseudonymiser(KEY).pseudonym(NIK)
    assert pseudonyms[11] is None and pseudonyms[13] is None


def test_a_short_key_is_refused_without_showing_it():
    short = "s" * (MIN_KEY_BYTES - 1)
    with pytest.raises(PseudonymKeyError, match="at least 32 bytes") as caught:
        Pseudonymiser(short)
    assert short not in str(caught.value)
    Pseudonymiser("s" * MIN_KEY_BYTES)  # exactly 32 is enough


def test_the_key_comes_from_the_environment_and_its_absence_names_the_variable():
    with pytest.raises(PseudonymKeyError, match=KEY_VARIABLE):
        Pseudonymiser.from_environment({})
    with pytest.raises(PseudonymKeyError, match=f"{KEY_VARIABLE} is too short") as caught:
        Pseudonymiser.from_environment({KEY_VARIABLE: "tooshort-secret"})
    assert "tooshort-secret" not in str(caught.value)
    keyed = Pseudonymiser.from_environment({KEY_VARIABLE: KEY})
    assert keyed.pseudonym(NIK) == Pseudonymiser(KEY).pseudonym(NIK)


def test_the_key_never_shows_in_repr_or_pickles():
    keyed = Pseudonymiser(KEY)
    assert KEY not in repr(keyed) and KEY not in str(keyed)
    with pytest.raises(TypeError):
        pickle.dumps(keyed)
