"""The LEC schema: the organisation tree (province → LAO → school) and each year's learners."""

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import backref, declared_attr, relationship

from . import choices
from .context import now
from .thai import reads_english


def _one_of(table):
    """CHECK constraints so that no entry point can store a code the UI cannot show: one for each
    coded column of the table that choices.CODED_COLUMNS declares (and does not leave unchecked)."""
    return [
        CheckConstraint(
            "%s IN (%s)" % (column, ", ".join("'%s'" % code for code in choices.codes(options))),
            name="ck_%s_%s" % (table, column),
        )
        for column, options in choices.CODED_COLUMNS[table].items()
        if (table, column) not in choices.UNCHECKED_COLUMNS
    ]


class AuditMixin:
    """Who created and who last changed the row, and when; the authors are stamped at flush time
    (app/audit.py)."""

    created_on = Column(DateTime, nullable=False, default=now)
    changed_on = Column(DateTime, nullable=False, default=now, onupdate=now)

    @declared_attr
    def created_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), index=True)

    @declared_attr
    def changed_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), index=True)

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=[cls.created_by_id], lazy="select")

    @declared_attr
    def changed_by(cls):
        return relationship("User", foreign_keys=[cls.changed_by_id], lazy="select")


class Province(AuditMixin, Model):
    __tablename__ = "province"
    id = Column(Integer, primary_key=True)
    code = Column(String(2), nullable=False, unique=True)
    name_th = Column(String(100), nullable=False, index=True)
    name_en = Column(String(100), nullable=False, index=True)

    def __repr__(self):
        return self.name_en if reads_english() else self.name_th


class Lao(AuditMixin, Model):
    __tablename__ = "lao"
    __table_args__ = (*_one_of("lao"),)
    id = Column(Integer, primary_key=True)
    code = Column(String(10), nullable=False, unique=True)
    name_th = Column(String(200), nullable=False, index=True)
    kind = Column(String(20), nullable=False, index=True)
    province_id = Column(Integer, ForeignKey("province.id"), nullable=False, index=True)
    province = relationship(Province, backref="laos")

    def __repr__(self):
        return self.name_th


class School(AuditMixin, Model):
    __tablename__ = "school"
    __table_args__ = (*_one_of("school"),)
    id = Column(Integer, primary_key=True)
    code = Column(String(10), nullable=False, unique=True)
    name_th = Column(String(200), nullable=False, index=True)
    kind = Column(String(10), nullable=False, index=True)
    lao_id = Column(Integer, ForeignKey("lao.id"), nullable=False, index=True)
    lao = relationship(Lao, backref="schools")
    address = Column(String(500))
    phone = Column(String(30))
    head_name = Column(String(200))
    levels = Column(String(200))

    def __repr__(self):
        return self.name_th


class AcademicYear(AuditMixin, Model):
    __tablename__ = "academic_year"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2500 AND 2700", name="ck_academic_year_year_be"),
        Index(
            "uq_academic_year_one_current",
            "is_current",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )
    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False, unique=True)
    entry_opens = Column(Date, nullable=False)
    school_deadline = Column(Date, nullable=False)
    lao_deadline = Column(Date, nullable=False)
    province_deadline = Column(Date, nullable=False)
    is_current = Column(Boolean, nullable=False, default=False)

    def __repr__(self):
        return str(self.year)


class Student(AuditMixin, Model):
    __tablename__ = "student"
    __table_args__ = (
        *_one_of("student"),
        CheckConstraint(
            "(status = 'active' AND removal_reason IS NULL AND removed_on IS NULL)"
            " OR (status = 'removed' AND removal_reason IS NOT NULL AND removed_on IS NOT NULL)",
            name="ck_student_removal",
        ),
        Index("ix_student_year_identifier", "academic_year_id", "id_number"),
        # Head-counts read only these columns: an index-only scan of a year's learners (app/reports.py).
        Index("ix_student_headcount", "academic_year_id", "status", "school_id", "class_level", "sex"),
        # The lists' default order (by id) within their base filter (status) and a school's scope,
        # so that a page is read off the index in order (app/pages/base.py).
        Index("ix_student_school_status_id", "school_id", "status", "id"),
        Index("ix_student_status_id", "status", "id"),
        # "Starts with" searches: LIKE 'x%' uses a b-tree only with the pattern operator class
        # unless the database collation is "C" (PostgreSQL; other databases get a plain index).
        *(
            Index("ix_student_%s_prefix" % column, column, postgresql_ops={column: "varchar_pattern_ops"})
            for column in ("id_number", "first_name", "last_name")
        ),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    school = relationship(School, backref="students")
    id_kind = Column(String(12), nullable=False, default="national_id")
    id_number = Column(String(13), nullable=False, index=True)
    prefix = Column(String(20))
    first_name = Column(String(100), nullable=False, index=True)
    last_name = Column(String(100), nullable=False, index=True)
    sex = Column(String(1), nullable=False)
    birth_date = Column(Date, nullable=False)
    nationality = Column(String(50), nullable=False, default="ไทย")
    religion = Column(String(50))
    class_level = Column(String(3), nullable=False, index=True)
    room = Column(String(10))
    disadvantage = Column(String(20))
    disability = Column(String(20))
    guardian_name = Column(String(200))
    guardian_phone = Column(String(30))
    status = Column(String(10), nullable=False, default="active")
    removal_reason = Column(String(12))
    removed_on = Column(Date)
    removal_note = Column(String(1000))
    removed_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    removed_by = relationship(User, foreign_keys=[removed_by_id])

    def __repr__(self):
        return "%s %s" % (self.first_name, self.last_name)


class QualityExplanation(AuditMixin, Model):
    """A school's written explanation of a data-quality warning it keeps (DESIGN.md §4.2): one per
    rule and subject (``student:12`` or ``school:3``) per year."""

    __tablename__ = "quality_explanation"
    __table_args__ = (UniqueConstraint("academic_year_id", "rule", "subject", name="uq_quality_explanation"),)
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    school = relationship(School)
    rule = Column(String(30), nullable=False)
    subject = Column(String(30), nullable=False)
    text = Column(String(1000), nullable=False)

    def __repr__(self):
        return self.text


class QualityFinding(Model):
    """One finding of a data-quality check (app/quality.py), kept up to date at each write so that
    the report is a count over this table, not a pass of every check over the learners. Derived
    data: rebuilt from the checks by ``quality.refresh_findings``, never edited, not in the history."""

    __tablename__ = "quality_finding"
    __table_args__ = (Index("ix_quality_finding_year_school_rule", "academic_year_id", "school_id", "rule"),)
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id", ondelete="CASCADE"), nullable=False)
    rule = Column(String(30), nullable=False)
    student_id = Column(Integer, ForeignKey("student.id", ondelete="CASCADE"), index=True)  # None: the school
    school_id = Column(Integer, ForeignKey("school.id", ondelete="CASCADE"), nullable=False)
    other_school_id = Column(Integer, ForeignKey("school.id", ondelete="CASCADE"))


class SpotCheck(AuditMixin, Model):
    """A province's random sample of an LAO's or a school's active learners (การสุ่มตรวจ). The
    seed is stored so that the same sample can be drawn again and audited."""

    __tablename__ = "spot_check"
    __table_args__ = (CheckConstraint("(lao_id IS NULL) <> (school_id IS NULL)", name="ck_spot_check_one_target"),)
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    province_id = Column(Integer, ForeignKey("province.id"), nullable=False, index=True)
    province = relationship(Province)
    lao_id = Column(Integer, ForeignKey("lao.id"), index=True)
    lao = relationship(Lao)
    school_id = Column(Integer, ForeignKey("school.id"), index=True)
    school = relationship(School)
    sample_count = Column(Integer)
    sample_percent = Column(Integer)
    seed = Column(String(32), nullable=False)
    population = Column(Integer, nullable=False)
    note = Column(String(1000))

    def __repr__(self):
        return "%s (%s)" % (self.school or self.lao, self.seed[:8])


class SpotCheckItem(AuditMixin, Model):
    """One sampled learner and what the officer found."""

    __tablename__ = "spot_check_item"
    __table_args__ = (
        UniqueConstraint("spot_check_id", "student_id", name="uq_spot_check_item"),
        *_one_of("spot_check_item"),
    )
    id = Column(Integer, primary_key=True)
    spot_check_id = Column(Integer, ForeignKey("spot_check.id"), nullable=False, index=True)
    spot_check = relationship(SpotCheck, backref="items")
    student_id = Column(Integer, ForeignKey("student.id"), nullable=False, index=True)
    student = relationship(Student)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    school = relationship(School)
    result = Column(String(10), index=True)
    note = Column(String(1000))
    checked_on = Column(DateTime)
    checked_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    checked_by = relationship(User, foreign_keys=[checked_by_id])

    def __repr__(self):
        return str(self.student)


class _OtherSchoolCounts:
    """Learners of a school of another affiliation: one column per class level and sex."""


for _field in choices.OTHER_SCHOOL_COUNTS:
    setattr(_OtherSchoolCounts, _field, Column(Integer, nullable=False, default=0))


def _counted(table, fields):
    """A CHECK constraint: no count below zero, whatever the entry point."""
    return CheckConstraint(" AND ".join("%s >= 0" % field for field in fields), name="ck_%s_counts" % table)


class OtherSchool(AuditMixin, _OtherSchoolCounts, Model):
    """A school in an LAO's area that the LAO does not run, with its learners per class level and
    sex, for one academic year (จำนวนนักเรียนสังกัดอื่น). One row per school, so the LAO enters a
    school on one form. Part of the LAO's confirmation and locked with it (app/workflow.py)."""

    __tablename__ = "other_school"
    __table_args__ = (
        UniqueConstraint("academic_year_id", "lao_id", "name", name="uq_other_school"),
        *_one_of("other_school"),
        _counted("other_school", choices.OTHER_SCHOOL_COUNTS),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    lao_id = Column(Integer, ForeignKey("lao.id"), nullable=False, index=True)
    lao = relationship(Lao)
    name = Column(String(200), nullable=False, index=True)
    affiliation = Column(String(20), nullable=False, index=True)
    note = Column(String(1000))

    def _sum(self, sex):
        return sum(getattr(self, field) or 0 for field in choices.OTHER_SCHOOL_COUNTS if field.endswith("_" + sex))

    @property
    def male(self):
        return self._sum("male")

    @property
    def female(self):
        return self._sum("female")

    @property
    def total(self):
        return self.male + self.female

    def __repr__(self):
        return self.name


class NoOtherSchools(AuditMixin, Model):
    """An LAO's statement for one academic year that no school of another affiliation lies in its
    area (ไม่มีสถานศึกษาสังกัดอื่นในพื้นที่): with it, and no OtherSchool rows, the LAO's
    other-affiliation data counts as entered. Locked with the LAO's confirmation."""

    __tablename__ = "no_other_schools"
    __table_args__ = (UniqueConstraint("academic_year_id", "lao_id", name="uq_no_other_schools"),)
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    lao_id = Column(Integer, ForeignKey("lao.id"), nullable=False, index=True)
    lao = relationship(Lao)
    note = Column(String(1000))

    def __repr__(self):
        return "%s (%s)" % (self.lao, self.academic_year)


PROFILE_COUNTS = [
    "teachers_male", "teachers_female", "caregivers_male", "caregivers_female",
    "support_staff_male", "support_staff_female", "classrooms",
]  # fmt: skip


class SchoolProfile(AuditMixin, Model):
    """A school's or centre's basic data for one academic year (ข้อมูลพื้นฐานสถานศึกษา): personnel
    by kind and sex, and classrooms; its buildings are SchoolBuilding rows. Recorded by the school
    and locked with its confirmation, like its learners (app/workflow.py)."""

    __tablename__ = "school_profile"
    __table_args__ = (
        UniqueConstraint("academic_year_id", "school_id", name="uq_school_profile"),
        _counted("school_profile", PROFILE_COUNTS),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    school = relationship(School)
    teachers_male = Column(Integer, nullable=False, default=0)
    teachers_female = Column(Integer, nullable=False, default=0)
    caregivers_male = Column(Integer, nullable=False, default=0)
    caregivers_female = Column(Integer, nullable=False, default=0)
    support_staff_male = Column(Integer, nullable=False, default=0)
    support_staff_female = Column(Integer, nullable=False, default=0)
    classrooms = Column(Integer, nullable=False, default=0)

    def __repr__(self):
        return "%s (%s)" % (self.school, self.academic_year)


# The Buddhist-era years a building may have been built in: the CHECK below, the validation of
# every entry point (app/quality.py) and the form's range (app/views.py) all read it.
BUILT_YEARS_BE = (2400, 2700)


class SchoolBuilding(AuditMixin, Model):
    """One building of a school's profile: its kind, the Buddhist-era year it was built and its
    condition."""

    __tablename__ = "school_building"
    __table_args__ = (
        *_one_of("school_building"),
        CheckConstraint("built_year_be BETWEEN %d AND %d" % BUILT_YEARS_BE, name="ck_school_building_built_year_be"),
    )
    id = Column(Integer, primary_key=True)
    profile_id = Column(Integer, ForeignKey("school_profile.id"), nullable=False, index=True)
    profile = relationship(SchoolProfile, backref=backref("buildings", cascade="all, delete-orphan"))
    kind = Column(String(20), nullable=False, index=True)
    built_year_be = Column(Integer, index=True)
    condition = Column(String(20), nullable=False, index=True)
    note = Column(String(500))

    def __repr__(self):
        return "%s %s" % (choices.label_of(choices.BUILDING_KINDS)(self.kind), self.built_year_be or "")


class ImportUpload(Model):
    """A spreadsheet a school uploaded, kept between the preview and the confirmation so that any
    app host can commit it (no state in the app process)."""

    __tablename__ = "import_upload"
    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    school = relationship(School)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    filename = Column(String(255), nullable=False)
    content = Column(LargeBinary, nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    uploaded_by = relationship(User, foreign_keys=[uploaded_by_id])
    uploaded_on = Column(DateTime, nullable=False, index=True)
    committed_on = Column(DateTime)


class BudgetRate(AuditMixin, Model):
    """A per-head rate of one budget item for one group of class levels in one academic year: baht
    per head per year, or baht per day times days. Central sets them; the budget estimate
    (app/reports.py) multiplies confirmed head-counts by them. ``example`` marks figures that only
    illustrate (the demo's), shown as such on every screen."""

    __tablename__ = "budget_rate"
    __table_args__ = (
        UniqueConstraint("academic_year_id", "item", "level_group", name="uq_budget_rate"),
        *_one_of("budget_rate"),
        CheckConstraint(
            "(per_head IS NOT NULL AND per_day IS NULL AND days IS NULL)"
            " OR (per_head IS NULL AND per_day IS NOT NULL AND days IS NOT NULL)",
            name="ck_budget_rate_one_kind",
        ),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    item = Column(String(200), nullable=False)
    level_group = Column(String(20), nullable=False)
    per_head = Column(Numeric(12, 2))
    per_day = Column(Numeric(12, 2))
    days = Column(Integer)
    example = Column(Boolean, nullable=False, default=False)

    @property
    def yearly(self):
        """Baht per head per year."""
        return self.per_head if self.per_head is not None else self.per_day * self.days

    def __repr__(self):
        return self.item


class LecUser(User):
    """A Flask-AppBuilder user who belongs to exactly one organisation node: central, a
    province, an LAO or a school/centre (the column matching ``org_level`` is set, no other)."""

    __tablename__ = "ab_user"
    __table_args__ = (
        CheckConstraint(
            "(org_level IS NULL AND province_id IS NULL AND lao_id IS NULL AND school_id IS NULL)"
            " OR (org_level = 'central' AND province_id IS NULL AND lao_id IS NULL AND school_id IS NULL)"
            " OR (org_level = 'province' AND province_id IS NOT NULL AND lao_id IS NULL AND school_id IS NULL)"
            " OR (org_level = 'lao' AND lao_id IS NOT NULL AND province_id IS NULL AND school_id IS NULL)"
            " OR (org_level = 'school' AND school_id IS NOT NULL AND province_id IS NULL AND lao_id IS NULL)",
            name="ck_ab_user_one_node",
        ),
        {"extend_existing": True},
    )
    org_level = Column(String(10), index=True)
    # use_alter: organisations also point at users (created_by), so the foreign keys form a cycle
    province_id = Column(Integer, ForeignKey("province.id", use_alter=True, name="fk_ab_user_province_id"), index=True)
    province = relationship(Province, foreign_keys=[province_id])
    lao_id = Column(Integer, ForeignKey("lao.id", use_alter=True, name="fk_ab_user_lao_id"), index=True)
    lao = relationship(Lao, foreign_keys=[lao_id])
    school_id = Column(Integer, ForeignKey("school.id", use_alter=True, name="fk_ab_user_school_id"), index=True)
    school = relationship(School, foreign_keys=[school_id])
    locked_until = Column(DateTime)
    position = Column(String(200))
    phone = Column(String(30))
    # Given a temporary password by the level above (app/resets.py): the next sign-in opens only
    # the change-password form, and the API refuses, until the person chooses their own.
    must_change_password = Column(Boolean, nullable=False, default=False, server_default=false())

    @property
    def organisation(self):
        return self.school or self.lao or self.province


class AuditEvent(Model):
    """Something a person did that is not a row change: signing in, a failed sign-in, managing an
    account. Row changes themselves are stamped by app/audit.py."""

    __tablename__ = "audit_event"
    id = Column(Integer, primary_key=True)
    occurred_on = Column(DateTime, nullable=False, index=True)
    actor_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    actor = relationship(User, foreign_keys=[actor_id])
    action = Column(String(40), nullable=False, index=True)
    target = Column(String(200))
    detail = Column(String(1000))
    ip = Column(String(45))


class Credential(Model):
    """A single-use activation code issued for an account, printed on a QR sheet. Only the hash
    of the code is stored; activating spends it, re-issuing revokes it."""

    __tablename__ = "credential"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    user = relationship(LecUser, foreign_keys=[user_id])
    code_hash = Column(String(64), nullable=False, unique=True)
    issued_on = Column(DateTime, nullable=False, index=True)
    issued_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    issued_by = relationship(User, foreign_keys=[issued_by_id])
    expires_on = Column(DateTime, nullable=False, index=True)
    activated_on = Column(DateTime, index=True)
    revoked_on = Column(DateTime)

    @property
    def status(self):
        if self.activated_on:
            return "activated"
        if self.revoked_on:
            return "revoked"
        return "expired" if self.expires_on <= now() else "waiting"


ORG_LEVEL_CHECK = (
    "(org_level = 'province' AND province_id IS NOT NULL AND lao_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'lao' AND lao_id IS NOT NULL AND province_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'school' AND school_id IS NOT NULL AND province_id IS NULL AND lao_id IS NULL)"
)


class TransferRequest(AuditMixin, Model):
    """A school's request to take over a learner who is active in another school this year
    (ย้ายเข้า / ย้ายออก, app/transfers.py): asked by the receiving school, accepted or declined by
    the old one (or its LAO when the old school does not answer in time). Accepting removes the old
    row with the reason "moved" and makes ``new_student`` the learner's row at the new school."""

    __tablename__ = "transfer_request"
    __table_args__ = (
        *_one_of("transfer_request"),
        CheckConstraint("from_school_id <> to_school_id", name="ck_transfer_request_two_schools"),
        Index("ix_transfer_request_from_state", "from_school_id", "state"),
        Index("ix_transfer_request_to_state", "to_school_id", "state"),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    student_id = Column(Integer, ForeignKey("student.id"), nullable=False, index=True)
    student = relationship(Student, foreign_keys=[student_id])
    new_student_id = Column(Integer, ForeignKey("student.id"), index=True)
    new_student = relationship(Student, foreign_keys=[new_student_id])
    from_school_id = Column(Integer, ForeignKey("school.id"), nullable=False)
    from_school = relationship(School, foreign_keys=[from_school_id])
    to_school_id = Column(Integer, ForeignKey("school.id"), nullable=False)
    to_school = relationship(School, foreign_keys=[to_school_id])
    class_level = Column(String(3), nullable=False)  # at the new school
    state = Column(String(10), nullable=False, default="asked", index=True)
    asked_on = Column(DateTime, nullable=False, default=now)
    asked_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    asked_by = relationship(User, foreign_keys=[asked_by_id])
    answered_on = Column(DateTime)
    answered_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    answered_by = relationship(User, foreign_keys=[answered_by_id])
    decline_reason = Column(String(1000))

    def __repr__(self):
        return "#%d %s" % (self.id or 0, self.student)


class Confirmation(Model):
    """One organisation's confirmation for one academic year: ``open`` or ``confirmed``
    (DESIGN.md §4). The row is also what a write to the organisation's data locks, so that a
    confirmation and an edit cannot pass each other (app/workflow.py)."""

    __tablename__ = "confirmation"
    __table_args__ = (
        UniqueConstraint("academic_year_id", "org_key", name="uq_confirmation_year_org"),
        CheckConstraint(ORG_LEVEL_CHECK, name="ck_confirmation_one_org"),
        *_one_of("confirmation"),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    org_key = Column(String(20), nullable=False)  # "school:12": one unique key whatever the level
    org_level = Column(String(10), nullable=False, index=True)
    province_id = Column(Integer, ForeignKey("province.id"), index=True)
    province = relationship(Province)
    lao_id = Column(Integer, ForeignKey("lao.id"), index=True)
    lao = relationship(Lao)
    school_id = Column(Integer, ForeignKey("school.id"), index=True)
    school = relationship(School)
    state = Column(String(10), nullable=False, default="open", index=True)
    confirmed_on = Column(DateTime)
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    confirmed_by = relationship(User, foreign_keys=[confirmed_by_id])
    exception_until = Column(Date)  # entry re-opened for this organisation until this date
    exception_reason = Column(String(1000))

    @property
    def organisation(self):
        return self.school or self.lao or self.province


class Transition(Model):
    """Every step of a confirmation: who, when, from which state to which, and why."""

    __tablename__ = "transition"
    id = Column(Integer, primary_key=True)
    confirmation_id = Column(Integer, ForeignKey("confirmation.id"), nullable=False, index=True)
    confirmation = relationship(Confirmation, backref="transitions")
    action = Column(String(20), nullable=False, index=True)  # confirm, take_back, return, exception
    from_state = Column(String(10), nullable=False)
    to_state = Column(String(10), nullable=False)
    reason = Column(String(1000))
    actor_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    actor = relationship(User, foreign_keys=[actor_id])
    occurred_on = Column(DateTime, nullable=False, index=True)


class ExceptionRequest(Model):
    """A school, LAO or province past its deadline asks for entry to open again (app/exceptions.py):
    why and until when it needs it; the level that grants exceptions answers, granting until a date
    or refusing with a reason. Placed in the tree like a Confirmation (one of the three ids)."""

    __tablename__ = "exception_request"
    __table_args__ = (
        CheckConstraint(ORG_LEVEL_CHECK, name="ck_exception_request_one_org"),
        *_one_of("exception_request"),
        Index("ix_exception_request_year_org", "academic_year_id", "org_key"),
    )
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    org_key = Column(String(20), nullable=False)  # "school:12", as Confirmation.org_key
    org_level = Column(String(10), nullable=False)
    province_id = Column(Integer, ForeignKey("province.id"), index=True)
    province = relationship(Province)
    lao_id = Column(Integer, ForeignKey("lao.id"), index=True)
    lao = relationship(Lao)
    school_id = Column(Integer, ForeignKey("school.id"), index=True)
    school = relationship(School)
    reason = Column(String(1000), nullable=False)
    needed_until = Column(Date, nullable=False)
    state = Column(String(10), nullable=False, default="requested", index=True)
    requested_on = Column(DateTime, nullable=False, default=now)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    requested_by = relationship(User, foreign_keys=[requested_by_id])
    answer_reason = Column(String(1000))
    granted_until = Column(Date)
    answered_on = Column(DateTime)
    answered_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    answered_by = relationship(User, foreign_keys=[answered_by_id])

    @property
    def organisation(self):
        return self.school or self.lao or self.province

    def __repr__(self):
        return str(self.organisation)


class Snapshot(Model):
    """A province's figures for one academic year as they stood when it confirmed (DESIGN.md §4.8):
    version 1, 2, ... each time it confirms the year. The budget and the confirmed reports read the
    latest version, never the live rows, so a later correction changes nothing already sent up until
    the province confirms again. Append-only (app/audit.py refuses changes and deletions)."""

    __tablename__ = "snapshot"
    __table_args__ = (UniqueConstraint("academic_year_id", "province_id", "version", name="uq_snapshot_version"),)
    id = Column(Integer, primary_key=True)
    academic_year_id = Column(Integer, ForeignKey("academic_year.id"), nullable=False, index=True)
    academic_year = relationship(AcademicYear)
    province_id = Column(Integer, ForeignKey("province.id"), nullable=False, index=True)
    province = relationship(Province)
    version = Column(Integer, nullable=False)
    transition_id = Column(Integer, ForeignKey("transition.id"), nullable=False, unique=True)
    transition = relationship(Transition)
    confirmed_on = Column(DateTime, nullable=False)
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    confirmed_by = relationship(User, foreign_keys=[confirmed_by_id])

    def __repr__(self):
        return "%s v%d" % (self.province, self.version)


class SnapshotCount(Model):
    """Learners of one school in one class level and sex in a snapshot, placed in the tree (LAO,
    province) as it stood then."""

    __tablename__ = "snapshot_count"
    __table_args__ = (Index("ix_snapshot_count_snapshot_school", "snapshot_id", "school_id"),)
    id = Column(Integer, primary_key=True)
    snapshot_id = Column(Integer, ForeignKey("snapshot.id"), nullable=False)
    snapshot = relationship(Snapshot)
    province_id = Column(Integer, ForeignKey("province.id"), nullable=False, index=True)
    lao_id = Column(Integer, ForeignKey("lao.id"), nullable=False, index=True)
    school_id = Column(Integer, ForeignKey("school.id"), nullable=False, index=True)
    class_level = Column(String(3), nullable=False)
    sex = Column(String(1), nullable=False)
    learners = Column(Integer, nullable=False)


class SnapshotOtherCount(Model):
    """Learners of one school of another affiliation in one class level and sex in a snapshot, as
    the LAO had recorded them (name and affiliation as they stood)."""

    __tablename__ = "snapshot_other_count"
    __table_args__ = (Index("ix_snapshot_other_count_snapshot_lao", "snapshot_id", "lao_id"),)
    id = Column(Integer, primary_key=True)
    snapshot_id = Column(Integer, ForeignKey("snapshot.id"), nullable=False)
    snapshot = relationship(Snapshot)
    lao_id = Column(Integer, ForeignKey("lao.id"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    affiliation = Column(String(20), nullable=False)
    class_level = Column(String(3), nullable=False)
    sex = Column(String(1), nullable=False)
    learners = Column(Integer, nullable=False)


class Notification(Model):
    """One message in one account's inbox (app/notifications.py): what happened (``kind``, with the
    words' parameters), the organisation it is about, where to act, and when it was read.
    ``occasion`` names what a message may be sent for only once per account (a day's deadline
    reminder of one organisation), so that a second run of the reminders adds nothing."""

    __tablename__ = "notification"
    __table_args__ = (
        *_one_of("notification"),
        CheckConstraint("org_level IS NULL OR (%s)" % ORG_LEVEL_CHECK, name="ck_notification_one_org"),
        UniqueConstraint("recipient_id", "occasion", name="uq_notification_occasion"),
        # The inbox, newest first, and the navbar's unread count: each reads one account's rows.
        Index("ix_notification_recipient_id", "recipient_id", "id"),
        Index("ix_notification_recipient_unread", "recipient_id", "read_on"),
    )
    id = Column(Integer, primary_key=True)
    recipient_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    recipient = relationship(User, foreign_keys=[recipient_id])
    kind = Column(String(30), nullable=False)
    org_level = Column(String(10))
    province_id = Column(Integer, ForeignKey("province.id"), index=True)
    lao_id = Column(Integer, ForeignKey("lao.id"), index=True)
    school_id = Column(Integer, ForeignKey("school.id"), index=True)
    params = Column(JSON, nullable=False, default=dict)
    link = Column(String(300))
    occasion = Column(String(80), index=True)
    created_on = Column(DateTime, nullable=False, index=True)
    read_on = Column(DateTime)


# choices.CODED_COLUMNS by model: the codes the CHECKs hold each column to; validation
# (app/quality.py) and the history's labels (app/audit.py) read it.
CODED_COLUMNS = {
    mapper.class_: choices.CODED_COLUMNS[mapper.local_table.name]
    for mapper in Model.registry.mappers
    if mapper.local_table.name in choices.CODED_COLUMNS
}
