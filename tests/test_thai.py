"""Buddhist-era dates (app/thai.py): typed and shown as dd/mm/2569."""

from datetime import date

import pytest

from app.errors import Invalid
from app.thai import format_be_date, format_be_datetime, parse_be_date


def test_buddhist_era_date_round_trips(ctx):
    assert parse_be_date("16/05/2569") == date(2026, 5, 16)
    assert parse_be_date("1/6/2563") == date(2020, 6, 1)
    assert format_be_date(date(2026, 5, 16)) == "16/05/2569"
    assert format_be_date(None) == ""


def test_christian_era_year_is_refused_with_the_buddhist_year_suggested(ctx):
    with pytest.raises(Invalid) as refused:
        parse_be_date("16/05/2020", "birth_date")
    message = refused.value.errors["birth_date"]
    assert "2020" in message and "2563" in message and "พุทธศักราช" in message


@pytest.mark.parametrize("text", ["", "2569-05-16", "16/05/69", "วันนี้"])
def test_malformed_date_asks_for_dd_mm_yyyy(ctx, text):
    with pytest.raises(Invalid) as refused:
        parse_be_date(text)
    assert "วว/ดด/ปปปป" in refused.value.errors["date"]


def test_impossible_date_is_refused(ctx):
    with pytest.raises(Invalid) as refused:
        parse_be_date("31/02/2569")
    assert "ปฏิทิน" in refused.value.errors["date"]


def test_timestamps_are_shown_in_the_buddhist_era_with_thai_time(ctx):
    from datetime import datetime

    assert format_be_datetime(datetime(2026, 11, 29, 9, 5)) == "29/11/2569 09:05 น."
    assert format_be_datetime(None) == ""
