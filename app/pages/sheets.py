"""Credential sheets as downloads: the organisation and account lists' actions answer with the PDF."""

import io

from flask import flash, redirect, send_file
from flask_babel import gettext as _

from .. import credentials
from ..extensions import db
from ..thai import format_be_date


def sheet_response(cards, issued_to):
    """Commit the codes just issued, then answer with their PDF; back to the list when nothing was due."""
    db.session.commit()
    if not cards:
        flash(_("Every selected organisation already has an active account; nothing was issued."), "info")
        return redirect(".")
    pdf = credentials.render_sheet(cards, issued_to, credentials.issuer_name())
    name = "lec-credentials-%s.pdf" % format_be_date(cards[0].expires_on).replace("/", "-")
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name)


def sheet_for_accounts(accounts):
    """The account and issued-credential lists' action: fresh codes for chosen accounts, as a PDF."""
    accounts = list(dict.fromkeys(accounts))
    cards = credentials.reissue_for_accounts(accounts)
    return sheet_response(cards, ", ".join(account.username for account in accounts[:3]))
