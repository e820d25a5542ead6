"""Validation of learners' data: the rules every entry point shares.

Per-field checks return the cleaned value or raise ``Invalid``; ``validate`` checks a
whole row and runs again when rows are flushed, so the importer and the command line cannot
store what the forms and the REST API refuse."""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    distinct,
    extract,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from stdnum import exceptions as stdnum_errors
from stdnum.th import pin

from . import choices, labels
from .errors import Invalid
from .extensions import db
from .levels import LAO, PROVINCE, SCHOOL, org_key
from .models import (
    BUILT_YEARS_BE,
    CODED_COLUMNS,
    PROFILE_COUNTS,
    AcademicYear,
    Lao,
    OtherSchool,
    Province,
    QualityExplanation,
    QualityFinding,
    School,
    SchoolBuilding,
    SchoolProfile,
    Student,
)
from .scope import Node
from .scope import school_ids as scope_school_ids

G_CODE = re.compile(r"^G\d{12}$")


def clean_national_id(value, field="id_number"):
    """13 digits with the check digit of the civil registry. Numbers starting with 0 (people
    without Thai civil registration) carry the same check digit, so they pass too."""
    number = pin.compact(value or "")
    try:
        return pin.validate(number)
    except stdnum_errors.InvalidLength:
        raise Invalid({field: _("A national ID has 13 digits.")}) from None
    except stdnum_errors.InvalidFormat:
        raise Invalid({field: _("A national ID may contain digits only.")}) from None
    except stdnum_errors.InvalidComponent:
        if number[0] == "0" and number[-1] == pin.calc_check_digit(number):
            return number
        raise Invalid({field: _("A national ID cannot start with %(digit)s.", digit=number[0])}) from None
    except stdnum_errors.InvalidChecksum:
        raise Invalid({field: _("The check digit of this national ID is wrong.")}) from None


def clean_g_code(value, field="id_number"):
    """G + 2-digit Buddhist-era year + 2-digit province code + 8-digit running number."""
    code = re.sub(r"[\s-]", "", value or "").upper()
    if not G_CODE.match(code):
        raise Invalid({field: _("A G code is the letter G followed by 12 digits, e.g. G644200000001.")})
    return code


def clean_identifier(kind, value, field="id_number"):
    if kind == "g_code":
        return clean_g_code(value, field)
    return clean_national_id(value, field)


def check_birth_date(value, field="birth_date", today=None):
    if value is not None and value > (today or date.today()):
        raise Invalid({field: _("The birth date cannot be in the future.")})
    return value


REQUIRED_STUDENT_FIELDS = (
    "academic_year",
    "school",
    "id_number",
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "class_level",
)


# Head-counts, never below zero.
COUNTED_COLUMNS = {OtherSchool: choices.OTHER_SCHOOL_COUNTS, SchoolProfile: PROFILE_COUNTS}


def check_codes(item):
    """Coded columns hold one of their codes (or nothing, where the column allows it)."""
    errors = {}
    for field, options in CODED_COLUMNS.get(type(item), {}).items():
        value = getattr(item, field)
        if value is not None and value not in choices.codes(options):
            errors[field] = _("Must be one of: %(codes)s.", codes=", ".join(c for c in choices.codes(options) if c))
    return errors


def validate(item):
    """Every rule for one row; raises Invalid naming each bad field."""
    errors = check_codes(item)
    for field in COUNTED_COLUMNS.get(type(item), ()):
        if (getattr(item, field) or 0) < 0:
            errors[field] = _("A count cannot be below zero.")
    built = item.built_year_be if isinstance(item, SchoolBuilding) else None
    if built is not None and not BUILT_YEARS_BE[0] <= built <= BUILT_YEARS_BE[1]:
        errors["built_year_be"] = _("A Buddhist-era year, e.g. 2545.")
    if isinstance(item, Student):
        errors.update(student_errors(item))
    if isinstance(item, AcademicYear):
        errors.update(academic_year_errors(item))
    if errors:
        raise Invalid(errors)


YEAR_DATES = ["entry_opens", "school_deadline", "lao_deadline", "province_deadline"]


def check_year_date(earlier, value, field):
    """A year's dates follow the order of the work: entry opens, then schools, LAOs and provinces
    confirm. ``earlier`` is the date before ``field`` in YEAR_DATES."""
    if earlier and value and value < earlier:
        before = labels.ACADEMIC_YEAR[YEAR_DATES[YEAR_DATES.index(field) - 1]]
        raise Invalid({field: _("Must not be earlier than the %(date)s.", date=before)})
    return value


def check_one_current_year(year_be, is_current, field="is_current"):
    """One year is current; the database's unique index refuses a second one too, but only as a
    "duplicate"."""
    if is_current:
        with db.session.no_autoflush:
            current = db.session.scalar(
                select(AcademicYear.year).where(AcademicYear.is_current, AcademicYear.year != year_be)
            )
        if current is not None:
            raise Invalid({field: _("Academic year %(year)s is the current year: make it not current first.",
                                    year=current)})  # fmt: skip
    return is_current


def academic_year_errors(year):
    errors = {}
    checks = [(check_year_date, getattr(year, earlier), getattr(year, field), field)
              for earlier, field in zip(YEAR_DATES, YEAR_DATES[1:], strict=False)]  # fmt: skip
    for check, *arguments in checks + [(check_one_current_year, year.year, year.is_current, "is_current")]:
        try:
            check(*arguments)
        except Invalid as error:
            errors.update(error.errors)
    return errors


def student_errors(student):
    """Normalises the learner's identifier; returns what must never be stored."""
    errors = {}
    for field in REQUIRED_STUDENT_FIELDS:
        value = getattr(student, field)
        if value is None and field in ("academic_year", "school"):
            value = getattr(student, field + "_id")  # set by id, as importers do
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = _("This field is required.")
    if "id_number" not in errors:
        try:
            student.id_number = clean_identifier(student.id_kind, student.id_number)
        except Invalid as error:
            errors.update(error.errors)
    try:
        check_birth_date(student.birth_date)
    except Invalid as error:
        errors.update(error.errors)
    return errors


def refuse_invalid_rows(session, flush_context, instances):
    """The last line: whatever entry point wrote the row, the rules hold when it is stored.
    A row carried over from an earlier system is checked only where it is being changed."""
    for obj in session.new:
        validate(obj)
    for obj in session.dirty:
        changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
        try:
            validate(obj)
        except Invalid as error:
            errors = {field: message for field, message in error.errors.items() if field in changed}
            if errors:
                raise Invalid(errors) from None


# -- data-quality checks over a whole scope ------------------------------------------------------
#
# Each check is one SQL query over the active learners of a year in a set of schools; together
# they form one UNION ALL of findings (rule, learner, school, other school), so a province or the
# whole country is checked by the database, never row by row in Python. Errors block a school's
# confirmation; warnings need a written explanation (QualityExplanation) first.

ERROR, WARNING = "error", "warning"
AGE_GAP = 2  # years from the expected age for the class level before it is worth a look
SHARED_PHONE_LIMIT = 5  # learners of one school giving the same guardian telephone
HEADCOUNT_CHANGE = 20  # per cent, up or down from last year
CDC_AGES = (2, 5)
# Full years of age on 16 May for each class level (DESIGN.md §3: ป.1 in the 7th year of age).
EXPECTED_AGE = {
    "k1": 3, "k2": 4, "k3": 5,
    **{"p%d" % n: 5 + n for n in range(1, 7)},
    **{"m%d" % n: 11 + n for n in range(1, 7)},
    **{"v%d" % n: 14 + n for n in range(1, 4)},
}  # fmt: skip


# What a write changes, and so where the stored findings of a check are recomputed (see
# keep_findings_current): the written learners themselves, every learner sharing an identifier
# with them, or their whole schools.
LEARNER, IDENTIFIER, SCHOOL_WIDE = "learner", "identifier", "school"


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    message: object  # what the school reads, in Thai
    query: object  # (year, schools, only) -> SELECT learner id, school id, other school id
    kept_by: str = LEARNER


def _within(column, schools):
    return true() if schools is None else column.in_(schools)


def _active(year, schools, only=()):
    """The active learners of the year in the schools; ``only``: conditions on Student that narrow
    them further (the learners a write concerns)."""
    return (
        Student.academic_year_id == year.id,
        Student.status == "active",
        _within(Student.school_id, schools),
        *only,
    )


def _learners_where(*conditions):
    def query(year, schools, only=()):
        return select(Student.id, Student.school_id, cast(null(), Integer)).where(
            *_active(year, schools, only), *conditions
        )

    return query


def _blank(column):
    return func.coalesce(func.trim(column), "") == ""


def _check_digit_wrong():
    digit = [cast(func.substr(Student.id_number, i + 1, 1), Integer) for i in range(13)]
    total = sum(digit[i] * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 != digit[12]


def _age_on_16_may(year):
    born = Student.birth_date
    after_16_may = extract("month", born) * 100 + extract("day", born) > 516
    return (year.year - 543) - extract("year", born) - case((after_16_may, 1), else_=0)


def _same_learner_in_two_schools(year, schools, only=()):
    other = aliased(Student)
    return (
        select(Student.id, Student.school_id, other.school_id)
        .join(
            other,
            and_(
                other.academic_year_id == Student.academic_year_id,
                other.id_number == Student.id_number,
                other.school_id != Student.school_id,
                other.status == "active",
            ),
        )
        .where(*_active(year, schools, only))
    )


def _grouped(year, schools, only, *columns, minimum=2):
    """Learners whose values in ``columns`` are shared by at least ``minimum`` learners of their
    school."""
    groups = (
        select(Student.school_id, *columns)
        .where(*_active(year, schools, only), *[not_(_blank(c)) for c in columns])
        .group_by(Student.school_id, *columns)
        .having(func.count() >= minimum)
        .subquery()
    )
    on = [groups.c.school_id == Student.school_id] + [groups.c[c.key] == c for c in columns]
    return (
        select(Student.id, Student.school_id, cast(null(), Integer))
        .join(groups, and_(*on))
        .where(*_active(year, schools, only))
    )


def _headcount_moved(year, schools, only=()):
    def head_count(year_id):
        return (
            select(Student.school_id, func.count().label("n"))
            .where(
                Student.academic_year_id == year_id,
                Student.status == "active",
                _within(Student.school_id, schools),
                *only,
            )
            .group_by(Student.school_id)
            .subquery()
        )

    last_year = select(AcademicYear.id).where(AcademicYear.year == year.year - 1).scalar_subquery()
    before, now_ = head_count(last_year), head_count(year.id)
    moved = func.abs(func.coalesce(now_.c.n, 0) - before.c.n) * 100 > before.c.n * HEADCOUNT_CHANGE
    return (
        select(cast(null(), Integer), before.c.school_id, cast(null(), Integer))
        .select_from(before)
        .outerjoin(now_, now_.c.school_id == before.c.school_id)
        .where(moved)
    )


def _centre_age_outside(year, schools, only=()):
    age = _age_on_16_may(year)
    return (
        select(Student.id, Student.school_id, cast(null(), Integer))
        .join(School, School.id == Student.school_id)
        .where(*_active(year, schools, only), School.kind == "cdc", or_(age < CDC_AGES[0], age > CDC_AGES[1]))
    )


def _age_far_from_level(year, schools, only=()):
    expected = case(EXPECTED_AGE, value=Student.class_level)
    return _learners_where(func.abs(_age_on_16_may(year) - expected) >= AGE_GAP)(year, schools, only)


THAI_NATIONALITY = "ไทย"
CHECKS = [
    Check("national_id", ERROR, _l("The national ID fails its check digit or length."), _learners_where(
        Student.id_kind == "national_id",
        case(
            (not_(Student.id_number.regexp_match("^[0-9]{13}$")), True),
            (func.substr(Student.id_number, 1, 1) == "9", True),
            else_=_check_digit_wrong(),
        ),
    )),
    Check("g_code", ERROR, _l("The G code is malformed (G followed by 12 digits)."), _learners_where(
        Student.id_kind == "g_code", not_(Student.id_number.regexp_match("^G[0-9]{12}$"))
    )),
    Check("id_nationality", ERROR, _l("The kind of identifier does not fit the nationality."), _learners_where(
        Student.id_kind == "national_id",
        or_(
            and_(func.trim(Student.nationality) == THAI_NATIONALITY,
                 func.substr(Student.id_number, 1, 1).in_(["0", "6", "7"])),
            and_(func.trim(Student.nationality) != THAI_NATIONALITY,
                 func.substr(Student.id_number, 1, 1).in_(["1", "2", "3", "4", "5"])),
        ),
    )),
    Check("missing", ERROR, _l("A required field is empty."), _learners_where(or_(
        *[_blank(getattr(Student, name)) for name in ("id_number", "first_name", "last_name", "sex", "class_level",
                                                      "nationality")],
        Student.birth_date.is_(None),
    ))),
    Check("future_birth", ERROR, _l("The birth date is in the future."), lambda year, schools, only=(): _learners_where(
        Student.birth_date > date.today())(year, schools, only)),
    Check("twice_in_school", ERROR, _l("The same identifier is recorded twice in this school."),
          lambda year, schools, only=(): _grouped(year, schools, only, Student.id_number), IDENTIFIER),
    Check("two_schools", ERROR,
          _l("The same learner is active in another school this year; one of the two schools must remove them."),
          _same_learner_in_two_schools, IDENTIFIER),
    Check("age_for_level", WARNING, _l("The age on 16 May is far from the usual age for the class level."),
          _age_far_from_level),
    Check("centre_age", WARNING, _l("A child in a child-development centre is outside 2 to 5 years of age."),
          _centre_age_outside),
    Check("headcount", WARNING, _l("The school's head-count moved more than 20 per cent from last year."),
          _headcount_moved, SCHOOL_WIDE),
    Check("shared_phone", WARNING, _l("Many learners of this school give the same guardian telephone."),
          lambda year, schools, only=(): _grouped(year, schools, only, Student.guardian_phone,
                                                  minimum=SHARED_PHONE_LIMIT), SCHOOL_WIDE),
    Check("name_characters", WARNING, _l("The name contains Latin letters or digits."), _learners_where(or_(
        Student.first_name.regexp_match("[A-Za-z0-9]"), Student.last_name.regexp_match("[A-Za-z0-9]")
    ))),
]  # fmt: skip
CHECK = {check.code: check for check in CHECKS}
KEPT_BY = {kind: {check.code for check in CHECKS if check.kept_by == kind}  # the checks a write re-runs, by reach
           for kind in (LEARNER, IDENTIFIER, SCHOOL_WIDE)}  # fmt: skip


def findings(year, schools=None, codes=None, only=()):
    """Every finding in the schools (a SELECT of school ids; None: the whole country) as one
    subquery with columns student_id, school_id, other_school_id, rule: the checks run on the
    learners as they are now. ``only``: conditions on Student narrowing the learners checked."""
    names = ("student_id", "school_id", "other_school_id")
    parts = []
    for check in CHECKS:
        if codes is None or check.code in codes:
            query = check.query(year, schools, only)
            columns = [column.label(name) for column, name in zip(query.selected_columns, names, strict=True)]
            parts.append(query.with_only_columns(*columns, literal_column("'%s'" % check.code, String).label("rule")))
    return union_all(*parts).subquery()


# -- the findings kept at write time ---------------------------------------------------------------
#
# The report counts QualityFinding, which every flush keeps up to date by running the checks above
# on what it wrote (keep_findings_current), and which refresh_findings rebuilds for a scope after
# writes that bypass the ORM. A finding that can end without a write (a birth date in the future
# stops being one as the days pass) is stored as a candidate that the live check confirms on those
# learners only when it is read.

OF_TODAY = {"future_birth"}
FINDING_COLUMNS = ["academic_year_id", "rule", "student_id", "school_id", "other_school_id"]
LEARNERS_PER_RECHECK = 1000  # the importer flushes 1,000 at a time: one re-check per flush


def stored_findings(year, schools=None, codes=None):
    """The stored findings in the columns of ``findings``."""
    codes = set(CHECK) if codes is None else set(codes)
    kept = select(
        QualityFinding.student_id, QualityFinding.school_id, QualityFinding.other_school_id, QualityFinding.rule
    ).where(
        QualityFinding.academic_year_id == year.id,
        _within(QualityFinding.school_id, schools),
        QualityFinding.rule.in_(codes - OF_TODAY),
    )
    parts = [kept]
    for code in codes & OF_TODAY:
        candidates = select(QualityFinding.student_id).where(
            QualityFinding.academic_year_id == year.id, QualityFinding.rule == code
        )
        parts.append(select(findings(year, schools, {code}, only=(Student.id.in_(candidates),))))
    return union_all(*parts).subquery()


def _replace(connection, year, codes, stale, schools=None, only=()):
    """Delete the stored findings of ``codes`` that ``stale`` picks and store what the checks find
    now in the schools among the learners ``only`` picks."""
    connection.execute(
        delete(QualityFinding).where(QualityFinding.academic_year_id == year.id, QualityFinding.rule.in_(codes), stale)
    )
    found = findings(year, schools, codes, only)
    connection.execute(
        insert(QualityFinding).from_select(
            FINDING_COLUMNS,
            select(literal(year.id), found.c.rule, found.c.student_id, found.c.school_id, found.c.other_school_id),
        )
    )


def refresh_findings(year, schools=None, connection=None):
    """Recompute the stored findings of the schools (None: the whole country) from the checks:
    after writes that bypass the session's flush (COPY, plain INSERTs) and after upgrading. A
    scope's own findings only: a learner written in bulk with another school's identifier makes
    that school's finding too, so bulk writers refresh the whole country. Returns how many are
    stored."""
    connection = connection or db.session.connection()
    scope = _within(QualityFinding.school_id, schools)
    _replace(connection, year, set(CHECK), scope, schools)
    return connection.scalar(
        select(func.count(QualityFinding.id)).where(QualityFinding.academic_year_id == year.id, scope)
    )


# The learner's columns some check reads (tests/test_quality.py reads them off the checks' SQL): a
# change to any other (a room, a guardian's name) cannot change a finding.
CHECKED_COLUMNS = {
    "academic_year_id", "school_id", "status", "id_kind", "id_number", "first_name", "last_name", "sex",
    "class_level", "nationality", "birth_date", "guardian_phone",
}  # fmt: skip


def keep_findings_current(session, flush_context):
    """after_flush: what the flush wrote is checked again at once, with the checks themselves
    narrowed to it, so the report never needs a pass over every learner."""
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    rechecked = [obj for obj in changed if not isinstance(obj, Student) or _checked_change(obj)]
    learners = [obj for obj in (*session.new, *rechecked, *session.deleted) if isinstance(obj, Student)]
    for start in range(0, len(learners), LEARNERS_PER_RECHECK):
        _recheck(session, learners[start : start + LEARNERS_PER_RECHECK])
    for school in changed:
        if isinstance(school, School) and inspect(school).attrs.kind.history.has_changes():  # centre ages
            for year in session.scalars(select(AcademicYear)):
                refresh_findings(year, [school.id], session.connection())


def _checked_change(learner):
    state = inspect(learner)
    return any(state.attrs[name].history.has_changes() for name in CHECKED_COLUMNS)


def _recheck(session, learners):
    """The learners' own checks; the identifier checks of every learner sharing an identifier they
    had before or after the flush (so a duplicate's twin loses its finding too); the school-wide
    checks of the schools they were in before or after, this year and next (its head-count
    compares with this one)."""
    ids, numbers, schools, years = set(), set(), set(), set()
    for learner in learners:
        state = inspect(learner)
        ids.add(learner.id)
        for key, seen in (("academic_year_id", years), ("id_number", numbers), ("school_id", schools)):
            seen.update(state.attrs[key].history.sum() or [getattr(learner, key)])
    ids, numbers, schools = (_listed(values - {None}) for values in (ids, numbers, schools))
    connection = session.connection()
    for year_id in years - {None}:
        year = session.get(AcademicYear, year_id)
        written = QualityFinding.student_id.in_(ids)
        _replace(connection, year, KEPT_BY[LEARNER], written, only=(Student.id.in_(ids),))
        sharing = select(Student.id).where(Student.academic_year_id == year.id, Student.id_number.in_(numbers))
        _replace(connection, year, KEPT_BY[IDENTIFIER], or_(written, QualityFinding.student_id.in_(sharing)),
                 only=(Student.id_number.in_(numbers),))  # fmt: skip
        next_year = session.scalar(select(AcademicYear).where(AcademicYear.year == year.year + 1))
        for each in filter(None, (year, next_year)):
            _replace(connection, each, KEPT_BY[SCHOOL_WIDE], QualityFinding.school_id.in_(schools), schools)


def _listed(values):
    """The values written into the SQL rather than bound one by one: the driver's work on thousands
    of parameters in every narrowed check cost more than the lookups themselves."""
    return bindparam(None, sorted(values), expanding=True, literal_execute=True)


def subject_of(finding):
    """What a warning's explanation is attached to: the learner, or the school for school-wide checks."""
    return "student:%d" % finding.student_id if finding.student_id else org_key(SCHOOL, finding.school_id)


def findings_per_school(year, schools=None, live=False):
    """{(rule, school id): learners (or the school itself) found}, counted from the stored findings
    (``live``: by running every check over the scope, as before they were stored); the report adds
    them up per check and per organisation."""
    found = findings(year, schools) if live else stored_findings(year, schools)
    subject = func.coalesce(found.c.student_id, -found.c.school_id)
    rows = db.session.execute(
        select(found.c.rule, found.c.school_id, func.count(distinct(subject))).group_by(found.c.rule, found.c.school_id)
    )
    return {(rule, school_id): count for rule, school_id, count in rows}


def findings_of(year, schools=None, codes=None, student_id=None, live=True):
    """The findings as rows with the learner, their school and the other school (for learners in
    two schools), ordered for reading: found by the checks now (``live``), or read from the stored
    findings, as the report's counts are."""
    found = findings(year, schools, codes) if live else stored_findings(year, schools, codes)
    other = aliased(School)
    other_lao = aliased(Lao)
    query = (
        select(found.c.rule, found.c.student_id, found.c.school_id, Student, School, other, other_lao)
        .select_from(found)
        .join(School, School.id == found.c.school_id)
        .outerjoin(Student, Student.id == found.c.student_id)
        .outerjoin(other, other.id == found.c.other_school_id)
        .outerjoin(other_lao, other_lao.id == other.lao_id)
        .order_by(School.code, found.c.rule, Student.first_name, Student.last_name, found.c.student_id)
    )
    if student_id is not None:
        query = query.where(found.c.student_id == student_id)
    return [Finding(*row) for row in db.session.execute(query).all()]


@dataclass(frozen=True)
class Finding:
    rule: str
    student_id: int | None
    school_id: int
    student: Student | None
    school: School
    other_school: School | None
    other_lao: Lao | None

    @property
    def check(self):
        return CHECK[self.rule]


def explanations_of(school, year):
    """{(rule, subject): explanation} the school has written for its warnings."""
    rows = db.session.scalars(
        select(QualityExplanation).where(
            QualityExplanation.school_id == school.id, QualityExplanation.academic_year_id == year.id
        )
    )
    return {(row.rule, row.subject): row for row in rows}


def explain_warnings(school, year, texts):
    """Store the school's explanations {(rule, subject): text}; an empty text withdraws one."""
    existing = explanations_of(school, year)
    for (rule, subject), text in texts.items():
        if CHECK.get(rule) is None or CHECK[rule].severity != WARNING:
            raise Invalid({rule: _("Only warnings are explained; errors must be corrected.")})
        text = (text or "").strip()
        row = existing.get((rule, subject))
        if row is not None and not text:
            db.session.delete(row)
        elif row is not None:
            row.text = text
        elif text:
            db.session.add(
                QualityExplanation(academic_year=year, school=school, rule=rule, subject=subject, text=text[:1000])
            )
    db.session.flush()


def blocking_findings(school, year):
    """What stops the school confirming: ({rule: learners} of its errors, {rule: subjects} of its
    warnings still without an explanation), in two queries."""
    found = findings_of(year, select(literal(school.id)))
    explained = explanations_of(school, year)
    errors, unexplained = {}, {}
    for finding in found:
        if finding.check.severity == ERROR:
            errors.setdefault(finding.rule, set()).add(finding.student_id)
        elif (finding.rule, subject_of(finding)) not in explained:
            unexplained.setdefault(finding.rule, set()).add(subject_of(finding))
    return errors, unexplained


def school_problems(school, year):
    """Why the school cannot confirm yet: the errors per rule, and the warnings still without an
    explanation, in Thai."""
    errors, unexplained = blocking_findings(school, year)
    return [
        _("%(problem)s (%(count)d)", problem=CHECK[rule].message, count=len(subjects))
        for rule, subjects in errors.items()
    ] + [
        _("Warning without an explanation: %(problem)s (%(count)d)", problem=CHECK[rule].message, count=len(subjects))
        for rule, subjects in unexplained.items()
    ]


# -- the quality report: one organisation, its parts, and the learners behind each count -----------

CHILDREN = {None: (Province, Lao.province_id), PROVINCE: (Lao, School.lao_id), LAO: (School, School.id)}


def schools_of(level, org_id):
    """The schools of an organisation as a SELECT of ids (None: the whole country)."""
    return None if level is None else scope_school_ids(Node(level, org_id))


def report(level, org_id, year, live=False):
    """Counts per check for the organisation, and errors and warnings per organisation one level
    down (provinces for the country, LAOs for a province, schools for an LAO)."""
    found = findings_per_school(year, schools_of(level, org_id), live)
    by_rule = {}
    for (rule, _school_id), count in found.items():
        by_rule[rule] = by_rule.get(rule, 0) + count
    rows = [(check, by_rule.get(check.code, 0)) for check in CHECKS]
    if level not in CHILDREN:
        return rows, []
    model, key = CHILDREN[level]
    school_ids = {school_id for _rule, school_id in found}
    part_of = dict(db.session.execute(select(School.id, key).join(Lao).where(School.id.in_(school_ids))).all())
    totals = {}
    for (rule, school_id), count in found.items():
        errors, warnings = totals.get(part_of[school_id], (0, 0))
        is_error = CHECK[rule].severity == ERROR
        totals[part_of[school_id]] = (errors + count * is_error, warnings + count * (not is_error))
    parts = db.session.scalars(select(model).where(model.id.in_(totals)).order_by(model.code)).all()
    return rows, [(part, *totals[part.id]) for part in parts]
