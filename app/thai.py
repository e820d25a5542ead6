"""Buddhist-era dates: typed and shown as dd/mm/2569, stored as ISO Gregorian dates."""

import re
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _

from .errors import Invalid

BE_OFFSET = 543
_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def reads_english():
    """The reader switched to English (FAB's /lang/en); Thai is the default, outside requests too."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def format_be_date(value):
    if value is None:
        return ""
    return "%02d/%02d/%d" % (value.day, value.month, value.year + BE_OFFSET)


def format_be_datetime(value):
    """dd/mm/2569 09:05 น. in Thai; the English catalog leaves the suffix off (09:05, 24-hour)."""
    if value is None:
        return ""
    return _("%(date)s %(time)s", date=format_be_date(value), time="%02d:%02d" % (value.hour, value.minute))


def parse_be_date(text, field="date"):
    """Read dd/mm/yyyy in the Buddhist era; a Gregorian year is refused with a hint, not guessed."""
    match = _DATE.match(text or "")
    if not match:
        raise Invalid({field: _("Enter the date as dd/mm/yyyy in the Buddhist era, e.g. 16/05/2569.")})
    day, month, year = (int(part) for part in match.groups())
    if year < 2400:
        raise Invalid(
            {
                field: _(
                    "%(year)s looks like a Christian-era year; enter the Buddhist-era year "
                    "(%(be_year)s).",
                    year=year,
                    be_year=year + BE_OFFSET,
                )
            }
        )
    try:
        return date(year - BE_OFFSET, month, day)
    except ValueError:
        raise Invalid({field: _("This date does not exist in the calendar.")}) from None


def be_year(value):
    return value.year + BE_OFFSET
