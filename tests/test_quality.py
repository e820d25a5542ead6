"""Identifier and birth-date rules (app/quality.py), as a Thai officer expects them."""

from datetime import date, timedelta

import pytest
from stdnum.th import pin

from app.errors import Invalid
from app.quality import check_birth_date, clean_g_code, clean_identifier, clean_national_id

VALID = "1101700230708"


def test_valid_national_id_is_kept_as_13_digits_even_when_typed_with_dashes(ctx):
    assert pin.is_valid(VALID)
    assert clean_national_id("1-1017-00230-70-8") == VALID
    assert clean_national_id(" 1 1017 00230 70 8 ") == VALID


@pytest.mark.parametrize(
    "value, message",
    [
        ("110170023070", "13 หลัก"),
        ("11017002307055", "13 หลัก"),
        ("11017OO230708", "ตัวเลขเท่านั้น"),
        ("1101700230705", "หลักตรวจสอบ"),
        ("9101700230708", "ขึ้นต้นด้วย 9"),
    ],
)
def test_bad_national_id_is_refused_with_a_thai_reason(ctx, value, message):
    with pytest.raises(Invalid) as refused:
        clean_national_id(value)
    assert message in refused.value.errors["id_number"]


def test_number_starting_with_zero_passes_when_its_check_digit_is_right(ctx):
    body = "012345678901"
    good = body + pin.calc_check_digit(body)
    assert clean_national_id(good) == good
    bad = body + str((int(pin.calc_check_digit(body)) + 1) % 10)
    with pytest.raises(Invalid):
        clean_national_id(bad)


def test_g_code_is_g_and_twelve_digits(ctx):
    assert clean_g_code("g6442-00000001") == "G644200000001"
    for bad in ["G64420000001", "X644200000001", "G64420000000A", ""]:
        with pytest.raises(Invalid) as refused:
            clean_g_code(bad)
        assert "G644200000001" in refused.value.errors["id_number"]


def test_identifier_kind_decides_which_rule_applies(ctx):
    assert clean_identifier("g_code", "G644200000001") == "G644200000001"
    with pytest.raises(Invalid):
        clean_identifier("national_id", "G644200000001")
    with pytest.raises(Invalid):
        clean_identifier("g_code", VALID)


def test_birth_date_in_the_future_is_refused(ctx):
    assert check_birth_date(date.today()) == date.today()
    with pytest.raises(Invalid) as refused:
        check_birth_date(date.today() + timedelta(days=1))
    assert "อนาคต" in refused.value.errors["birth_date"]
