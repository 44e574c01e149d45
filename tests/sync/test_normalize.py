"""Normalisation of emails, names, companies and phones."""

from __future__ import annotations

import pytest

from integrations.records import ContactRecord, Phone
from sync.matching.index import overlaps, shared_keys
from sync.matching.normalize import (
    close_names,
    different_first_names,
    normalize_company,
    normalize_email,
    normalize_name,
    normalize_person_name,
    normalize_phone,
    record_keys,
)

# -- emails ---------------------------------------------------------------------------------


def test_email_is_trimmed_and_lower_cased():
    assert normalize_email("  Nick.Brown@ACME.com \n") == "nick.brown@acme.com"


def test_mailto_prefix_is_dropped():
    assert normalize_email("mailto:Nick@Acme.com") == "nick@acme.com"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "nick",
        "nick@acme",
        "@acme.com",
        "nick@",
        "ni ck@acme.com",
        "a@b@c.com",
        "a@b.com, c@d.com",
        "<nick@acme.com>",
        "nick@acme..com",
    ],
)
def test_implausible_email_gives_empty_string(value):
    assert normalize_email(value) == ""


def test_fullwidth_email_is_folded_by_nfkc():
    assert normalize_email("ＮＩＣＫ@acme.com") == "nick@acme.com"


# -- person names ---------------------------------------------------------------------------


def test_last_comma_first_is_read_as_first_last():
    assert normalize_name("Brown, Nick") == "nick brown"
    assert normalize_name("Brown,Nick") == normalize_name("Nick Brown")


def test_suffix_after_a_comma_is_dropped_not_swapped():
    assert normalize_name("John Smith, Jr.") == "john smith"
    assert normalize_name("Smith, John, Jr.") == "john smith"
    assert normalize_name("Smith, John, PhD") == "john smith"


def test_apostrophes_and_full_stops_are_deleted():
    assert normalize_name("Sinéad O'Brien") == "sinead obrien"
    assert normalize_name("Sinéad O’Brien") == "sinead obrien"  # typographic apostrophe
    assert normalize_name("A.J. Smith") == normalize_name("AJ Smith") == "aj smith"


def test_other_punctuation_separates_words():
    assert normalize_name("Mary-Jane  Watson") == "mary jane watson"
    assert normalize_name("(Bob) Smith/Jones") == "bob smith jones"


def test_accents_are_removed():
    assert normalize_name("José Álvarez") == "jose alvarez"
    assert normalize_name("Zoë Brontë") == "zoe bronte"
    assert normalize_name("Søren Kierkegård") == "soren kierkegard"
    assert normalize_name("Łukasz Żółw") == "lukasz zolw"


def test_case_folding_handles_sharp_s_and_fullwidth_letters():
    assert normalize_name("Straße") == normalize_name("STRASSE") == "strasse"
    assert normalize_name("Ｊｏｈｎ Ｓｍｉｔｈ") == "john smith"


def test_whitespace_is_collapsed():
    assert normalize_name("  nick \t\n  BROWN  ") == "nick brown"


def test_honorifics_and_suffixes_are_dropped_but_never_the_last_word():
    assert normalize_name("Dr. John Smith III") == "john smith"
    assert normalize_name("Mrs Jane Doe") == "jane doe"
    assert normalize_name("Dr") == "dr"
    assert normalize_name("Jr.") == "jr"


def test_name_of_only_punctuation_is_empty():
    assert normalize_name(" - , . ") == ""


def test_person_key_leaves_out_the_middle_name_field():
    assert normalize_person_name("John", "Quincy", "Adams") == "john adams"


def test_person_key_leaves_out_single_letter_middle_initials():
    assert normalize_person_name("John Q.", "", "Adams") == "john adams"
    assert normalize_person_name("John Q. Adams") == "john adams"
    assert normalize_name("John Q. Adams") == "john q adams"  # the text form keeps every word


def test_person_key_keeps_longer_middle_words_of_free_text():
    # "Mary Ann" may well be a first name: only initials are safe to drop.
    assert normalize_person_name("Mary Ann", "", "Smith") == "mary ann smith"


def test_person_key_reads_one_filled_field_as_a_whole_name():
    assert normalize_person_name("", "", "Brown, Nick") == "nick brown"
    assert normalize_person_name("Nick Brown", "", "") == "nick brown"


def test_person_key_fast_path_agrees_with_general_path():
    assert normalize_person_name("Nick", "", "Brown") == normalize_person_name(
        " Nick ", "", "Brown"
    )
    assert normalize_person_name("Dr", "", "Brown") == "brown"
    assert normalize_person_name("John", "", "Jr") == "john"


# -- companies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Acme",
        "Acme Inc",
        "ACME, LLC",
        "Acme Ltd.",
        "Acme Corp",
        "Acme Corporation",
        "Acme GmbH",
        "Acme Co.",
        "Acme Pty Ltd",
        "Acme L.L.C.",
        "acme incorporated",
        "The Acme Company",
    ],
)
def test_company_legal_suffixes_and_leading_the_are_dropped(text):
    assert normalize_company(text) == "acme"


def test_company_ampersand_reads_as_and():
    assert (
        normalize_company("Smith & Sons") == normalize_company("Smith and Sons") == "smith and sons"
    )


def test_company_and_co_is_a_legal_form():
    assert normalize_company("Smith & Co.") == "smith"
    assert normalize_company("Müller GmbH & Co. KG") == "muller"


def test_company_name_is_never_swapped_at_a_comma():
    assert normalize_company("Widgets, Acme") == "widgets acme"


def test_company_that_is_only_a_legal_form_keeps_its_word():
    assert normalize_company("The") == "the"
    assert normalize_company("Inc.") == "inc"
    assert normalize_company("The Company") == "company"


def test_company_accents_and_apostrophes_are_folded():
    assert normalize_company("Café O'Reilly's, Inc.") == "cafe oreillys"


# -- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "+1 (555) 123-4567",
        "555.123.4567",
        "1-555-123-4567",
        "555 123 4567 ext. 89",
        "(555) 123-4567 x89",
        "555-123-4567 #12",
    ],
)
def test_phone_keeps_last_ten_digits_without_extension(value):
    assert normalize_phone(value) == "5551234567"


def test_short_phone_numbers_are_ignored():
    assert normalize_phone("123") == ""
    assert normalize_phone("call me") == ""
    assert normalize_phone("555-1234") == "5551234"


# -- record keys ----------------------------------------------------------------------------


def test_record_keys_of_a_person():
    record = ContactRecord(
        system="lacrm",
        id="1",
        first_name="Nick",
        middle_name="J",
        last_name="Brown",
        company_name="Acme, Inc.",
        emails=(" Nick@Acme.com", "nick@home.example", "not an email"),
        phones=(Phone("(555) 123-4567"), Phone("555 999 0000", kind="fax")),
    )
    keys = record_keys(record)
    assert keys.emails == ("nick@acme.com", "nick@home.example")  # sorted, no repeats
    assert keys.person_name == "nick brown"
    assert keys.company_name == "acme"
    assert keys.phones == ("5551234567",)  # the fax is a shared line, not the person's
    assert keys.is_company is False
    assert keys.name_key == "nick brown"


def test_record_keys_of_a_company_record_use_the_company_name():
    record = ContactRecord(system="lacrm", id="2", is_company=True, company_name="The Acme Co.")
    keys = record_keys(record)
    assert keys.is_company is True
    assert keys.person_name == ""
    assert keys.name_key == keys.company_name == "acme"


def test_record_without_person_name_is_a_company_named_by_display_name():
    record = ContactRecord(system="qbo", id="3", display_name="Acme Widgets LLC")
    keys = record_keys(record)
    assert keys.is_company is True
    assert keys.name_key == "acme widgets"


def test_record_keys_split_comma_separated_quickbooks_emails():
    record = ContactRecord(
        system="qbo", id="4", first_name="A", last_name="B", emails=("a@x.com, B@Y.com; c@z.com",)
    )
    assert record_keys(record).emails == ("a@x.com", "b@y.com", "c@z.com")


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("john", "mary", True),
        ("john", "jane", True),
        ("bob", "robert", False),
        ("kate", "katherine", False),
        ("kate", "catherine", False),
        ("nick", "nicholas", False),
        ("j", "john", False),
        ("ann", "anne", False),
        ("", "john", False),
    ],
)
def test_different_first_names(a, b, different):
    assert different_first_names(a, b) is different


def test_a_common_nickname_with_the_same_last_name_is_a_close_name():
    assert close_names("bob brown", "robert brown")
    assert not close_names("bob brown", "robert green")


def test_keys_hold_no_empty_email_and_share_an_already_normal_one():
    blank = ContactRecord(system="lacrm", id="5", first_name="Jo", last_name="Lee", emails=("",))
    assert record_keys(blank).emails == ()
    record = ContactRecord(
        system="qbo", id="6", first_name="Jo", last_name="Lee", emails=("jo@x.com",)
    )
    keys = record_keys(record)
    assert keys.emails == ("jo@x.com",)
    # No copy per record while planning: the keys hold the record's own string, bare.
    assert keys.email_keys is record.emails[0]


def test_overlaps_and_shared_keys_compare_sorted_key_tuples():
    a, b = ("a@x.com", "b@y.com"), ("b@y.com", "c@z.com")
    assert overlaps(a, b) and not overlaps(a, ("c@z.com",)) and not overlaps((), a)
    assert shared_keys(a, b) == ("b@y.com",) and shared_keys(a, ()) == ()
