"""The password rule, one for every place a password is set: the accounts screens (Flask-AppBuilder's
validator), activation and the command line."""

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _


def check_password(password):
    """At least 10 characters drawn from at least three of: lower case, upper case, digits,
    other characters (Thai letters count as letters)."""
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isascii() or not c.isalnum() for c in password),
    ]
    if len(password) < 10 or sum(kinds) < 3:
        raise PasswordComplexityValidationError(
            _(
                "A password needs at least 10 characters mixing at least three of: lower-case letters, "
                "upper-case letters, digits and other characters."
            )
        )
