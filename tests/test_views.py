"""The generated screens (app/views.py): Thai, Buddhist-era dates, validation on the form."""

import re

import pytest
from sqlalchemy import event, func, inspect, select

from app.extensions import db
from app.models import School, Student
from app.pages.base import LecModelView
from app.thai import format_be_date
from app.workflow import CONFIRMED, confirmation_of, current_year

from conftest import SCHOOL_OF, learner_form, learner_of, visible_text

ACCOUNTS = ["central", "province", "lao", "school", "cdc", "manager"]


def stored(id_number):
    db.session.expire_all()
    return db.session.scalar(select(Student).where(Student.id_number == id_number))


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_demo_account_logs_in_and_reads_the_learner_list_in_thai(as_user, username):
    page = visible_text(as_user(username).get("/studentview/list/").get_data(as_text=True))
    assert "นักเรียน / เด็กเล็ก" in page
    for header in ["ชื่อ", "นามสกุล", "ระดับชั้น", "สถานศึกษา"]:
        assert header in page
    assert "ออกจากระบบ" in page


def test_login_page_is_thai_by_default(client):
    page = visible_text(client.get("/login/").get_data(as_text=True))
    assert "เข้าสู่ระบบ" in page and "ชื่อผู้ใช้" in page and "รหัสผ่าน" in page


def test_wrong_password_is_refused_in_thai(client):
    response = client.post("/login/", data={"username": "school", "password": "wrong"}, follow_redirects=True)
    assert "เข้าสู่ระบบไม่สำเร็จ" in response.get_data(as_text=True)


def test_an_address_that_leads_nowhere_is_explained_in_thai_and_the_api_answers_json(client, ctx, as_user):
    for reader in (client, as_user("school")):
        response = reader.get("/no-such-screen/")
        page = visible_text(response.get_data(as_text=True))
        assert response.status_code == 404
        assert "ไม่พบหน้าหรือรายการที่ต้องการ" in page and "กรุณาเปิดอีกครั้งจากเมนู" in page and "Not Found" not in page
    outside = as_user("school").get("/schoolview/show/%d" % school_id("1040130001"))  # ขอนแก่น, not its own
    assert outside.status_code == 404 and "ไม่พบหน้าหรือรายการที่ต้องการ" in outside.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json == {"message": "ไม่พบหน้าหรือรายการที่ต้องการ"}


def test_a_screen_outside_the_users_role_is_refused_in_thai_not_with_the_frameworks_forbidden(as_user):
    response = as_user("school").get("/users/list/")  # central's and the officers' account list
    page = visible_text(response.get_data(as_text=True))
    assert response.status_code == 403
    assert "บทบาทของท่านไม่มีสิทธิ์เปิดหน้านี้" in page and "ออกจากระบบ" in page
    assert "Forbidden" not in page and "permission" not in page


def school_id(code):
    return db.session.scalar(select(School.id).where(School.code == code))


def test_school_adds_a_learner_with_a_buddhist_era_birth_date(app, ctx, as_user):
    form = learner_form(app, first_name="ปิ่นมณี")
    response = as_user("school").post("/studentview/add", data=form, follow_redirects=True)
    assert response.status_code == 200
    learner = stored(form["id_number"])
    assert learner is not None
    assert learner.birth_date.isoformat() == "2018-06-01"
    assert learner.first_name == "ปิ่นมณี"  # combining vowel and tone mark kept as typed
    assert learner.created_by.username == "school"
    show = as_user("school").get("/studentview/show/%d" % learner.id).get_data(as_text=True)
    assert "01/06/2561" in show


def test_the_list_after_adding_marks_the_new_learner_once(app, ctx, as_user):
    clerk = as_user("school")
    form = learner_form(app, first_name="ใหม่ล่าสุด")
    clerk.get("/studentview/list/")
    clerk.get("/studentview/add")
    saved = clerk.post("/studentview/add", data=form)
    assert saved.status_code == 302 and saved.location.endswith("/studentview/list/#added")
    learner = stored(form["id_number"])
    page = clerk.get("/studentview/list/?_flt_0_first_name=ใหม่ล่าสุด").get_data(as_text=True)
    row = re.search(r'<tr id="added" class="lec-added">.*?</tr>', page, re.S).group(0)
    assert "ใหม่ล่าสุด" in row and 'value="%d"' % learner.id in row
    again = clerk.get("/studentview/list/?_flt_0_first_name=ใหม่ล่าสุด").get_data(as_text=True)
    assert "ใหม่ล่าสุด" in again and "lec-added" not in again


def test_national_id_typed_as_printed_on_the_card_is_stored_as_13_digits(app, ctx, as_user):
    form = learner_form(app, id_number="1-1037-01554-35-5", last_name="ขีดคั่น")
    as_user("school").post("/studentview/add", data=form)
    assert stored("1103701554355") is not None


def test_learner_form_takes_a_national_id_with_dashes_and_opens_the_phone_keypads(as_user):
    page = as_user("school").get("/studentview/add").get_data(as_text=True)
    identifier = re.search(r'<input[^>]*name="id_number"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in identifier and "maxlength" not in identifier
    phone = re.search(r'<input[^>]*name="guardian_phone"[^>]*>', page).group(0)
    assert 'type="tel"' in phone and 'inputmode="tel"' in phone


@pytest.mark.parametrize("username, level", [("school", "k1"), ("cdc", "cdc")])
def test_the_add_form_starts_at_the_first_level_of_the_accounts_own_school(ctx, as_user, username, level):
    school = db.session.scalar(select(School).where(School.code == SCHOOL_OF[username]))
    assert school.levels.split(",")[0] == level  # the demo school's levels, lowest first
    page = as_user(username).get("/studentview/add").get_data(as_text=True)
    select_box = re.search(r'<select[^>]*name="class_level".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option[^>]*selected[^>]*>', select_box).group(0)
    assert 'value="%s"' % level in chosen


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"id_number": "1234567890123"}, "หลักตรวจสอบ"),
        ({"id_number": "12345"}, "13 หลัก"),
        ({"id_number": "12345abc67890"}, "ตัวเลขเท่านั้น"),
        ({"id_kind": "g_code", "id_number": "G12"}, "G644200000001"),
        ({"birth_date": "01/06/2018"}, "พุทธศักราช (2561)"),
        ({"birth_date": "01/06/2599"}, "อนาคต"),
        ({"birth_date": "2561-06-01"}, "วว/ดด/ปปปป"),
        ({"first_name": ""}, "จำเป็นต้องกรอกข้อมูลในช่องนี้"),
        ({"first_name": "ก" * 10000}, "100"),
    ],
)
def test_bad_input_gets_a_thai_message_on_the_form_and_nothing_is_saved(app, as_user, changes, message):
    form = learner_form(app, **changes)
    with app.app_context():
        before = db.session.scalar(select(func.count(Student.id)))
    response = as_user("school").post("/studentview/add", data=form)
    assert response.status_code == 400
    assert message in visible_text(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == before


def test_list_shows_codes_as_thai_words(as_user):
    page = visible_text(as_user("central").get("/studentview/list/?psize_StudentView=100").get_data(as_text=True))
    assert "ป.1" in page and "ใช้งานอยู่" in page


def test_list_page_cost_does_not_grow_with_the_page_size(app, as_user, monkeypatch):
    """Relationships shown in the list load with the page, not one query per row."""
    for setting in ("LEC_USER_CACHE_SECONDS", "LEC_PERMISSION_CACHE_SECONDS"):  # kept however slowly it runs
        monkeypatch.setitem(app.config, setting, 3600)
    client = as_user("central")

    def count_queries(url):
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    count_queries("/studentview/list/")  # the user and the search form, read once and kept
    assert count_queries("/studentview/list/?psize_StudentView=100") == count_queries(
        "/studentview/list/?psize_StudentView=5"
    )


def test_academic_year_dates_are_typed_and_shown_in_the_buddhist_era(as_user):
    page = visible_text(as_user("central").get("/academicyearview/list/").get_data(as_text=True))
    assert "/25" in page  # dd/mm/25xx


def test_format_be_date_is_what_lists_show(app, as_user):
    with app.app_context():
        learner = db.session.get(Student, 1)
        expected = format_be_date(learner.birth_date)
    page = as_user("central").get("/studentview/show/1").get_data(as_text=True)
    assert expected in page


def test_related_views_walk_province_to_learners(app, as_user):
    client = as_user("central")
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == "1050130001"))
        lao_id, province_id = school.lao.id, school.lao.province.id
    assert "เทศบาลนครเชียงใหม่" in client.get("/provinceview/show/%d" % province_id).get_data(as_text=True)
    assert "โรงเรียนเทศบาลวัดเกตการาม" in client.get("/laoview/show/%d" % lao_id).get_data(as_text=True)
    assert "นักเรียน / เด็กเล็ก" in client.get("/schoolview/show/%d" % school.id).get_data(as_text=True)


def test_every_column_a_list_sorts_or_filters_on_is_indexed(app):
    with app.app_context():
        inspector = inspect(db.engine)
        for view in app.appbuilder.baseviews:
            if not isinstance(view, LecModelView):
                continue
            table = view.datamodel.obj.__table__
            indexed = {index["column_names"][0] for index in inspector.get_indexes(table.name)}
            indexed |= {c["column_names"][0] for c in inspector.get_unique_constraints(table.name)}
            indexed |= {"id"}
            for name in set(view.order_columns) | set(view.search_columns):
                relation = view.datamodel.is_relation(name)
                column = table.c[name + "_id"] if relation else table.c[name]
                assert column.name in indexed, (type(view).__name__, name)


def test_schema_matches_the_migrations(app):
    """A model change without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_appbuilder import Model

    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Model.metadata)
    assert differences == []


def test_deleting_an_organisation_that_is_still_used_is_refused_in_thai(app, as_user):
    with app.app_context():
        province_id = db.session.scalar(select(School).where(School.code == "1050130001")).lao.province_id
    client = as_user("central")
    response = client.post("/provinceview/delete/%d" % province_id, follow_redirects=True)
    assert "ลบไม่ได้" in visible_text(response.get_data(as_text=True))
    assert client.get("/provinceview/show/%d" % province_id).status_code == 200


def test_a_second_current_year_is_refused_in_thai(as_user):
    form = {
        "year": "2601",
        "entry_opens": "01/05/2601",
        "school_deadline": "06/08/2601",
        "lao_deadline": "06/08/2601",
        "province_deadline": "07/08/2601",
        "is_current": "y",
    }
    response = as_user("central").post("/academicyearview/add", data=form, follow_redirects=True)
    assert "เป็นปีการศึกษาปัจจุบันอยู่ กรุณายกเลิกการเป็นปีปัจจุบันของปีนั้นก่อน" in visible_text(
        response.get_data(as_text=True)
    )
    assert "2601" not in visible_text(as_user("central").get("/academicyearview/list/").get_data(as_text=True))


# -- screens that show the lock (issue 17) --------------------------------------------------------


def lock_own_school(app):
    """The school account's own school confirms (its confirmation set as the step leaves it);
    returns the Thai reason every screen gives for its learners."""
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
        confirmation_of(school, current_year()).state = CONFIRMED
        db.session.commit()
        return "%s ยืนยันข้อมูลแล้ว ข้อมูลถูกล็อก" % school.name_th


def school_id_of(app, code):
    with app.app_context():
        return db.session.scalar(select(School.id).where(School.code == code))


def own_learner(app):
    with app.app_context():
        return learner_of(SCHOOL_OF["school"])


def row_of(app, learner_id):
    with app.app_context():
        row = db.session.get(Student, learner_id)
        return {column.key: getattr(row, column.key) for column in inspect(Student).column_attrs}


def test_an_open_schools_list_offers_edit_on_its_rows_and_add(app, fresh, as_user):
    page = as_user("school").get("/studentview/list/").get_data(as_text=True)
    assert "/studentview/edit/%d" % own_learner(app) in page
    assert "/studentview/add" in page


def test_a_confirmed_schools_list_offers_no_edit_on_its_rows_and_no_add_and_says_why(app, fresh, as_user):
    reason = lock_own_school(app)
    response = as_user("school").get("/studentview/list/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/studentview/show/%d" % own_learner(app) in page
    assert "/studentview/edit/" not in page and "/studentview/add" not in page
    assert reason in visible_text(page)


def test_the_edit_address_of_a_locked_learner_shows_it_read_only_with_the_reason(app, fresh, as_user):
    reason = lock_own_school(app)
    response = as_user("school").get("/studentview/edit/%d" % own_learner(app))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert reason in visible_text(page)
    assert 'name="first_name"' not in page and "<form" not in page.split('id="Home"')[-1]
    with app.app_context():
        learner = db.session.get(Student, own_learner(app))
        assert learner.first_name in visible_text(page)


def test_a_change_sent_to_a_locked_learner_writes_nothing_and_says_why(app, fresh, as_user):
    reason = lock_own_school(app)
    learner_id = own_learner(app)
    before = row_of(app, learner_id)
    form = learner_form(app, first_name="เปลี่ยนแล้ว", id_number=before["id_number"])
    response = as_user("school").post("/studentview/edit/%d" % learner_id, data=form)
    assert response.status_code == 409
    assert reason in visible_text(response.get_data(as_text=True))
    assert row_of(app, learner_id) == before


def test_central_still_adds_learners_while_one_school_is_confirmed_but_not_edits_its_rows(app, fresh, as_user):
    lock_own_school(app)
    page = as_user("central").get("/studentview/list/?_flt_0_school=%d" % school_id_of(app, SCHOOL_OF["school"]))
    page = page.get_data(as_text=True)
    assert "/studentview/add" in page
    assert "/studentview/show/%d" % own_learner(app) in page and "/studentview/edit/" not in page


def test_every_row_of_a_list_has_its_buttons_and_delete_asks_first(as_user):
    page = as_user("central").get("/users/list/").get_data(as_text=True)
    rows = re.findall(r'<input id="(\d+)" class="action_check" name="rowid" value="\1" type="checkbox">', page)
    assert len(rows) > 1
    for pk in rows:
        assert 'href="/users/show/%s"' % pk in page and 'href="/users/edit/%s"' % pk in page
        assert 'id="btn-delete-/users/delete/%s"' % pk in page
        assert "execute_single_delete('/users/delete/%s','ท่านแน่ใจหรือไม่" % pk in page
