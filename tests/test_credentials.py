"""Credential sheets and activation (app/credentials.py): real PDFs, real QR decoding with zbarimg,
real text extraction with pdftotext, activation through the app."""

import hashlib
import math
import os
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import ImageFont
from sqlalchemy import func, select, update

from app import credentials
from app.context import acting_as
from app.credentials import ALPHABET, Card, hash_code, issue_credentials, printable_base_url, render_sheet
from app.errors import Refused
from app.extensions import db
from app.models import AuditEvent, Credential, Lao, LecUser, Province
from app.pdf import BOLD, FONT_DIR, FONT_FILES, REGULAR

from conftest import close, database_url, login, make_app, visible_text

TOOLS = ["pdftoppm", "pdftotext", "zbarimg"]
if not all(shutil.which(tool) for tool in TOOLS):
    if os.environ.get("CI") == "true":
        pytest.fail("poppler-utils and zbar-tools are required in CI; .ci/run installs them", pytrace=False)
    pytest.skip("pdftoppm, pdftotext or zbarimg missing: credential sheet tests skipped; .ci/run installs them",
                allow_module_level=True)  # fmt: skip

ARTIFACTS = Path(__file__).parent / "artifacts"
NEW_PASSWORD = "Registered-2569!"


def sheet_for(client, view, org_id, action="issue_credentials"):
    response = client.post("/%s/action_post" % view, data={"action": action, "rowid": [str(org_id)]})
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return response.data


def decode_qr_codes(pdf, tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "-q", "--raw", *map(str, pages)], capture_output=True, text=True).stdout
    return pages, found.split()


def text_of(pdf, tmp_path):
    (tmp_path / "text.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", str(tmp_path / "text.pdf"), "-"], capture_output=True, text=True).stdout


def comparable(text):
    """Without spaces, as lines wrap inside words; SARA AM reads back as itself (app/pdf.py)."""
    return re.sub(r"\s+", "", text)


def registration(**changes):
    return {
        "first_name": "สมศรี", "last_name": "ใจงาม", "position": "นักวิชาการศึกษา", "phone": "053-111-222",
        "email": "somsri-%s@lec.example" % uuid.uuid4().hex[:8], "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD, **changes,
    }  # fmt: skip


def province_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Province.id).where(Province.code == code))


@pytest.fixture
def lao_sheet(app, tmp_path):
    """A sheet the LAO officer prints for its own schools (re-issued each time)."""
    client = login(app.test_client(), "lao")
    with app.app_context():
        lao_id = db.session.scalar(select(Lao.id).where(Lao.code == "3500101"))
    return sheet_for(client, "laoview", lao_id, "reissue_all_credentials")


def test_every_qr_on_a_sheet_opens_a_working_activation_for_the_printed_username(app, tmp_path):
    client = login(app.test_client(), "province")
    pdf = sheet_for(client, "provinceview", province_id(app, "50"), "reissue_all_credentials")
    pages, urls = decode_qr_codes(pdf, tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pages[0], ARTIFACTS / "credential-sheet-page-1.png")
    printed = set(re.findall(r"\b[pls]\d{2,10}\b", text_of(pdf, tmp_path)))
    assert len(urls) == len(printed) >= 10  # four LAOs and six schools of เชียงใหม่
    opened = set()
    for url in urls:
        assert url.startswith(app.config["LEC_BASE_URL"] + "/activate/")
        page = app.test_client().get(url[len(app.config["LEC_BASE_URL"]):])
        assert page.status_code == 200
        opened.update(re.findall(r"\b[pls]\d{2,10}\b", visible_text(page.get_data(as_text=True))))
    assert opened == printed
    path = urls[0][len(app.config["LEC_BASE_URL"]):]
    person = app.test_client()
    done = person.post(path, data=registration())
    assert done.status_code == 302
    assert person.get("/studentview/list/").status_code == 200  # signed in
    with app.app_context():
        code_hash = hash_code(path.rsplit("/")[-1])
        credential = db.session.scalar(select(Credential).where(Credential.code_hash == code_hash))
        account = credential.user
        assert account.active and account.position == "นักวิชาการศึกษา"
        name = account.username
    assert login(app.test_client(), name, NEW_PASSWORD)


def header_of(text):
    """Whom the sheet is for, as its header says (between ออกให้ and โดย)."""
    return re.search("ออกให้(.*?)โดย", text).group(1)


def test_the_text_layer_holds_the_thai_names_and_the_header_names_only_those_with_a_card(app, lao_sheet, tmp_path):
    text = comparable(text_of(lao_sheet, tmp_path))
    schools = ["โรงเรียนเทศบาลวัดเกตการาม", "โรงเรียนเทศบาลดอยเงิน", "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่"]
    for name in schools:
        assert comparable(name) in text
    assert header_of(text) == comparable(", ".join(schools))  # not the LAO: its officer prints, it has no card
    assert comparable("โดย เจ้าหน้าที่ เทศบาลนครเชียงใหม่ (lao)") in text
    assert "lec-demo-2569" not in text and "pbkdf2" not in text and "scrypt" not in text


def test_codes_are_random_typeable_long_enough_and_stored_only_as_hashes(app, tmp_path):
    with app.app_context(), acting_as(None):
        lao = db.session.scalar(select(Lao).where(Lao.code == "6500104"))
        cards = issue_credentials([lao], include_active=True)
        db.session.commit()
        assert set(ALPHABET).isdisjoint("0O1IL")
        for card in cards:
            assert re.fullmatch(r"([%s]{4}-){4}[%s]{4}" % (ALPHABET, ALPHABET), card.code)
        assert 20 * math.log2(len(ALPHABET)) >= 80
        stored = db.session.scalars(select(Credential).order_by(Credential.id.desc()).limit(len(cards))).all()
        for card in cards:
            digest = hashlib.sha256(card.code.replace("-", "").encode()).hexdigest()
            assert digest in {credential.code_hash for credential in stored}
            assert all(card.code.replace("-", "") not in str(vars(c)) for c in stored)
        days = app.config["LEC_ACTIVATION_DAYS"]
        assert all(c.expires_on - c.issued_on == timedelta(days=days) for c in stored)


def test_a_never_activated_account_cannot_sign_in_with_any_password(app, lao_sheet):
    client = app.test_client()
    for password in ["", "lec-demo-2569", NEW_PASSWORD]:
        client.post("/login/", data={"username": "s1050130002", "password": password})
        assert client.get("/studentview/list/").status_code == 302, password
    api = client.post("/api/v1/security/login", json={"username": "s1050130002", "password": "x", "provider": "db"})
    assert api.status_code == 401


def unusable_page(app, path, method="get", **kwargs):
    response = getattr(app.test_client(), method)(path, **kwargs)
    assert response.status_code == 404
    return visible_text(response.get_data(as_text=True))


def fresh_code(app, tmp_path, username="s1050130002"):
    """A new code for one account, printed from the LAO officer's account list and read off the QR."""
    client = login(app.test_client(), "lao")
    with app.app_context():
        account_id = db.session.scalar(select(LecUser.id).where(LecUser.username == username))
    pdf = sheet_for(client, "users", account_id, "reissue_credentials")
    _pages, urls = decode_qr_codes(pdf, tmp_path / username)
    assert len(urls) == 1
    return urls[0][len(app.config["LEC_BASE_URL"]):]


def test_unknown_spent_revoked_and_expired_codes_all_get_the_same_thai_page(app, lao_sheet, tmp_path):
    unknown = unusable_page(app, "/activate/AAAA-BBBB-CCCC-DDDD-EEEE")
    assert "รหัสเปิดใช้งานนี้ใช้ไม่ได้" in unknown

    first = fresh_code(app, tmp_path / "1")
    second = fresh_code(app, tmp_path / "2")
    assert unusable_page(app, first) == unknown  # revoked by the re-issue

    assert app.test_client().post(second, data=registration()).status_code == 302
    assert unusable_page(app, second) == unknown  # spent
    assert unusable_page(app, second, "post", data=registration()) == unknown  # and not twice

    third = fresh_code(app, tmp_path / "3", "s2050130001")
    with app.app_context():
        db.session.execute(
            update(Credential).where(Credential.code_hash == hash_code(third.rsplit("/")[-1]))
            .values(expires_on=datetime.now() - timedelta(minutes=1))
        )  # fmt: skip
        db.session.commit()
    assert unusable_page(app, third) == unknown  # expired


def test_a_weak_password_is_refused_and_the_code_stays_usable(app, lao_sheet, tmp_path):
    path = fresh_code(app, tmp_path, "s2050130001")
    response = app.test_client().post(path, data=registration(password="short", conf_password="short"))
    assert response.status_code == 400
    assert "อย่างน้อย 10 ตัวอักษร" in visible_text(response.get_data(as_text=True))
    assert app.test_client().get(path).status_code == 200


def test_a_province_cannot_issue_for_another_province(app):
    client = login(app.test_client(), "province")
    action = {"action": "issue_credentials", "rowid": [province_id(app, "40")]}
    assert client.post("/provinceview/action_post", data=action).status_code == 404
    args = ["lec", "credentials", "--org", "40", "--out", "/dev/null", "--as", "province"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and "scope" in result.output


def test_the_command_line_prints_a_sheet_and_records_the_issuer(app, tmp_path):
    out = tmp_path / "sheet.pdf"
    args = ["lec", "credentials", "--org", "6500104", "--all", "--out", str(out), "--as", "province"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    _pages, urls = decode_qr_codes(out.read_bytes(), tmp_path)
    assert len(urls) == 2  # the LAO and its centre
    with app.app_context():
        province_user = app.appbuilder.sm.find_user(username="province")
        latest = db.session.scalar(select(Credential).order_by(Credential.id.desc()).limit(1))
        assert latest.issued_by_id == province_user.id
        assert db.session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "credentials_issued", AuditEvent.actor_id == province_user.id
            )
        )


def test_the_overview_shows_who_has_not_activated_yet(app, lao_sheet, as_user, tmp_path):
    fresh_code(app, tmp_path, "s1050130002")  # replaces the code the sheet printed
    listing = as_user("province").get("/credentialview/list/?psize_CredentialView=100")
    page = visible_text(listing.get_data(as_text=True))
    assert "s1050130002" in page and "รอเปิดใช้งาน" in page and "ถูกแทนที่ด้วยรหัสใหม่" in page


def test_the_overview_re_issues_for_who_has_not_registered(app, lao_sheet, tmp_path):
    client = login(app.test_client(), "lao")
    with app.app_context():
        waiting = db.session.scalar(
            select(Credential.id).join(LecUser, Credential.user_id == LecUser.id).where(
                LecUser.username == "s2050130001", Credential.revoked_on.is_(None), Credential.activated_on.is_(None)
            )
        )
    _pages, urls = decode_qr_codes(sheet_for(client, "credentialview", waiting, "reissue_credentials"), tmp_path)
    assert len(urls) == 1
    page = app.test_client().get(urls[0][len(app.config["LEC_BASE_URL"]) :])
    assert "s2050130001" in visible_text(page.get_data(as_text=True))


def test_activation_is_rate_limited(tmp_path):
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, LEC_ACTIVATION_RATE_LIMIT="3 per minute")
        client = app.test_client()
        codes = [client.get("/activate/AAAA-BBBB-CCCC-DDDD-%04d" % n).status_code for n in range(5)]
        assert codes[:3] == [404, 404, 404] and 429 in codes
        close(app)


def test_render_sheet_paginates_eight_cards_a_page(app, tmp_path):
    with app.app_context():
        cards = [
            Card("โรงเรียนทดสอบ %d" % n, "%010d" % n, "เชียงใหม่", "s%010d" % n, "AAAA-BBBB-CCCC-DDDD-EEEE",
                 datetime.now(), "http://x/activate/%d" % n)
            for n in range(17)
        ]  # fmt: skip
        pdf = render_sheet(cards, "ผู้ทดสอบ")
    pages, urls = decode_qr_codes(pdf, tmp_path)
    assert len(pages) == 3 and len(urls) == 17
    headers = re.findall("ออกให้(.*?)โดย", comparable(text_of(pdf, tmp_path)))
    assert headers == [comparable("โรงเรียนทดสอบ 0, โรงเรียนทดสอบ 1, โรงเรียนทดสอบ 2 และอีก 14 แห่ง")] * 3


CONSONANTS = [chr(c) for c in range(0x0E01, 0x0E2F)]
UPPER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37"  # ั ิ ี ึ ื (็ takes no tone mark)
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b\u0e4c"  # ่ ้ ๊ ๋ ์
LOWER_VOWELS = "\u0e38\u0e39\u0e3a"  # ุ ู ฺ


def thai_ink(font_name):
    """How far Thai ink reaches, in em, as HarfBuzz shapes it (Pillow's raqm layout): up to the top of
    the highest tone mark over an upper vowel, down to the bottom of the deepest lower vowel or tail."""
    font = ImageFont.truetype(str(FONT_DIR / FONT_FILES[font_name]), 1000, layout_engine=ImageFont.Layout.RAQM)
    stacks = [c + v + t for c in CONSONANTS for v in UPPER_VOWELS for t in TONE_MARKS]
    stacks += [c + "\u0e47" for c in CONSONANTS]  # ็ alone
    tails = [c + v for c in CONSONANTS for v in LOWER_VOWELS] + CONSONANTS
    top = max(-font.getbbox(text, anchor="ls")[1] for text in stacks)
    depth = max(font.getbbox(text, anchor="ls")[3] for text in tails)
    return top / 1000, depth / 1000


def test_lines_on_the_sheet_are_far_enough_apart_that_no_tone_mark_touches_the_line_above(app):
    """Every paragraph of the sheet that can wrap (the header, an organisation's name, also when shrunk
    to fit, the instructions) sets its lines further apart than the highest tone mark of a line and
    the deepest tail of the line above reach together: reportlab's usual 1.2 × (12.5 pt for a 10.5 pt
    name) lets ฟื้ under ปู reach into the line above."""
    reach = {name: sum(thai_ink(name)) for name in FONT_FILES}
    assert 1.5 < reach[REGULAR] <= reach[BOLD] < 2
    with app.app_context():
        styles = credentials.sheet_styles()
        styles["shrunk name"] = credentials._fitting("องค์การบริหารส่วนตำบลปู่เจ้าสมิงพรายฟื้นฟู" * 3, styles["name"])
    assert styles["shrunk name"].fontSize < styles["name"].fontSize
    for name, paragraph_style in styles.items():
        assert paragraph_style.leading >= reach[paragraph_style.fontName] * paragraph_style.fontSize, name


# -- where the QR codes point: LEC_BASE_URL -------------------------------------------------------

UNREACHABLE = ["", "   ", "lec.dla.go.th", "ftp://lec.dla.go.th", "http://127.0.0.1:8080", "http://127.9.9.9",
               "https://localhost/", "http://LOCALHOST:8080", "http://app.localhost", "http://[::1]:8080",
               "http://[::ffff:127.0.0.1]", "http://0.0.0.0:8080"]  # fmt: skip
REFUSAL = "ยังพิมพ์ใบรหัสผู้ใช้ไม่ได้"


def issuing_state(app):
    """What issuing would change: codes (new, revoked), accounts, and the record of issuing."""
    with app.app_context():
        count = lambda query: db.session.scalar(select(func.count()).select_from(query.subquery()))  # noqa: E731
        return (
            count(select(Credential.id)),
            count(select(Credential.id).where(Credential.revoked_on.is_(None))),
            count(select(LecUser.id)),
            count(select(AuditEvent.id).where(AuditEvent.action == "credentials_issued")),
        )


def account_id(app, username):
    with app.app_context():
        return db.session.scalar(select(LecUser.id).where(LecUser.username == username))


@pytest.mark.parametrize("base_url", UNREACHABLE)
def test_an_address_users_cannot_reach_is_refused_in_thai_saying_what_to_set(app, monkeypatch, base_url):
    monkeypatch.setitem(app.config, "LEC_BASE_URL", base_url)
    with app.app_context():
        with pytest.raises(Refused) as refused:
            printable_base_url()
        assert REFUSAL in str(refused.value) and "ผู้ดูแลระบบ" in str(refused.value)
        assert "LEC_BASE_URL" in str(refused.value)


@pytest.mark.parametrize("base_url", ["https://lec.dla.go.th/", "http://10.1.2.3:8080", "https://lec.example.go.th/lec"])
def test_an_address_users_reach_is_printed_as_set(app, monkeypatch, base_url):
    monkeypatch.setitem(app.config, "LEC_BASE_URL", base_url)
    with app.app_context():
        assert printable_base_url() == base_url.rstrip("/")


def test_every_path_that_prints_a_sheet_refuses_a_loopback_address_and_leaves_everything_as_it_was(
    app, monkeypatch, tmp_path
):
    client = login(app.test_client(), "province")
    with app.app_context():
        waiting = db.session.scalar(select(Credential.id).order_by(Credential.id.desc()).limit(1))
    for base_url in ["", "http://127.0.0.1:8080"]:
        monkeypatch.setitem(app.config, "LEC_BASE_URL", base_url)
        before = issuing_state(app)
        for view, action, row in [
            ("provinceview", "issue_credentials", province_id(app, "50")),
            ("provinceview", "reissue_all_credentials", province_id(app, "50")),
            ("users", "reissue_credentials", account_id(app, "lao")),
            ("credentialview", "reissue_credentials", waiting),
        ]:
            response = client.post("/%s/action_post" % view, data={"action": action, "rowid": [str(row)]})
            assert response.status_code == 302 and response.mimetype != "application/pdf", (view, action)
            shown = visible_text(client.get(response.location).get_data(as_text=True))
            assert REFUSAL in shown and "LEC_BASE_URL" in shown, (view, action)
            assert issuing_state(app) == before, (view, action)
        out = tmp_path / "sheet.pdf"
        args = ["lec", "credentials", "--org", "50", "--all", "--out", str(out), "--as", "province"]
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code != 0 and REFUSAL in result.output
        assert not out.exists() and issuing_state(app) == before
        with app.app_context(), acting_as(account_id(app, "province")):
            with pytest.raises(Refused):
                issue_credentials([db.session.get(Province, province_id(app, "50"))], include_active=True)
            db.session.rollback()
        assert issuing_state(app) == before


def test_the_demo_prints_sheets_that_point_at_its_own_loopback_address(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "LEC_DEMO", True)
    monkeypatch.setitem(app.config, "LEC_BASE_URL", "http://127.0.0.1:8080/")
    out = tmp_path / "sheet.pdf"
    args = ["lec", "credentials", "--org", "6500104", "--all", "--out", str(out), "--as", "province"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    _pages, urls = decode_qr_codes(out.read_bytes(), tmp_path)
    assert urls and all(url.startswith("http://127.0.0.1:8080/activate/") for url in urls)


def test_outside_the_demo_lec_base_url_defaults_to_unset(monkeypatch):
    import importlib

    import config

    try:
        monkeypatch.delenv("LEC_BASE_URL", raising=False)
        monkeypatch.delenv("LEC_DEMO", raising=False)
        assert importlib.reload(config).LEC_BASE_URL == ""
        monkeypatch.setenv("LEC_DEMO", "1")  # make run
        assert importlib.reload(config).LEC_BASE_URL == "http://127.0.0.1:8080"
    finally:
        monkeypatch.undo()
        importlib.reload(config)
