"""The user guide: one Thai guide per role (app/guide/th/*.md, a short English version of each in
app/guide/en/), kept as Markdown so that someone who is not a developer can edit it. The app renders
it at /help, links every screen to the section that explains it, and prints it as one PDF.

The pictures (app/guide/images/) are taken by the browser tests (tests/browsing.py `guide_shot`),
so they show the screens as they are; tests/test_manual.py fails on a picture no test takes."""

import copy
import io
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import markdown
from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    ListFlowable,
    ListItem,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from . import pdf
from .caches import kept_for
from .pdf import Shaped
from .roles import ROLE_CENTRAL, ROLE_LAO, ROLE_MANAGER, ROLE_PROVINCE, ROLE_SCHOOL
from .thai import format_be_date

GUIDE = Path(__file__).parent / "guide"
IMAGES = GUIDE / "images"
LANGUAGES = ("th", "en")
# Every guide, most readers first: the order of /help's list and of the printed guide.
GUIDES = ("school", "lao", "province", "central", "manager")
ROLE_GUIDES = {
    ROLE_SCHOOL: "school", ROLE_LAO: "lao", ROLE_PROVINCE: "province", ROLE_CENTRAL: "central", ROLE_MANAGER: "manager"
}  # fmt: skip

# The section that explains each screen: the target of the "วิธีใช้" link in its header, by the view
# (the first part of the endpoint). A screen not listed links to the top of the reader's guide.
SCREENS = {
    "HomeView": "start",
    "ActivationView": "activate",
    "AuthDBView": "activate",
    "ForgotPasswordView": "activate",
    "ResetMyPasswordView": "activate",
    "NotificationView": "notifications",
    "StudentView": "learners",
    "ImportView": "import",
    "RemovedStudentView": "removed",
    "LearnersView": "rollover",
    "TransfersView": "transfers",
    "SchoolView": "schools",
    "LaoView": "laos",
    "ProvinceView": "provinces",
    "AcademicYearView": "years",
    "WorkflowView": "board",
    "ExceptionView": "exceptions",
    "CredentialView": "credentials",
    "LecUserView": "accounts",
    "LecRoleView": "accounts",
    "QualityView": "quality",
    "ReportView": "reports",
    "BudgetRateView": "budget",
    "ChartView": "charts",
    "SpotCheckView": "spot-checks",
    "SpotCheckPage": "spot-checks",
    "SpotCheckItemView": "spot-checks",
    "OtherSchoolView": "other-schools",
    "NoOtherSchoolsView": "other-schools",
    "SchoolProfileView": "profile",
    "SchoolBuildingView": "profile",
    "HistoryView": "history",
    "AuditEventView": "history",
}
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")


@dataclass(frozen=True)
class Guide:
    key: str
    language: str
    title: str
    html: Markup
    sections: tuple  # (id, heading) of each `## heading {#id}`, in order
    images: tuple  # the picture file names, in order of appearance
    tree: object  # the parsed document (ElementTree), for the PDF


class _KeepTree(Treeprocessor):
    """Keeps a copy of the parsed document for the PDF, then points each picture at /help/images/."""

    def run(self, root):
        self.md.lec_tree = copy.deepcopy(root)
        for img in root.iter("img"):
            img.set("src", "images/" + img.get("src", ""))
            img.set("class", "img-responsive img-thumbnail")
            img.set("loading", "lazy")


def _parse(text):
    md = markdown.Markdown(extensions=["attr_list", "sane_lists"])
    md.treeprocessors.register(_KeepTree(md), "lec_keep_tree", -1)  # after every inline pattern ran
    return md.convert(text), md.lec_tree


def _text(element):
    return "".join(element.itertext()).strip()


@lru_cache(maxsize=32)
def _load(path, _modified):
    html, tree = _parse(path.read_text(encoding="utf-8"))
    titles = [_text(h) for h in tree.iter("h1")]
    sections = tuple((h.get("id"), _text(h)) for h in tree.iter("h2"))
    images = tuple(img.get("src") for img in tree.iter("img"))
    return titles[0] if titles else path.stem, Markup(html), sections, images, tree


def guide(key, language="th"):
    """The guide `key` in `language` (Thai when that language has no such file), read again when
    its file changes, so an edit shows without a restart."""
    path = GUIDE / language / (key + ".md")
    if not path.exists():
        language, path = "th", GUIDE / "th" / (key + ".md")
    title, html, sections, images, tree = _load(path, path.stat().st_mtime_ns)
    return Guide(key, language, title, html, sections, images, tree)


def language():
    return "en" if str(get_locale() or "th").startswith("en") else "th"


def guide_of(user):
    """The guide of the user's role; a visitor who has not signed in (a clerk with a new QR sheet)
    gets the schools' guide, which most readers need."""
    theirs = {ROLE_GUIDES[role.name] for role in getattr(user, "roles", None) or () if role.name in ROLE_GUIDES}
    return next((key for key in GUIDES if key in theirs), "school")


def written():
    """The guides whose Thai file is there: a file someone removed by mistake takes its screens'
    links elsewhere, and out of the PDF, instead of breaking them."""
    return [key for key in GUIDES if (GUIDE / "th" / (key + ".md")).exists()]


def guides_for(user):
    """Every written guide, the user's own first."""
    own = guide_of(user)
    return sorted(written(), key=lambda key: key != own)


HELP_LINKS = {}  # (section, language, the reader's own guide) → (expires, the guide that explains it)
GUIDE_CHECK_SECONDS = 5  # how soon an edited, added or removed guide file moves the help links


def help_link(endpoint=None, user=None):
    """Where the "วิธีใช้" link of the screen at `endpoint` (the current one by default) leads: that
    screen's section in the user's own guide, or in the first other guide that explains it. Which
    guide that is, is kept for a few seconds: finding it looks at every guide's file."""
    section = SCREENS.get((endpoint or request.endpoint or "").split(".")[0])
    user, lang = user or current_user, language()

    def explaining():
        return next((key for key in guides_for(user) if section and section in dict(guide(key, lang).sections)), None)

    key = kept_for(HELP_LINKS, (section, lang, guide_of(user)), GUIDE_CHECK_SECONDS, explaining, limit=1000)
    return url_for("HelpView.show", key=key, _anchor=section) if key else url_for("HelpView.index")


def problems(item):
    """What is wrong with a guide as written: headings without an id, an id twice, a picture that
    is missing or misnamed. Empty when it can be served and printed."""
    found = []
    ids = [section_id for section_id, _heading in item.sections]
    found += ["%s: a section without an id ({#…})" % heading for section_id, heading in item.sections if not section_id]
    found += ["id %s twice" % section_id for section_id in sorted(set(ids)) if ids.count(section_id) > 1]
    for name in item.images:
        if not IMAGE_NAME.match(name):
            found.append("picture %r: a plain file name like learner-form.png" % name)
        elif not (IMAGES / name).exists():
            found.append("picture %s does not exist" % name)
    return found


# ---------------------------------------------------------------------------------------------
# The printed guide.


def _inline(element):
    """An element's text and inline children as reportlab paragraph markup."""
    tags = {"strong": "b", "b": "b", "em": "i", "i": "i"}
    parts = [escape((element.text or "").replace("\n", " "))]
    for child in element:
        inner = _inline(child)
        if child.tag in tags:
            inner = "<{0}>{1}</{0}>".format(tags[child.tag], inner)
        elif child.tag == "code":
            inner = '<font backColor="#eeeeee">%s</font>' % inner
        elif child.tag == "br":
            inner = "<br/>"
        parts.append(inner + escape((child.tail or "").replace("\n", " ")))
    return "".join(parts)


class _Styles:
    def __init__(self):
        pdf.register_fonts()
        self.title = pdf.style(24, bold=True, leading=34)
        self.h1 = pdf.style(20, bold=True, leading=30)
        self.h2 = pdf.style(16, bold=True, leading=24)
        self.h3 = pdf.style(14, bold=True, leading=20)
        self.body = pdf.style(13, leading=19)
        self.quote = pdf.style(13, leading=19)
        self.caption = pdf.style(11, leading=15)
        for heading in (self.h1, self.h2, self.h3):
            heading.spaceBefore, heading.spaceAfter, heading.keepWithNext = 8, 4, 1
        self.body.spaceAfter = 4
        self.caption.textColor = colors.dimgrey


class _Heading(Shaped):
    """A heading that adds itself to the PDF's outline (the bookmarks a reader clicks)."""

    def __init__(self, text, style, level, key):
        super().__init__(text, style)
        self.outline = (level, key, re.sub(r"<[^>]+>", "", text))

    def draw(self):
        super().draw()
        level, key, text = self.outline
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)


def _blocks(element, styles, width, key):
    """The flowables of one parsed guide, block by block."""
    story = []
    for child in element:
        tag = child.tag
        if tag == "h1":
            story.append(_Heading(_inline(child), styles.h1, 0, key))
        elif tag == "h2":
            story.append(_Heading(_inline(child), styles.h2, 1, "%s-%s" % (key, child.get("id"))))
        elif tag in ("h3", "h4"):
            story.append(Shaped(_inline(child), styles.h3))
        elif tag == "p":
            story += _paragraph(child, styles, width)
        elif tag in ("ol", "ul"):
            items = [ListItem(_item(li, styles, width - 10 * mm, key), leftIndent=8 * mm) for li in child]
            if tag == "ol":
                numbering = dict(bulletType="1", bulletFormat="%s.", start=int(child.get("start", 1)))
            else:
                numbering = dict(bulletType="bullet", start="•")
            story.append(ListFlowable(items, bulletFontName=pdf.REGULAR, bulletFontSize=13, leftIndent=8 * mm,
                                      **numbering))  # fmt: skip
        elif tag == "blockquote":
            inner = _blocks(child, styles, width - 12 * mm, key)
            box = Table([[inner]], colWidths=[width], style=[
                ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.94, 0.96, 1)),
                ("LINEBEFORE", (0, 0), (0, -1), 3, colors.Color(0.3, 0.45, 0.75)),
                ("LEFTPADDING", (0, 0), (-1, -1), 6 * mm),
            ])  # fmt: skip
            story += [box, Spacer(1, 3 * mm)]
        elif tag == "hr":
            story.append(Spacer(1, 4 * mm))
    return story


def _paragraph(element, styles, width):
    """A paragraph of the element's own text, then the pictures in it."""
    text = [Shaped(_inline(element), styles.body)] if _text(element) else []
    return text + [_picture(img, styles, width) for img in element.iter("img")]


def _item(li, styles, width, key):
    """A list item: its own words and pictures, then what is nested in it (paragraphs, lists)."""
    nested = [child for child in li if child.tag in ("p", "ol", "ul", "blockquote")]
    own = copy.copy(li)
    for child in nested:
        own.remove(child)
    wrapper = ElementTree.Element("div")
    wrapper.extend(nested)
    return _paragraph(own, styles, width) + _blocks(wrapper, styles, width, key)


def _picture(img, styles, width):
    """The picture, framed, with its description beneath; one table row, so the two never part
    across a page (reportlab's KeepTogether cannot sit inside a list item)."""
    path = IMAGES / img.get("src", "")
    picture = Image(str(path))
    scale = min(1.0, 0.85 * width / picture.imageWidth)  # two pictures and their steps fit a page
    picture.drawWidth, picture.drawHeight = picture.imageWidth * scale, picture.imageHeight * scale
    flush = [(side, (0, 0), (-1, -1), 0) for side in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")]
    framed = Table([[picture]], style=[("BOX", (0, 0), (-1, -1), 0.5, colors.grey), *flush])
    caption = Shaped(escape(img.get("alt", "")), styles.caption)
    return Table([[[framed, caption]]], style=[*flush, ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
                                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm)])  # fmt: skip


def _page_number(canvas, document):
    canvas.saveState()
    canvas.setFont(pdf.REGULAR, 10)
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(document.page))
    canvas.restoreState()


def guide_pdf():
    """The whole guide, every role's part, as one A4 PDF in Sarabun in the reader's language: for
    printing and for the letter to the provinces. Built again only when a guide or a picture
    changed (or the day, which the cover prints)."""
    files = sorted([*GUIDE.glob("*/*.md"), *IMAGES.glob("*.png")])
    return _guide_pdf(language(), tuple((str(path), path.stat().st_mtime_ns) for path in files), date.today())


@lru_cache(maxsize=4)
def _guide_pdf(lang, _files, today):
    styles = _Styles()
    out = io.BytesIO()
    title = _("LEC user guide")
    system = _("Local Education Center information system")
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=title, author=system, lang=lang)  # fmt: skip
    guides = [guide(key, lang) for key in written()]
    story = [
        Spacer(1, 60 * mm),
        Shaped(escape(title), styles.title),
        Shaped(escape(system), styles.h2),
        Shaped(escape(_("Printed on %(date)s", date=format_be_date(today))), styles.body),
        Spacer(1, 10 * mm),
        Shaped(escape(_("Contents")), styles.h3),
    ]
    story += [Shaped("%d. %s" % (n, escape(item.title)), styles.body) for n, item in enumerate(guides, 1)]
    for item in guides:
        story.append(PageBreak())
        story += _blocks(item.tree, styles, document.width, item.key)
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()
