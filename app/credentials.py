"""Credentials: accounts for organisations, single-use activation codes, the QR sheet, activation.

The circular (step 2) hands every province, LAO and school its login as a QR code on paper. The
paper carries an activation code, not a password: the code is random (about 99 bits), typeable
(no 0/O, 1/I/L), stored only as a SHA-256 hash, single use, and expires. The account stays
disabled until someone activates it with the code and sets their own password."""

import hashlib
import io
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import qrcode
from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from .audit import record_event
from .context import acting_as, current_user_id, now
from .errors import Invalid, Refused, UnusableCode
from .extensions import db
from .levels import LAO, LEVEL_OF, PROVINCE, SCHOOL, level_of
from .models import Credential, Lao, LecUser, Province, School
from .passwords import check_password
from .pdf import BOLD, REGULAR, paragraph, register_fonts, style, thai_leading
from .roles import ROLE_OF_LEVEL
from .scope import readable
from .thai import format_be_date, format_be_datetime

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LENGTH = 5, 4
USERNAME_PREFIX = {PROVINCE: "p", LAO: "l", SCHOOL: "s"}


@dataclass(frozen=True)
class Card:
    organisation: str
    org_code: str
    province: str
    username: str
    code: str
    expires_on: datetime
    url: str


def new_code():
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def normalise_code(text):
    return "".join(c for c in (text or "").upper() if c in ALPHABET)


def hash_code(text):
    return hashlib.sha256(normalise_code(text).encode()).hexdigest()


def username_for(level, organisation):
    return USERNAME_PREFIX[level] + organisation.code


def printable_base_url():
    """The address every QR code and printed link points at: LEC_BASE_URL, the address users reach.
    Refused, before anything is issued, when it is unset, not an http(s) address, or this machine's
    own loopback address (127.0.0.0/8, ::1, localhost), which no one else's phone can open; only the
    demo (LEC_DEMO, ``make run``) prints loopback links."""
    url = (current_app.config.get("LEC_BASE_URL") or "").strip().rstrip("/")
    parts = urlsplit(url)
    reachable = parts.scheme in ("http", "https") and bool(parts.hostname)
    if reachable and (current_app.config.get("LEC_DEMO") or not _loopback(parts.hostname)):
        return url
    raise Refused(
        [_("Credential sheets cannot be printed: the address in their QR codes (LEC_BASE_URL) is not set to one "
           "that users can reach. Ask the system administrator to set LEC_BASE_URL to the address users open "
           "LEC at, e.g. https://lec.dla.go.th.")]
    )  # fmt: skip


def _loopback(host):
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def organisations_under(roots):
    """Each root and everything below it that the issuer may read, parents before children; the
    issuer's own organisation is left out (their account exists already)."""
    found = []
    for root in roots:
        found.append(root)
        laos = [root] if isinstance(root, Lao) else []
        if isinstance(root, Province):
            laos = db.session.scalars(
                select(Lao).where(Lao.province_id == root.id, readable(Lao)).order_by(Lao.code)
            ).all()
            found.extend(laos)
        if laos:
            found.extend(
                db.session.scalars(
                    select(School)
                    .where(School.lao_id.in_([lao.id for lao in laos]), readable(School))
                    .order_by(School.lao_id, School.code)
                )
            )
    issuer = db.session.get(LecUser, current_user_id()) if current_user_id() else None
    own = (issuer.org_level, getattr(issuer, "%s_id" % issuer.org_level, None)) if issuer else None
    return [org for org in dict.fromkeys(found) if (level_of(org), org.id) != own]


def issue_credentials(roots, include_active=False):
    """Accounts and fresh codes for the roots and everything below them: only organisations
    without an active account, unless ``include_active``. Returns the cards to print; the caller
    commits before anyone holds them."""
    base_url = printable_base_url()
    organisations = organisations_under(roots)
    usernames = {username_for(level_of(org), org): org for org in organisations}
    accounts = {
        user.username: user for user in db.session.scalars(select(LecUser).where(LecUser.username.in_(list(usernames))))
    }
    active_nodes = _organisations_with_active_accounts(organisations)
    roles = {level: current_app.appbuilder.sm.find_role(name) for level, name in ROLE_OF_LEVEL.items()}
    chosen = []
    with db.session.no_autoflush:
        for username, organisation in usernames.items():
            if include_active or (type(organisation), organisation.id) not in active_nodes:
                account = accounts.get(username) or _new_account(username, organisation, roles)
                chosen.append((account, organisation))
    return _issue([account for account, _org in chosen], base_url, dict((a.username, o) for a, o in chosen))


def reissue_for_accounts(accounts):
    """Fresh codes for chosen accounts (the user list's action); previous codes are revoked."""
    base_url = printable_base_url()
    return _issue([account for account in accounts if account.organisation is not None], base_url)


def _issue(accounts, base_url, organisations=None):
    if not accounts:
        return []
    days = current_app.config["LEC_ACTIVATION_DAYS"]
    issued_on = now()
    expires_on = issued_on + timedelta(days=days)
    existing = [account.id for account in accounts if account.id is not None]
    if existing:
        db.session.execute(
            update(Credential)
            .where(Credential.user_id.in_(existing), Credential.activated_on.is_(None), Credential.revoked_on.is_(None))
            .values(revoked_on=issued_on)
        )
    cards = []
    for account in accounts:
        code = new_code()
        db.session.add(
            Credential(
                user=account,
                code_hash=hash_code(code),
                issued_on=issued_on,
                issued_by_id=current_user_id(),
                expires_on=expires_on,
            )
        )
        organisation = (organisations or {}).get(account.username) or account.organisation
        cards.append(
            Card(
                organisation=organisation.name_th,
                org_code=organisation.code,
                province=_province_of(organisation).name_th,
                username=account.username,
                code=code,
                expires_on=expires_on,
                url="%s/activate/%s" % (base_url, code),
            )
        )
    record_event("credentials_issued", "%d" % len(cards), ", ".join(card.username for card in cards[:50]))
    return cards


def _province_of(organisation):
    if isinstance(organisation, Province):
        return organisation
    if isinstance(organisation, Lao):
        return organisation.province
    return organisation.lao.province


def _organisations_with_active_accounts(organisations):
    active = set()
    for model, level in LEVEL_OF.items():
        ids = [org.id for org in organisations if isinstance(org, model)]
        column = getattr(LecUser, level + "_id")
        for chunk in range(0, len(ids), 5000):
            active.update(
                (model, org_id)
                for org_id in db.session.scalars(
                    select(column).where(column.in_(ids[chunk : chunk + 5000]), LecUser.active.is_(True))
                )
            )
    return active


def _new_account(username, organisation, roles):
    level = level_of(organisation)
    account = LecUser(
        username=username,
        first_name="ผู้ใช้",
        last_name=organisation.name_th[:64],
        email="%s@lec.invalid" % username,
        active=False,  # until activated: no password opens a disabled account
        password=None,
        org_level=level,
        roles=[roles[level]],
    )
    setattr(account, level, organisation)
    db.session.add(account)
    return account


# -- activation ---------------------------------------------------------------------------------


def usable_credential(code):
    """The credential a code opens, or UnusableCode (one answer for every reason)."""
    credential = db.session.scalar(select(Credential).where(Credential.code_hash == hash_code(code)))
    if (
        credential is None
        or credential.activated_on is not None
        or credential.revoked_on is not None
        or credential.expires_on <= now()
    ):
        raise UnusableCode(_("This activation code cannot be used."))
    return credential


def activate(code, first_name, last_name, position, phone, email, password):
    """Spend the code (exactly once, even under concurrent requests), register the person and
    enable the account. Returns the account, ready to be signed in once the caller commits."""
    credential = usable_credential(code)
    errors = {}
    try:
        check_password(password)
    except Exception as error:  # FAB's PasswordComplexityValidationError
        errors["password"] = str(error)
    taken = db.session.scalar(select(LecUser.id).where(LecUser.email == email, LecUser.id != credential.user_id))
    if taken:
        errors["email"] = _("This e-mail address is already registered.")
    if errors:
        raise Invalid(errors)
    spent = db.session.execute(
        update(Credential)
        .where(Credential.id == credential.id, Credential.activated_on.is_(None), Credential.revoked_on.is_(None))
        .values(activated_on=now())
    )
    if spent.rowcount != 1:
        raise UnusableCode(_("This activation code cannot be used."))
    account = credential.user
    with acting_as(account.id):
        account.first_name, account.last_name = first_name, last_name
        account.position, account.phone, account.email = position, phone, email
        account.password = generate_password_hash(password)
        account.active = True
        account.locked_until = None
        record_event("account_activated", account.username, account.organisation)
        db.session.flush()  # stamped and recorded as the person themselves, not the anonymous request
    return account


# -- the sheet ----------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN, HEADER = 28, 34
COLUMNS, ROWS = 2, 4
CARD_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / COLUMNS
CARD_HEIGHT = (PAGE_HEIGHT - 2 * MARGIN - HEADER) / ROWS
QR_SIZE = 96
TEXT_WIDTH = CARD_WIDTH - QR_SIZE - 26
# Baselines on a card, in points above its bottom edge. Each line's highest tone mark stays clear of
# the deepest tail of the line above (Sarabun reaches 1.28 em up and 0.56 em down; app/pdf.py), and
# lines of one paragraph are thai_leading apart; tests/test_credentials.py checks the printed ink.
TITLE_LINE = 172
NAME_LINE = 153  # a name too long for one line at 7.5 pt wraps to a second, thai_leading(7.5) lower
CODE_LINE = 123
USERNAME_LABEL_LINE, USERNAME_LINE = 107, 93
ACTIVATION_LABEL_LINE, ACTIVATION_LINE = 79, 65
VALID_LABEL_LINE, VALID_LINE = 51, 38
HELP_LINE = 27  # two lines of instructions
URL_LINE = 6


def sheet_styles():
    """The sheet's paragraphs that may run to more than one line, each with lines thai_leading apart
    so that no tone mark touches the line above (app/pdf.py)."""
    register_fonts()
    return {
        "header": style(9, leading=thai_leading(9)),
        "name": style(10.5, True, thai_leading(10.5, BOLD)),
        "instructions": style(7, leading=thai_leading(7)),
    }


def _fitting(text, paragraph_style, smallest=7.5):
    """Thai has no spaces to break at and reportlab breaks inside words: shrink a name to one line
    when it can be read that small, rather than split a syllable."""
    width = pdfmetrics.stringWidth(text, paragraph_style.fontName, paragraph_style.fontSize)
    if width <= TEXT_WIDTH:
        return paragraph_style
    size = max(smallest, paragraph_style.fontSize * TEXT_WIDTH / width * 0.98)
    return ParagraphStyle(
        "fitted", parent=paragraph_style, fontSize=size, leading=thai_leading(size, paragraph_style.fontName)
    )


def _line(c, text, x, baseline, width, paragraph_style):
    """Shaped text whose first line sits on ``baseline`` (reportlab puts it one font size below the top)."""
    return paragraph(c, text, x, baseline + paragraph_style.fontSize, width, paragraph_style)


def _qr_image(url, versions={}):  # noqa: B006 — the cache lives as long as the process
    """One pixel per module, scaled up by the PDF. A fixed mask pattern is as valid as the
    "best" one, and every URL on a sheet has the same length, so the QR version is found once:
    both spare work repeated 8,000 times on a country-wide sheet."""
    qr = qrcode.QRCode(
        version=versions.get(len(url)), error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=0
    )
    qr.add_data(url)
    qr.make(fit=len(url) not in versions)
    versions[len(url)] = qr.version
    matrix = qr.get_matrix()
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    size = len(matrix)
    image = Image.frombytes("L", (size, size), pixels).resize((2 * size, 2 * size), Image.NEAREST)
    return ImageReader(image.convert("1"))


def _card_template(c):
    """What every card shares (labels, instructions), drawn once and reused on every card."""
    c.beginForm("card")
    label = style(8)
    _line(c, _("LEC account"), 10, TITLE_LINE, TEXT_WIDTH, style(8, True))
    _line(c, _("Code"), 10, CODE_LINE, TEXT_WIDTH, style(8.5))
    _line(c, _("Username"), 10, USERNAME_LABEL_LINE, TEXT_WIDTH, label)
    _line(c, _("Activation code"), 10, ACTIVATION_LABEL_LINE, TEXT_WIDTH, label)
    _line(c, _("Valid until"), 10, VALID_LABEL_LINE, TEXT_WIDTH, label)
    _line(
        c,
        _("Scan the QR code, or type the address below (it carries the code) into a browser; then set "
          "your own password and register. The code works once."),
        10, HELP_LINE, CARD_WIDTH - 20, sheet_styles()["instructions"],
    )  # fmt: skip
    c.endForm()


def render_sheet(cards, issued_by):
    """One A4 PDF, eight cut-out cards per page. The header of every page says for whom (only
    organisations whose cards the sheet holds) and by whom the sheet was issued; nothing secret
    appears outside the cards."""
    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(_("LEC credential sheet"))
    c.setAuthor(issued_by)
    _card_template(c)
    styles = sheet_styles()
    header, name_style = styles["header"], styles["name"]
    small = style(8.5)
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(cards) // per_page))
    stamp = format_be_datetime(now())
    issued_to = sheet_holders(cards)
    for page in range(pages):
        paragraph(
            c,
            _("Credential sheet issued to %(to)s by %(by)s on %(when)s — page %(page)d of %(pages)d",
              to=issued_to, by=issued_by, when=stamp, page=page + 1, pages=pages),
            MARGIN, PAGE_HEIGHT - MARGIN, PAGE_WIDTH - 2 * MARGIN, header,
        )  # fmt: skip
        _cut_lines(c)
        for slot, card in enumerate(cards[page * per_page : (page + 1) * per_page]):
            x = MARGIN + (slot % COLUMNS) * CARD_WIDTH
            y = PAGE_HEIGHT - MARGIN - HEADER - (slot // COLUMNS + 1) * CARD_HEIGHT
            _draw_card(c, card, x, y, name_style, small)
        c.showPage()
    c.save()
    return out.getvalue()


def sheet_holders(cards, named=3):
    """Whom the sheet is for, as its header says: the organisations of its first cards (parents come
    before their children), and how many more it holds; never an organisation without a card."""
    names = list({card.org_code: card.organisation for card in cards}.values())
    shown = ", ".join(names[:named])
    if len(names) <= named:
        return shown
    return _("%(names)s and %(count)d more", names=shown, count=len(names) - named)


def _province_form(c, name, paragraph_style):
    """Province names repeat on thousands of cards: shape each once, as a reusable form."""
    form = "province-%d" % (abs(hash(name)) % 10**12)
    if not c.hasForm(form):
        c.saveState()
        c.beginForm(form)
        _line(c, name, 0, 0, CARD_WIDTH, paragraph_style)
        c.endForm()
        c.restoreState()
    return form


def _cut_lines(c):
    c.saveState()
    c.setDash(4, 3)
    c.setLineWidth(0.4)
    top = PAGE_HEIGHT - MARGIN - HEADER
    for column in range(COLUMNS + 1):
        x = MARGIN + column * CARD_WIDTH
        c.line(x, top, x, top - ROWS * CARD_HEIGHT)
    for row in range(ROWS + 1):
        y = top - row * CARD_HEIGHT
        c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    c.restoreState()


def _draw_card(c, card, x, y, name_style, small):
    c.saveState()
    c.translate(x, y)
    c.doForm("card")
    _line(c, card.organisation, 10, NAME_LINE, TEXT_WIDTH, _fitting(card.organisation, name_style))
    c.setFont(REGULAR, 8.5)
    code = "%s ·" % card.org_code
    code_x = 14 + pdfmetrics.stringWidth(_("Code"), REGULAR, 8.5)
    c.drawString(code_x, CODE_LINE, code)
    c.saveState()
    c.translate(code_x + 4 + pdfmetrics.stringWidth(code, REGULAR, 8.5), CODE_LINE)
    c.doForm(_province_form(c, card.province, small))
    c.restoreState()
    c.setFont(BOLD, 12)
    c.drawString(10, USERNAME_LINE, card.username)
    c.setFont("Courier-Bold", 13)
    c.drawString(10, ACTIVATION_LINE, card.code)
    c.setFont(REGULAR, 10)
    c.drawString(10, VALID_LINE, format_be_date(card.expires_on))
    c.drawImage(_qr_image(card.url), CARD_WIDTH - QR_SIZE - 8, CARD_HEIGHT - QR_SIZE - 8, QR_SIZE, QR_SIZE)
    c.setFont("Courier", 5.5)
    c.drawString(10, URL_LINE, card.url)
    c.restoreState()


def issuer_name():
    issuer = db.session.get(LecUser, current_user_id()) if current_user_id() else None
    if issuer is None:
        return _("the command line")
    return "%s %s (%s)" % (issuer.first_name, issuer.last_name, issuer.username)
