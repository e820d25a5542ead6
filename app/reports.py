"""Head-counts, the budget estimate and the printable summary: aggregates over a scope.

Every figure is counted by the database (GROUP BY over the learners of the organisation's schools;
never a Python loop over learners, never Flask-AppBuilder's chart views, which load every row).
Removed learners are never counted. Two bases: the data as entered (every active learner) and
confirmed data, which app/snapshots.py defines: a province's latest snapshot where it has one
(final), else the live learners of the schools that confirmed (provisional, and said so on every
page); the budget is always estimated on confirmed data, its final and provisional baht apart.
A report is for the user's own node or a node inside their subtree; anything else is
``OutOfScope`` (a 404), ancestors included."""

import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import Numeric, and_, case, func, select

from . import choices, pdf
from .context import now
from .errors import OutOfScope
from .extensions import db
from .levels import CENTRAL, LAO, PROVINCE, SCHOOL, key_of
from .models import AcademicYear, BudgetRate, Confirmation, Lao, OtherSchool, Province, School, Student
from .scope import Node, current_node, organisation_in_subtree
from .scope import lao_ids as scope_lao_ids
from .scope import school_ids as scope_school_ids
from .snapshots import confirmed_learners, confirmed_others, difference, standings, total, versions
from .thai import format_be_date, format_be_datetime

ENTERED, CONFIRMED = "entered", "confirmed"
BASES = [(ENTERED, _l("Data as entered")), (CONFIRMED, _l("Confirmed data"))]
COUNTRY = "country"
# The parts one level down, and the column that places a learner's school in one of them.
PARTS = {
    COUNTRY: (Province, Lao.province_id),
    "province": (Lao, School.lao_id),
    "lao": (School, Student.school_id),
    "school": (None, Student.school_id),
}
LEVEL_LABEL = dict(choices.CLASS_LEVELS)
LEVEL_ORDER = {code: position for position, (code, _label) in enumerate(choices.CLASS_LEVELS)}
GROUP_OF_LEVEL = {level: group for group, levels in choices.LEVELS_OF_GROUP.items() for level in levels}
# On the confirmed basis: the column of app/snapshots.py's rows that places them in a part one level down.
PART_COLUMN = {COUNTRY: "province_id", "province": "lao_id", "lao": "school_id", "school": "school_id"}
BAHT = Decimal("1")


def organisation_of(level, org_id, node=None):
    """The organisation whose report is asked for (None: the country, for central users), by the
    one rule for pages that name an organisation (scope.organisation_in_subtree)."""
    node = node or current_node()
    if level == COUNTRY:
        if node.level != CENTRAL:
            raise OutOfScope(level)
        return None
    return organisation_in_subtree(level, org_id, node)


def previous_year(year):
    return db.session.scalar(select(AcademicYear).where(AcademicYear.year == year.year - 1))


def _learners(year_id, level, org_id):
    """Conditions for the learners counted as entered: the year's active learners of the
    organisation's schools."""
    conditions = [Student.academic_year_id == year_id, Student.status == "active"]
    if level != COUNTRY:
        conditions.append(Student.school_id.in_(scope_school_ids(Node(level, org_id))))
    return conditions


def _confirmed_rows(year_id, level, org_id):
    """app/snapshots.py's confirmed learners of the organisation (the country: all of them)."""
    return confirmed_learners(year_id, None if level == COUNTRY else level, org_id)


def _placed(query, key):
    """Join what the part's key needs: a learner's school, and for provinces the school's LAO."""
    if key is Student.school_id:
        return query
    query = query.join(School, School.id == Student.school_id)
    return query.join(Lao, Lao.id == School.lao_id) if key is Lao.province_id else query


def learners_per_part(year_id, level, org_id, basis=ENTERED):
    """{(part id, class level, sex): learners} for the organisation in one query."""
    if basis == CONFIRMED:
        rows = _confirmed_rows(year_id, level, org_id)
        key = rows.c[PART_COLUMN[level]]
        query = select(key, rows.c.class_level, rows.c.sex, total(rows.c.learners))
        query = query.group_by(key, rows.c.class_level, rows.c.sex)
    else:
        _model, key = PARTS[level]
        query = select(key, Student.class_level, Student.sex, func.count()).select_from(Student)
        query = _placed(query, key).where(*_learners(year_id, level, org_id))
        query = query.group_by(key, Student.class_level, Student.sex)
    return {(part, class_level, sex): number for part, class_level, sex, number in db.session.execute(query)}


def final_and_provisional(year_id, level, org_id):
    """(learners of province-confirmed snapshots, learners confirmed below the province only) of
    the organisation on the confirmed basis."""
    rows = _confirmed_rows(year_id, level, org_id)
    found = dict(db.session.execute(select(rows.c.final, total(rows.c.learners)).group_by(rows.c.final)).all())
    return found.get(1, 0), found.get(0, 0)


@dataclass
class Line:
    """One row of a head-count table: male, female, total, and last year's total."""

    male: int = 0
    female: int = 0
    last_year: int | None = None

    @property
    def total(self):
        return self.male + self.female

    @property
    def change(self):
        return None if self.last_year is None else self.total - self.last_year

    def add(self, sex, number):
        if sex == "M":
            self.male += number
        else:
            self.female += number


@dataclass
class HeadCount:
    level: str
    organisation: object
    year: AcademicYear
    basis: str
    last_year: AcademicYear | None
    rows: list = field(default_factory=list)  # (class level code, label, Line)
    total: Line = field(default_factory=Line)
    parts: list = field(default_factory=list)  # (organisation one level down, Line)
    other: "HeadCount | None" = None  # the schools of other affiliations in the area, the same way
    # On the confirmed basis (app/snapshots.py): how confirmed the organisation and each part are,
    # the learners of final and of provisional figures, and the province's snapshot versions.
    standing: object = None
    standings: dict = field(default_factory=dict)  # part id → Standing
    final: int = 0
    provisional: int = 0
    versions: list = field(default_factory=list)
    difference: object = None


def province_id_of(organisation):
    """The province an organisation lies in (None for the country)."""
    if isinstance(organisation, Province):
        return organisation.id
    if isinstance(organisation, Lao):
        return organisation.province_id
    return organisation.lao.province_id if isinstance(organisation, School) else None


def _confirmed_standing(report, level, org_id):
    """Fill in what the confirmed basis adds: standings, final and provisional learners, and for
    an organisation inside a province the province's versions with the difference between the
    latest two, for this organisation."""
    year = report.year
    if report.organisation is not None:
        report.standing = standings([report.organisation], year.id)[report.organisation.id]
        report.versions = versions(province_id_of(report.organisation), year.id, level, org_id)
        if len(report.versions) > 1:
            report.difference = difference(report.versions[-2], report.versions[-1], level, org_id, LEVEL_LABEL)
    report.standings = standings([part for part, _line in report.parts], year.id)
    report.final, report.provisional = final_and_provisional(year.id, level, org_id)


def head_count(level, org_id, year, basis=ENTERED):
    """Learners by class level and sex for the organisation, with last year's totals (on the same
    basis) and the same per part one level down."""
    organisation = organisation_of(level, org_id)
    last = previous_year(year)
    now_counts = learners_per_part(year.id, level, org_id, basis)
    last_counts = learners_per_part(last.id, level, org_id, basis) if last else {}
    previous = 0 if last else None
    by_level, by_part, total = {}, {}, Line(last_year=previous)
    for (part, class_level, sex), number in now_counts.items():
        by_level.setdefault(class_level, Line(last_year=previous)).add(sex, number)
        by_part.setdefault(part, Line(last_year=previous)).add(sex, number)
        total.add(sex, number)
    for (part, class_level, _sex), number in last_counts.items():
        by_level.setdefault(class_level, Line(last_year=0)).last_year += number
        by_part.setdefault(part, Line(last_year=0)).last_year += number
        total.last_year += number
    report = HeadCount(level, organisation, year, basis, last, total=total)
    report.rows = [
        (code, LEVEL_LABEL[code], by_level[code]) for code in sorted(by_level, key=LEVEL_ORDER.get)
    ]
    model, _key = PARTS[level]
    if model is not None:
        parts = db.session.scalars(_parts_of(model, level, org_id)).all()
        report.parts = [(part, by_part.get(part.id, Line(last_year=previous))) for part in parts]
    report.other = other_affiliations(level, org_id, year, basis)
    if basis == CONFIRMED:
        _confirmed_standing(report, level, org_id)
    return report


# -- the same for the schools of other affiliations in an LAO's area (app/models.py, OtherSchool) --------

OTHER_PARTS = {COUNTRY: Lao.province_id, "province": OtherSchool.lao_id, "lao": OtherSchool.name}
OTHER_PART_COLUMN = {COUNTRY: "province_id", "province": "lao_id", "lao": "name"}
SEX_WORDS = {"M": "male", "F": "female"}


@dataclass(frozen=True)
class OtherPart:
    """A school of another affiliation as a confirmed snapshot recorded it."""

    name: str
    affiliation: str


def other_counts(year_id, level, org_id, basis=ENTERED):
    """{part: {(class level, sex): learners}} of the schools of other affiliations that the LAOs
    of the organisation recorded (a part: a province's or LAO's id, or for an LAO the school's
    name); on the confirmed basis as app/snapshots.py defines it."""
    if basis == CONFIRMED:
        rows = confirmed_others(year_id, None if level == COUNTRY else level, org_id)
        key = rows.c[OTHER_PART_COLUMN[level]]
        query = select(key, rows.c.class_level, rows.c.sex, total(rows.c.learners))
        found = {}
        for part, class_level, sex, number in db.session.execute(
            query.group_by(key, rows.c.class_level, rows.c.sex)
        ):
            found.setdefault(part, {})[(class_level, SEX_WORDS[sex])] = number
        return found
    key = OTHER_PARTS[level]
    columns = [func.sum(getattr(OtherSchool, name)) for name in choices.OTHER_SCHOOL_COUNTS]
    query = select(key, *columns).where(OtherSchool.academic_year_id == year_id)
    if key is Lao.province_id:
        query = query.join(Lao, Lao.id == OtherSchool.lao_id)
    if level != COUNTRY:
        query = query.where(OtherSchool.lao_id.in_(scope_lao_ids(Node(level, org_id))))
    found = {}
    for part, *sums in db.session.execute(query.group_by(key)):
        pairs = zip(choices.OTHER_SCHOOL_COUNTS, sums, strict=True)
        found[part] = {tuple(name.rsplit("_", 1)): number or 0 for name, number in pairs}
    return found


def other_affiliations(level, org_id, year, basis=ENTERED):
    """Learners of the schools of other affiliations in the organisation's area by class level and
    sex, with last year's totals, and per part one level down (for an LAO: per school). None for a
    school, which has no area of its own."""
    if level == "school":
        return None
    organisation = organisation_of(level, org_id)
    last = previous_year(year)
    previous = 0 if last else None
    by_level, by_part, total = {}, {}, Line(last_year=previous)
    for part, numbers in other_counts(year.id, level, org_id, basis).items():
        for (class_level, sex), number in numbers.items():
            code = "M" if sex == "male" else "F"
            by_level.setdefault(class_level, Line(last_year=previous)).add(code, number)
            by_part.setdefault(part, Line(last_year=previous)).add(code, number)
            total.add(code, number)
    for part, numbers in (other_counts(last.id, level, org_id, basis) if last else {}).items():
        for (class_level, _sex), number in numbers.items():
            by_level.setdefault(class_level, Line(last_year=0)).last_year += number
            by_part.setdefault(part, Line(last_year=0)).last_year += number
            total.last_year += number
    report = HeadCount(level, organisation, year, basis, last, total=total)
    report.rows = [
        (code, LEVEL_LABEL[code], by_level[code])
        for code in sorted(by_level, key=LEVEL_ORDER.get)
        if by_level[code].total or by_level[code].last_year
    ]
    if level == "lao" and basis == CONFIRMED:
        rows = confirmed_others(year.id, level, org_id)
        parts = [OtherPart(*row) for row in db.session.execute(
            select(rows.c.name, rows.c.affiliation).distinct().order_by(rows.c.name)
        )]  # fmt: skip
    elif level == "lao":
        parts = db.session.scalars(
            select(OtherSchool).where(OtherSchool.lao_id == org_id, OtherSchool.academic_year_id == year.id)
            .order_by(OtherSchool.name)
        ).all()  # fmt: skip
    else:
        parts = db.session.scalars(_parts_of(PARTS[level][0], level, org_id)).all()
    report.parts = [
        (part, by_part.get(part.name if level == "lao" else part.id, Line(last_year=previous))) for part in parts
    ]
    if basis == CONFIRMED and level != "lao":
        report.standings = standings(parts, year.id)
    return report


def _parts_of(model, level, org_id):
    """Every organisation one level down, counted or not (a school with no learner shows 0)."""
    query = select(model).order_by(model.code)
    if level == "province":
        return query.where(Lao.province_id == org_id)
    if level == "lao":
        return query.where(School.lao_id == org_id)
    return query.where(model.id.in_(select(Lao.province_id).distinct()))


def table_of(report):
    """The head-count as header and rows, for the CSV and .xlsx downloads; on the confirmed basis
    each organisation's row also says how it is confirmed."""
    confirmed = report.basis == CONFIRMED

    def status(standing):
        return [standing_text(standing) if standing is not None else ""] if confirmed else []

    header = [_("Class level"), _("Male"), _("Female"), _("Total"), _("Last year"), _("Change")]
    header += [_("Confirmation status")] if confirmed else []
    rows = [[label, line.male, line.female, line.total, line.last_year, line.change, *status(None)]
            for _c, label, line in report.rows]  # fmt: skip
    rows.append([_("Total"), report.total.male, report.total.female, report.total.total, report.total.last_year,
                 report.total.change, *status(report.standing)])  # fmt: skip
    for part, line in report.parts:
        rows.append(["%s (%s)" % (part.name_th, part.code), line.male, line.female, line.total, line.last_year,
                     line.change, *status(report.standings.get(part.id))])  # fmt: skip
    if report.other is not None:
        other = report.other
        rows.append([_("Schools of other affiliations"), "", "", "", "", "", *status(None)])
        rows += [[label, line.male, line.female, line.total, line.last_year, line.change, *status(None)]
                 for _c, label, line in other.rows]  # fmt: skip
        rows.append([_("Total"), other.total.male, other.total.female, other.total.total, other.total.last_year,
                     other.total.change, *status(None)])  # fmt: skip
    return header, rows


# -- the budget estimate ------------------------------------------------------------------------------


def rates_of(year):
    return db.session.scalars(
        select(BudgetRate).where(BudgetRate.academic_year_id == year.id).order_by(BudgetRate.item, BudgetRate.id)
    ).all()


@dataclass
class Amount:
    learners: int = 0
    baht: Decimal = Decimal(0)

    def add(self, learners, baht):
        self.learners += learners
        self.baht += baht


@dataclass
class BudgetItem:
    """One rate: the learners and baht of final (province-confirmed) and of provisional figures."""

    rate: BudgetRate
    final: Amount = field(default_factory=Amount)
    provisional: Amount = field(default_factory=Amount)


@dataclass
class UnratedGroup:
    """Learners of a level group the year has no rate for: listed as such, not counted at 0 baht."""

    level_group: str
    final: Amount = field(default_factory=Amount)
    provisional: Amount = field(default_factory=Amount)


@dataclass
class BudgetPart:
    organisation: object
    standing: object
    final: Decimal = Decimal(0)
    provisional: Decimal = Decimal(0)


@dataclass
class Budget:
    """``total`` counts only final figures (the provinces' snapshots); ``provisional`` is the rest,
    confirmed below the province only, shown apart."""

    level: str
    organisation: object
    year: AcademicYear
    items: list = field(default_factory=list)  # BudgetItem per rate
    unrated: list = field(default_factory=list)  # UnratedGroup per level group with learners and no rate
    parts: list = field(default_factory=list)  # BudgetPart per organisation one level down
    total: Decimal = Decimal(0)
    provisional: Decimal = Decimal(0)
    standing: object = None  # of the organisation itself (None: the country)


def budget(level, org_id, year):
    """Confirmed head-counts (app/snapshots.py) times the year's rates, final and provisional
    apart. Each school's amount for each item is rounded to the baht (money goes to schools);
    every total above is a sum of those. A province returned for correction after a snapshot
    still counts its last snapshot as final: that is the figure it sent up."""
    organisation = organisation_of(level, org_id)
    rows = _confirmed_rows(year.id, level, org_id)
    group = case(GROUP_OF_LEVEL, value=rows.c.class_level)
    per_school = (
        select(rows.c.province_id, rows.c.lao_id, rows.c.school_id, rows.c.final, group.label("level_group"),
               total(rows.c.learners).label("n"))
        .group_by(rows.c.province_id, rows.c.lao_id, rows.c.school_id, rows.c.final, group)
        .subquery()
    )  # fmt: skip
    yearly = func.coalesce(BudgetRate.per_head, BudgetRate.per_day * BudgetRate.days)
    amount = func.round(per_school.c.n * yearly, 0)
    key = per_school.c[PART_COLUMN[level]]
    query = (
        select(key, per_school.c.final, BudgetRate.id, per_school.c.level_group, func.sum(per_school.c.n),
               func.sum(amount, type_=Numeric(18, 2)))
        .select_from(per_school)
        .outerjoin(BudgetRate, and_(BudgetRate.level_group == per_school.c.level_group,
                                    BudgetRate.academic_year_id == year.id))
        .group_by(key, per_school.c.final, BudgetRate.id, per_school.c.level_group)
    )  # fmt: skip
    report = Budget(level, organisation, year)
    report.items = [BudgetItem(rate) for rate in rates_of(year)]
    by_item, by_part = {item.rate.id: item for item in report.items}, {}
    unrated = {group: UnratedGroup(group) for group in choices.codes(choices.LEVEL_GROUPS)}
    for part, final, rate_id, group, learners, baht in db.session.execute(query):
        kind = "final" if final else "provisional"
        if rate_id is None:
            getattr(unrated[group], kind).add(learners, Decimal(0))
            continue
        baht = Decimal(baht).quantize(BAHT, ROUND_HALF_UP)
        getattr(by_item[rate_id], kind).add(learners, baht)
        by_part.setdefault(part, {"final": Decimal(0), "provisional": Decimal(0)})[kind] += baht
    report.unrated = [group for group in unrated.values() if group.final.learners or group.provisional.learners]
    report.total = sum((item.final.baht for item in report.items), Decimal(0))
    report.provisional = sum((item.provisional.baht for item in report.items), Decimal(0))
    if organisation is not None:
        report.standing = standings([organisation], year.id)[organisation.id]
    model, _key = PARTS[level]
    if model is not None:
        parts = db.session.scalars(_parts_of(model, level, org_id)).all()
        standing = standings(parts, year.id)
        report.parts = [BudgetPart(part, standing[part.id], **by_part.get(part.id, {})) for part in parts]
    return report


def standing_text(standing):
    """A standing as one line of a download: how it is confirmed, and whether it is final."""
    return " · ".join(str(words) for words in (standing.text(), standing.note()) if words)


def budget_table(report):
    header = [_("Budget item"), _("Level group"), _("Baht per head per year"), _("Learners (final)"),
              _("Final amount (baht)"), _("Learners (provisional)"), _("Provisional amount (baht)"),
              _("Confirmation status")]  # fmt: skip
    groups = dict(choices.LEVEL_GROUPS)
    rows = [[item.rate.item, str(groups[item.rate.level_group]), item.rate.yearly, item.final.learners,
             item.final.baht, item.provisional.learners, item.provisional.baht, ""]
            for item in report.items]  # fmt: skip
    rows += [[_("No rate set yet"), str(groups[group.level_group]), "", group.final.learners, "",
              group.provisional.learners, "", ""] for group in report.unrated]  # fmt: skip
    status = standing_text(report.standing) if report.standing is not None else ""
    rows.append([_("Total"), "", "", "", report.total, "", report.provisional, status])
    for part in report.parts:
        rows.append(["%s (%s)" % (part.organisation.name_th, part.organisation.code), "", "", "", part.final, "",
                     part.provisional, standing_text(part.standing)])  # fmt: skip
    return header, rows


# Example rates for a new year (the figures). Marked as examples on every screen until
# central replaces them with the real rates.
EXAMPLE_RATES = [
    ("ค่าอาหารกลางวัน (ตัวอย่าง)", "kindergarten", None, 20, 200),
    ("ค่าอาหารกลางวัน (ตัวอย่าง)", "primary", None, 20, 200),
    ("ค่าจัดการเรียนการสอน (ตัวอย่าง)", "kindergarten", 1700, None, None),
    ("ค่าจัดการเรียนการสอน (ตัวอย่าง)", "primary", 1900, None, None),
    ("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "kindergarten", 300, None, None),
    ("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "primary", 360, None, None),
    ("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "lower_secondary", 450, None, None),
    ("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "upper_secondary", 500, None, None),
]


def seed_example_rates(year):
    """Give a year with no rates the example rates (the demo, a fresh installation)."""
    if db.session.scalar(select(func.count(BudgetRate.id)).where(BudgetRate.academic_year_id == year.id)):
        return
    for item, group, per_head, per_day, days in EXAMPLE_RATES:
        db.session.add(BudgetRate(academic_year_id=year.id, item=item, level_group=group, per_head=per_head,
                                  per_day=per_day, days=days, example=True))  # fmt: skip


def _file_name(kind, report):
    return "%s-%s-%s-%d" % (kind, report.level, report.organisation.code if report.organisation else "th",
                            report.year.year)  # fmt: skip


def head_count_file(report):
    """The head-count's file name, sheet title, header and rows, for the CSV and .xlsx downloads."""
    return _file_name("headcount", report), _("Learner head-count"), *table_of(report)


def head_count_pdf(report):
    """The printable summary's file name and the PDF itself."""
    return _file_name("headcount", report) + ".pdf", summary_pdf(report)


def budget_file(report):
    """The budget estimate's file name, sheet title, header and rows, for the CSV and .xlsx downloads."""
    return _file_name("budget", report), _("Budget estimate"), *budget_table(report)


def baht(value):
    """1234567 → "1,234,567" (whole baht)."""
    return "{:,.0f}".format(Decimal(value).quantize(BAHT, ROUND_HALF_UP))


# -- the printable summary ----------------------------------------------------------------------------


def _confirmation(organisation, year):
    if organisation is None:
        return None
    return db.session.scalar(
        select(Confirmation).where(
            Confirmation.academic_year_id == year.id, Confirmation.org_key == key_of(organisation)
        )
    )


def confirmation_text(organisation, year):
    """"Confirmed by … on …", or that it is not confirmed yet, in Thai."""
    confirmation = _confirmation(organisation, year)
    if confirmation is None or confirmation.state != "confirmed":
        return _("Not confirmed yet")
    who = confirmation.confirmed_by
    name = "%s %s" % (who.first_name, who.last_name) if who else "-"
    return _("Confirmed by %(name)s on %(when)s", name=name, when=format_be_datetime(confirmation.confirmed_on))


# The signature block of the filed form, in the department's own wording whatever the screen's language:
# the data officer, then the head of the organisation at the report's level.
OFFICER = "ผู้รับผิดชอบข้อมูล"
SIGNERS = {SCHOOL: "ผู้อำนวยการสถานศึกษา", LAO: "นายก อปท.", PROVINCE: "ผู้ว่าราชการจังหวัด",
           CENTRAL: "อธิบดีกรมส่งเสริมการปกครองท้องถิ่น"}  # fmt: skip


def summary_pdf(report):
    """One A4 page a school, LAO or province prints and files: learners by level and sex, the
    confirmation status, and lines for the signatures of the data officer and the head."""
    pdf.register_fonts()
    normal, bold, title = pdf.style(12), pdf.style(12, bold=True), pdf.style(18, bold=True, leading=26)
    right = pdf.style(12)
    right.alignment = TA_RIGHT
    name = report.organisation.name_th if report.organisation else _("The whole country")
    basis = dict(BASES)[report.basis]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=str(_("Learner head-count summary")))  # fmt: skip

    def cell(text, paragraph_style=normal):
        return pdf.Shaped(str(text), paragraph_style)

    def number(value):
        return cell("" if value is None else "{:,}".format(value), right)

    def counts_table(counted):
        header = [cell(_(label), bold) for label in ("Class level", "Male", "Female", "Total", "Last year", "Change")]
        rows = [header] + [
            [cell(label), number(line.male), number(line.female), number(line.total), number(line.last_year),
             number(line.change)]
            for _code, label, line in counted.rows
        ]  # fmt: skip
        total = counted.total
        rows.append([cell(_("Total"), bold), number(total.male), number(total.female), number(total.total),
                     number(total.last_year), number(total.change)])  # fmt: skip
        table = Table(rows, colWidths=[40 * mm, 22 * mm, 22 * mm, 22 * mm, 30 * mm, 32 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.92, 0.96)),
            ("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.95, 0.95, 0.95)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))  # fmt: skip
        return table

    year_text = _("Academic year %(year)s", year=report.year.year)
    printed = _("Printed on %(date)s", date=format_be_date(now().date()))
    story = [
        cell(_("Learner head-count summary"), title),
        cell("%s" % name, pdf.style(15, bold=True, leading=22)),
        cell("%s · %s · %s" % (year_text, basis, printed)),
        Spacer(1, 4 * mm),
        counts_table(report),
        Spacer(1, 5 * mm),
    ]
    if report.other is not None and report.other.rows:
        story += [cell(_("Schools of other affiliations"), bold), counts_table(report.other), Spacer(1, 5 * mm)]
    last_table = 3 if report.other is not None and report.other.rows else 2  # with its heading, if any
    closing, story = story[-last_table:], story[:-last_table]  # the last total stays with the signatures
    if report.organisation is not None:
        closing.append(cell("%s: %s" % (_("Confirmation status"), confirmation_text(report.organisation, report.year))))
    if report.standing is not None:
        closing.append(cell(standing_text(report.standing)))
    dots = "." * 60
    signatures = [
        [cell("ลงชื่อ %s %s" % (dots, role)), cell("( %s )" % dots), cell("วันที่ ...... / ...... / ...........")]
        for role in (OFFICER, SIGNERS[report.level])
    ]
    closing += [Spacer(1, 18 * mm), Table([[block] for block in signatures], colWidths=[170 * mm],
                                          style=[("BOTTOMPADDING", (0, 0), (-1, -1), 16)])]  # fmt: skip
    story.append(KeepTogether(closing))
    document.build(story)
    return out.getvalue()
