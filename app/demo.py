"""The demo: two real provinces, LAOs of several kinds, schools and centres, about 600
learners with valid identifiers, a handful of deliberate data problems, one account per role."""

import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import insert, select
from stdnum.th import pin

from .extensions import db
from .levels import ORGANISATIONS
from .models import AcademicYear, Lao, OtherSchool, Province, School, SchoolBuilding, SchoolProfile, Student
from .quality import refresh_findings
from .reports import seed_example_rates
from .roles import ROLE_CENTRAL, ROLE_LAO, ROLE_MANAGER, ROLE_PROVINCE, ROLE_SCHOOL
from .workflow import open_confirmations

# (province code, LAO code, kind, name, [(school code, kind, name), ...])
HIERARCHY = [
    ("50", "6500101", "pao", "องค์การบริหารส่วนจังหวัดเชียงใหม่", [
        ("1050100001", "school", "โรงเรียนบ้านหนองบัว (อบจ.เชียงใหม่)"),
    ]),
    ("50", "3500101", "city", "เทศบาลนครเชียงใหม่", [
        ("1050130001", "school", "โรงเรียนเทศบาลวัดเกตการาม"),
        ("1050130002", "school", "โรงเรียนเทศบาลดอยเงิน"),
        ("2050130001", "cdc", "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่"),
    ]),
    ("50", "5500103", "subdistrict", "เทศบาลตำบลสุเทพ", [
        ("2050150001", "cdc", "ศูนย์พัฒนาเด็กเล็กเทศบาลตำบลสุเทพ"),
    ]),
    ("50", "6500104", "sao", "องค์การบริหารส่วนตำบลแม่เหียะ", [
        ("2050160001", "cdc", "ศูนย์พัฒนาเด็กเล็กบ้านแม่เหียะ"),
    ]),
    ("40", "3400101", "city", "เทศบาลนครขอนแก่น", [
        ("1040130001", "school", "โรงเรียนเทศบาลสวนสนุก"),
        ("2040130001", "cdc", "ศูนย์พัฒนาเด็กเล็กเทศบาลนครขอนแก่น"),
    ]),
    ("40", "4401601", "town", "เทศบาลเมืองบ้านไผ่", [
        ("1040140001", "school", "โรงเรียนเทศบาลบ้านไผ่"),
    ]),
    ("40", "6400105", "sao", "องค์การบริหารส่วนตำบลท่าพระ", [
        ("2040160001", "cdc", "ศูนย์พัฒนาเด็กเล็กบ้านท่าพระ"),
    ]),
]  # fmt: skip

BOYS = ["ธนากร", "ภูมิพัฒน์", "ณัฐวุฒิ", "กิตติพัฒน์", "ปิยะพงษ์", "ศุภกร", "วรเมธ", "ชยพล", "ปุณณวิช", "อชิรวิทย์"]
GIRLS = ["ปิ่นมณี", "ชื่นกมล", "ณัฐธิดา", "กัญญาณัฐ", "พิมพ์ชนก", "อรปรียา", "ศิริกัญญา", "ธัญชนก", "วรัญญา", "ภัทรธิดา"]
SURNAMES = ["ใจดี", "ศรีสุข", "บุญมา", "ทองคำ", "แก้วมณี", "สุขสวัสดิ์", "วงศ์ไทย", "พึ่งบุญ", "ชื่นชม", "ทิพย์เนตร"]
SCHOOL_LEVELS = ["k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"]
# Age in full years on 16 May for each level (DESIGN.md §3).
AGE_ON_16_MAY = {"k1": 3, "k2": 4, "k3": 5, **{"p%d" % n: 5 + n for n in range(1, 7)}}

# The schools of other affiliations in the demo LAO's area, with learners per level (boys, girls), so
# that the LAO's other-affiliation counts are entered and it can confirm once its schools have.
OTHER_SCHOOLS = {
    "3500101": [
        ("โรงเรียนวัดศรีสุพรรณ", "obec", {"p%d" % n: (14 + n, 12 + n) for n in range(1, 7)}),
        ("โรงเรียนเรยีนาเชลีวิทยาลัย", "private",
         {**{"k%d" % n: (0, 30 + n) for n in range(1, 4)}, **{"p%d" % n: (0, 45 + n) for n in range(1, 7)}}),
    ],
}  # fmt: skip

# username, role, first and last name, organisation level and code (see app/scope.py)
DEMO_USERS = [
    ("central", ROLE_CENTRAL, "ผู้ดูแล", "ส่วนกลาง", "central", None),
    ("province", ROLE_PROVINCE, "เจ้าหน้าที่", "จังหวัดเชียงใหม่", "province", "50"),
    ("lao", ROLE_LAO, "เจ้าหน้าที่", "เทศบาลนครเชียงใหม่", "lao", "3500101"),
    ("school", ROLE_SCHOOL, "ครูธุรการ", "โรงเรียนเทศบาลวัดเกตการาม", "school", "1050130001"),
    ("cdc", ROLE_SCHOOL, "ครูผู้ดูแลเด็ก", "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่", "school", "2050130001"),
    ("manager", ROLE_MANAGER, "ผู้บริหาร", "กรมส่งเสริมการปกครองท้องถิ่น", "central", None),
]


def current_academic_year_be(today):
    """The Thai academic year starts on 16 May."""
    return today.year + 543 - (1 if (today.month, today.day) < (5, 16) else 0)


def national_id(rng):
    body = "1" + "".join(rng.choice("0123456789") for _ in range(11))
    return body + pin.calc_check_digit(body)


def seed_demo(password, today=None):
    """Returns False when the demo data is already there (the accounts are still ensured)."""
    today = today or date.today()
    session = db.session
    if session.scalar(select(School).where(School.code == HIERARCHY[0][4][0][0])):
        _add_demo_users(password)
        _add_basic_data(session)
        return False
    rng = random.Random(2569)
    year = AcademicYear(
        year=current_academic_year_be(today),
        entry_opens=today - timedelta(days=30),
        school_deadline=today + timedelta(days=30),
        lao_deadline=today + timedelta(days=30),
        province_deadline=today + timedelta(days=31),
        is_current=True,
    )
    session.add(year)
    provinces = {p.code: p for p in session.scalars(select(Province).where(Province.code.in_(["50", "40"])))}
    schools = []
    for province_code, lao_code, kind, name, school_rows in HIERARCHY:
        lao = Lao(code=lao_code, kind=kind, name_th=name, province=provinces[province_code])
        for code, school_kind, school_name in school_rows:
            schools.append(
                School(
                    code=code,
                    kind=school_kind,
                    name_th=school_name,
                    lao=lao,
                    levels="cdc" if school_kind == "cdc" else ",".join(SCHOOL_LEVELS),
                    phone="053-000-%03d" % len(schools),
                    head_name="ผู้อำนวยการ " + rng.choice(GIRLS) + " " + rng.choice(SURNAMES),
                )
            )
    session.add_all(schools)
    may16 = date(year.year - 543, 5, 16)
    learners = []
    for school in schools:
        for n in range(60):
            if school.kind == "cdc":
                level, age = "cdc", rng.choice([2, 3, 4])
            else:
                level = SCHOOL_LEVELS[n % len(SCHOOL_LEVELS)]
                age = AGE_ON_16_MAY[level]
            sex = rng.choice("MF")
            child = age < 15
            learners.append(
                Student(
                    academic_year=year,
                    school=school,
                    id_kind="national_id",
                    id_number=national_id(rng),
                    prefix=("เด็กชาย" if sex == "M" else "เด็กหญิง") if child else ("นาย" if sex == "M" else "นางสาว"),
                    first_name=rng.choice(BOYS if sex == "M" else GIRLS),
                    last_name=rng.choice(SURNAMES),
                    sex=sex,
                    birth_date=may16 - timedelta(days=365 * age + rng.randint(1, 360)),
                    nationality="ไทย",
                    religion="พุทธ",
                    class_level=level,
                    room="1",
                    guardian_name="นาง" + rng.choice(GIRLS) + " " + rng.choice(SURNAMES),
                    guardian_phone="08%08d" % rng.randint(0, 99999999),
                    status="active",
                )
            )
    session.add_all(learners)
    _add_data_problems(session, year, schools, learners, rng)
    refresh_findings(year)  # the row carried over from an earlier system bypassed the flush
    open_confirmations(year.id)
    session.flush()
    seed_example_rates(year)
    session.commit()
    _add_demo_users(password)
    _add_basic_data(session)
    return True


def _add_basic_data(session):
    """The demo LAO's schools of other affiliations and each demo school's profile for the
    current year, once: a database seeded before they existed gets them on the next seed."""
    year = session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    if year is None or session.scalar(select(OtherSchool.id).where(OtherSchool.academic_year_id == year.id).limit(1)):
        return
    for lao_code, rows in OTHER_SCHOOLS.items():
        lao = session.scalar(select(Lao).where(Lao.code == lao_code))
        for name, affiliation, counts in rows:
            fields = {
                "%s_%s" % (level, sex): n
                for level, pair in counts.items()
                for sex, n in zip(("male", "female"), pair, strict=True)
            }
            session.add(OtherSchool(academic_year=year, lao=lao, name=name, affiliation=affiliation, **fields))
    codes = [code for *_lao, school_rows in HIERARCHY for code, _kind, _name in school_rows]
    schools = session.scalars(select(School).where(School.code.in_(codes)).order_by(School.code)).all()
    for n, school in enumerate(schools):
        cdc = school.kind == "cdc"
        profile = SchoolProfile(
            academic_year=year, school=school, classrooms=3 if cdc else 9,
            teachers_male=0 if cdc else 3 + n % 3, teachers_female=1 if cdc else 9 + n % 4,
            caregivers_female=4 if cdc else 0, support_staff_male=1, support_staff_female=1 + n % 2,
        )  # fmt: skip
        profile.buildings.append(SchoolBuilding(kind="cdc" if cdc else "classroom", built_year_be=2530 + 3 * n,
                                                condition="good" if n % 3 else "minor_repair"))  # fmt: skip
        if not cdc:
            profile.buildings.append(SchoolBuilding(kind="hall", built_year_be=2545, condition="good"))
        session.add(profile)
    session.commit()


def _add_data_problems(session, year, schools, learners, rng):
    """Problems for the data-quality checks to find: learners without Thai ID carrying G codes,
    the same learner in two schools of two provinces, an age far from the grade, and a bad check
    digit. They sit outside the demo accounts' own schools, which start clean and can confirm."""
    for learner in learners[5:8]:
        learner.id_kind, learner.nationality = "g_code", "เมียนมา"
        learner.id_number = "G%02d50%08d" % (year.year % 100, rng.randint(1, 99999999))
    doi_ngoen, khon_kaen = (next(s for s in schools if s.code == code) for code in ("1050130002", "1040130001"))
    twin, copy = (next(x for x in learners if x.school is school) for school in (doi_ngoen, khon_kaen))
    for field in ("id_number", "prefix", "first_name", "last_name", "sex", "birth_date", "class_level"):
        setattr(copy, field, getattr(twin, field))
    far = next(learner for learner in learners if learner.class_level == "p1")
    far.birth_date = far.birth_date.replace(year=far.birth_date.year - 4)
    session.flush()
    bad = national_id(rng)
    # A row carried over from the previous system: the forms and API would refuse it.
    session.execute(
        insert(Student.__table__).values(
            academic_year_id=year.id,
            school_id=doi_ngoen.id,
            id_kind="national_id",
            id_number=bad[:-1] + str((int(bad[-1]) + 1) % 10),
            prefix="เด็กชาย",
            first_name="ปิยะพงษ์",
            last_name="ไม่มีตัวตน",
            sex="M",
            birth_date=date(year.year - 543 - 8, 3, 1),
            nationality="ไทย",
            class_level="p2",
            status="active",
            created_on=date.today(),
            changed_on=date.today(),
        )
    )


def _add_demo_users(password):
    sm = current_app.appbuilder.sm
    for username, role, first_name, last_name, level, code in DEMO_USERS:
        if sm.find_user(username=username):
            continue
        user = sm.add_user(username, first_name, last_name, username + "@lec.example", sm.find_role(role), password)
        if code:
            model = ORGANISATIONS[level]
            setattr(user, level, db.session.scalar(select(model).where(model.code == code)))
        user.org_level = level
        db.session.commit()
