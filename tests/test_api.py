"""The REST API under /api/v1/ (app/views.py APIs): same rules as the forms, 400 in Thai."""

import threading

import pytest
from sqlalchemy import func, select
from stdnum.th import pin

from app.extensions import db
from app.models import AcademicYear, Lao, NoOtherSchools, Province, School, Student

from conftest import SCHOOL_OF, api_headers, digest, sql_run_on


@pytest.fixture
def school_api(client):
    return client, api_headers(client, "school")


def learner(app, **changes):
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.code == SCHOOL_OF["school"]))
    body = "2" + "%011d" % (digest(str(changes)) % 10**11)
    return {
        "academic_year": 1,
        "school": school_id,
        "id_kind": "national_id",
        "id_number": body + pin.calc_check_digit(body),
        "first_name": "ชื่นกมล",
        "last_name": "ทิพย์เนตร",
        "sex": "F",
        "birth_date": "2019-06-01",
        "class_level": "p1",
        **changes,
    }


def count_learners(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Student.id)))


@pytest.mark.parametrize("resource", ["province", "lao", "school", "academic_year", "student"])
def test_every_resource_lists_with_a_jwt(client, resource):
    response = client.get("/api/v1/%s/" % resource, headers=api_headers(client, "manager"))
    assert response.status_code == 200
    assert response.json["count"] > 0


def test_provinces_come_with_their_official_codes(client):
    response = client.get("/api/v1/province/?q=(page_size:100)", headers=api_headers(client, "manager"))
    assert response.json["count"] == 77
    codes = {row["code"]: row["name_th"] for row in response.json["result"]}
    assert codes["10"] == "กรุงเทพมหานคร" and codes["50"] == "เชียงใหม่"


def test_school_creates_a_learner_and_reads_it_back(app, school_api):
    client, headers = school_api
    body = learner(app)
    created = client.post("/api/v1/student/", json=body, headers=headers)
    assert created.status_code == 201
    shown = client.get("/api/v1/student/%d" % created.json["id"], headers=headers).json["result"]
    assert shown["id_number"] == body["id_number"] and shown["first_name"] == "ชื่นกมล"
    assert shown["birth_date"] == "2019-06-01"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"id_number": "1234567890123"}, "id_number", "หลักตรวจสอบ"),
        ({"id_number": "123"}, "id_number", "13 หลัก"),
        ({"id_kind": "g_code", "id_number": "G1"}, "id_number", "รหัส G"),
        ({"birth_date": "2999-01-01"}, "birth_date", "อนาคต"),
        ({"birth_date": "01/06/2562"}, "birth_date", "ISO"),
        ({"first_name": "ก" * 10000}, "first_name", "100"),
        ({"first_name": None}, "first_name", "ค่าว่าง"),
        ({"sex": "X"}, "sex", "M, F"),
        ({"class_level": "p9"}, "class_level", "p1"),
        ({"school": 999999}, "school", "ไม่พบ"),
        ({"unexpected": 1}, "unexpected", "ไม่รู้จัก"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_in_thai_and_nothing_is_written(app, school_api, changes, field, message):
    client, headers = school_api
    before = count_learners(app)
    response = client.post("/api/v1/student/", json=learner(app, **changes), headers=headers)
    assert response.status_code == 400
    assert message in str(response.json["message"][field])
    assert count_learners(app) == before


def test_a_duplicate_code_is_a_400_not_a_500(client):
    headers = api_headers(client, "central")
    response = client.post(
        "/api/v1/province/", json={"code": "50", "name_th": "ซ้ำ", "name_en": "Duplicate"}, headers=headers
    )
    assert response.status_code == 400
    assert "ซ้ำ" in response.json["message"]


def test_edit_with_bad_identifier_is_refused(app, school_api):
    client, headers = school_api
    created = client.post("/api/v1/student/", json=learner(app, last_name="แก้ไข"), headers=headers)
    response = client.put(
        "/api/v1/student/%d" % created.json["id"], json={"id_number": "1234567890123"}, headers=headers
    )
    assert response.status_code == 400 and "หลักตรวจสอบ" in response.json["message"]["id_number"]


def test_labels_in_the_api_are_thai(client):
    info = client.get("/api/v1/student/_info", headers=api_headers(client, "school")).json
    labels = info["add_columns"]
    assert {column["name"]: column["label"] for column in labels}["first_name"] == "ชื่อ"


def test_openapi_document_and_swagger_are_for_central_only(client, as_user):
    assert client.get("/api/v1/_openapi", headers=api_headers(client, "central")).status_code == 200
    assert client.get("/api/v1/_openapi", headers=api_headers(client, "school")).status_code in (401, 403)
    assert as_user("central").get("/swagger/v1").status_code == 200
    assert as_user("school").get("/swagger/v1").status_code in (302, 403)


def test_deleting_a_province_in_use_is_a_400_in_thai(client):
    headers = api_headers(client, "central")
    provinces = client.get("/api/v1/province/?q=(filters:!((col:code,opr:eq,value:'50')))", headers=headers)
    response = client.delete("/api/v1/province/%d" % provinces.json["ids"][0], headers=headers)
    assert response.status_code == 400 and "ลบไม่ได้" in response.json["message"]


def test_edits_at_the_same_moment_in_one_app_never_cross(app):
    """gunicorn serves several requests at once in the threads of one process. Two clerks editing
    two learners at the same moment must each change their own learner, once: FAB's one shared
    schema object per API used to carry one request's row into the other (the load test found lost
    writes, duplicated learners and 500s)."""
    with app.app_context():
        ids = db.session.scalars(
            select(Student.id).join(School).where(School.code == SCHOOL_OF["school"]).order_by(Student.id).limit(2)
        ).all()
        before = db.session.scalar(select(func.count(Student.id)))
    headers = api_headers(app.test_client(), "school")
    answers = []

    def edit(learner_id, tag):
        client = app.test_client()
        for n in range(40):
            response = client.put("/api/v1/student/%d" % learner_id, json={"room": "%s%d" % (tag, n)}, headers=headers)
            answers.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(learner_id, tag)) for learner_id, tag in zip(ids, "ab", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        rooms = dict(db.session.execute(select(Student.id, Student.room).where(Student.id.in_(ids))).all())
        after = db.session.scalar(select(func.count(Student.id)))
    assert set(answers) == {200}
    assert rooms == {ids[0]: "a39", ids[1]: "b39"}
    assert after == before, "an edit inserted a copy of its learner"


# -- every bad input is a 4xx in Thai, and writes nothing (issue 15; tests/test_api_fuzz.py) -------

HUGE = 33916394660960133120  # beyond 64 bits


def count_rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("resource, model", [("student", Student), ("lao", Lao), ("school", School),
                                             ("no_other_schools", NoOtherSchools)])  # fmt: skip
@pytest.mark.parametrize("key", [HUGE, 2**31, -(2**63) - 1, "abc"])
def test_a_key_no_row_can_have_is_a_404_in_thai_for_every_method(app, client, resource, model, key):
    headers = api_headers(client, "central")
    before = count_rows(app, model)
    calls = (client.get, client.put) + ((client.delete,) if resource != "student" else ())  # learners: never deleted
    for call in calls:
        response = call("/api/v1/%s/%s" % (resource, key), json={"note": "x"}, headers=headers)
        assert response.status_code == 404, (call, response.json)
        assert "ไม่พบข้อมูล" in response.json["message"]
    assert count_rows(app, model) == before


@pytest.mark.parametrize("address", [
    "/api/v1/province/74?q=5.79e+16", "/api/v1/student/_info?q=4.77e+16", "/api/v1/school_profile/_info?q=1e9",
    "/api/v1/student/?q=!(1,2)", "/api/v1/student/?q=(page:'x')", "/api/v1/student/?q=(((",
    "/api/v1/province/?q=(page:-3)", "/api/v1/lao/?q=(filters:!((col:id,opr:eq,value:3000000000)))",
    "/api/v1/school/?q=(filters:!((col:lao,opr:rel_o_m,value:'x')))", '/api/v1/school/?q={"\\ud800":1}',
])  # fmt: skip
def test_a_q_that_is_not_a_rison_object_of_the_expected_shape_is_a_400_in_thai(client, address):
    response = client.get(address, headers=api_headers(client, "central"))
    assert response.status_code == 400
    assert "ค่า q" in response.json["message"]["q"]


@pytest.mark.parametrize("value, message", [
    ({"id": 1}, "จำนวนเต็ม"), ([1], "จำนวนเต็ม"), (2.4e107, "จำนวนเต็ม"), (1.5, "จำนวนเต็ม"), ("1", "จำนวนเต็ม"),
    (HUGE, "ใหญ่เกิน"), (2**40, "จำนวนเต็ม"), (999999, "ไม่พบ"),
])  # fmt: skip
def test_a_relation_that_is_not_an_id_of_a_row_is_a_400_naming_the_field(app, school_api, value, message):
    client, headers = school_api
    before = count_learners(app)
    response = client.post("/api/v1/student/", json=learner(app, school=value), headers=headers)
    assert response.status_code == 400
    assert message in str(response.json["message"]["school"])
    assert count_learners(app) == before


def test_a_relation_to_a_row_outside_the_users_area_is_a_400_naming_the_field(app, school_api):
    client, headers = school_api
    with app.app_context():
        elsewhere = db.session.scalar(select(School.id).where(School.code == SCHOOL_OF["cdc"]))
    before = count_learners(app)
    response = client.post("/api/v1/student/", json=learner(app, school=elsewhere), headers=headers)
    assert response.status_code == 400 and "ไม่พบ" in str(response.json["message"]["school"])
    assert count_learners(app) == before


def test_a_relation_given_as_an_object_is_a_400_for_an_lao_too(app, client):
    headers = api_headers(client, "central")
    before = count_rows(app, Lao)
    body = {"code": "99999999", "name_th": "ทดสอบ", "kind": "tambon", "province": {"id": 1}}
    response = client.post("/api/v1/lao/", json=body, headers=headers)
    assert response.status_code == 400 and "จำนวนเต็ม" in str(response.json["message"]["province"])
    assert count_rows(app, Lao) == before


@pytest.mark.parametrize("text", ["ชื่อ\ud800", "ชื่อ\x00", "\x1b[31m", "ชื่อ\x7f"])
def test_text_with_broken_or_control_characters_is_a_400_naming_the_field(app, school_api, text):
    client, headers = school_api
    before = count_learners(app)
    response = client.post("/api/v1/student/", json=learner(app, first_name=text), headers=headers)
    assert response.status_code == 400 and "อักขระ" in response.json["message"]["first_name"]
    learner_id = client.get("/api/v1/student/", headers=headers).json["ids"][0]
    edited = client.put("/api/v1/student/%d" % learner_id, json={"last_name": text}, headers=headers)
    assert edited.status_code == 400 and "อักขระ" in edited.json["message"]["last_name"]
    if "\ud800" not in text:  # a broken character cannot travel in an address
        search = "/api/v1/student/?q=(filters:!((col:first_name,opr:sw,value:'%s')))" % text
        assert client.get(search, headers=headers).status_code == 400
    assert count_learners(app) == before


def test_a_number_beyond_its_column_is_a_400_naming_the_field(app, client):
    headers = api_headers(client, "central")
    before = count_rows(app, AcademicYear)
    body = {"year": 2**31, "entry_opens": "2030-05-16", "school_deadline": "2030-07-15",
            "lao_deadline": "2030-07-20", "province_deadline": "2030-07-25", "is_current": False}  # fmt: skip
    response = client.post("/api/v1/academic_year/", json=body, headers=headers)
    assert response.status_code == 400 and "ต้องอยู่ระหว่าง" in str(response.json["message"]["year"])
    assert count_rows(app, AcademicYear) == before


@pytest.mark.parametrize("resource, model", [("province", Province), ("lao", Lao), ("school", School)])
@pytest.mark.parametrize("body", ["true", "1", "[]", "null", '"ชื่อ"'])
def test_an_edit_whose_body_is_not_an_object_is_a_400_and_changes_nothing(app, client, resource, model, body):
    """Found by make fuzz: FAB merged such a body into the stored row and failed with a 500."""
    with app.app_context():
        row = db.session.scalars(select(model).order_by(model.id)).first()
        before = (row.id, row.code, row.name_th, row.changed_on)
    headers = {**api_headers(client, "central"), "Content-Type": "application/json"}
    response = client.put("/api/v1/%s/%d" % (resource, before[0]), data=body, headers=headers)
    assert response.status_code == 400
    assert response.json["message"] == {"_schema": ["รูปแบบข้อมูลที่ส่งมาไม่ถูกต้อง"]}
    with app.app_context():
        row = db.session.get(model, before[0])
        assert (row.id, row.code, row.name_th, row.changed_on) == before


# -- lists on the screens' fast path (issue 19) -----------------------------------------------------

# A list as central: the user with its roles, the page's rows, the count up to the cap (nothing about
# the Public role, whose grants are kept like every role's).
LIST_BUDGET = 3
# An edit as central: the user, the row with its year and school in one statement (FAB merges the
# body into the stored row, reading both), the confirmation that locks it, the UPDATE, the history
# entry with its school and LAO; nothing read again after the commit.
PUT_BUDGET = 7


def executed(app, call):
    """The SQL statements one request executes, and its answer."""
    with app.app_context():
        engine = db.engine
    with sql_run_on(engine) as statements:
        response = call()
    assert response.status_code == 200, response.json
    return statements, response


def every_page(client, headers, query):
    """The ids of every page of the learners list under this rison query, page after page."""
    ids, page = [], 0
    while True:
        answer = client.get("/api/v1/student/?q=(%s,page:%d,page_size:25)" % (query, page), headers=headers).json
        if not answer["ids"]:
            return ids, answer
        ids += answer["ids"]
        page += 1


def test_under_the_cap_the_list_count_is_exact(app, client):
    answer = client.get("/api/v1/student/?q=(page_size:5)", headers=api_headers(client, "central")).json
    assert answer["count"] == count_learners(app) and answer["count_is_estimate"] is False
    assert len(answer["result"]) == 5


def test_past_the_cap_the_list_count_is_an_estimate_of_at_least_the_rows_seen(app, client, monkeypatch):
    headers = api_headers(client, "central")
    monkeypatch.setitem(app.config, "LEC_LIST_COUNT_CAP", 10)
    for page in (0, 3):
        answer = client.get("/api/v1/student/?q=(page:%d,page_size:5)" % page, headers=headers).json
        assert answer["count_is_estimate"] is True
        assert answer["count"] > 10 and answer["count"] >= page * 5 + len(answer["ids"])
    small = client.get("/api/v1/province/?q=(page_size:5,filters:!((col:code,opr:eq,value:'50')))", headers=headers)
    assert small.json["count"] == 1 and small.json["count_is_estimate"] is False


@pytest.mark.parametrize("order", ["order_column:first_name,order_direction:asc",
                                   "order_column:sex,order_direction:desc",
                                   "order_column:school.name_th,order_direction:desc"])  # fmt: skip
def test_pages_follow_each_other_in_a_stable_order_with_no_row_twice_or_missing(app, client, order):
    ids, last = every_page(client, api_headers(client, "central"), order)
    with app.app_context():
        every = db.session.scalars(select(Student.id)).all()
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(every)
    assert last["count"] == len(every) and last["count_is_estimate"] is False


@pytest.mark.parametrize("order", ["order_column:id,order_direction:asc",
                                   "order_column:school.name_th,order_direction:desc"])  # fmt: skip
def test_a_school_clerks_list_holds_only_its_own_learners(app, client, order):
    ids, _last = every_page(client, api_headers(client, "school"), order)
    with app.app_context():
        own = db.session.scalars(
            select(Student.id).join(School).where(School.code == SCHOOL_OF["school"]).order_by(Student.id)
        ).all()
    assert own and ids == (own if "order_column:id" in order else own[::-1])


@pytest.mark.parametrize("signed_in", ["cookie", "jwt"])
def test_a_list_and_an_edit_as_central_run_a_fixed_few_statements(app, as_user, signed_in):
    client = as_user("central") if signed_in == "cookie" else app.test_client()
    headers = api_headers(client, "central") if signed_in == "jwt" else {}
    with app.app_context():
        learner_id = db.session.scalar(select(Student.id).order_by(Student.id).limit(1))
    client.get("/api/v1/student/", headers=headers)  # the role set's permissions are read once per process
    listed, _answer = executed(app, lambda: client.get("/api/v1/student/?q=(page_size:25)", headers=headers))
    assert len(listed) <= LIST_BUDGET, listed
    assert not [s for s in listed if "FROM ab_role" in s or "ab_permission" in s], listed
    for room in ("ห้อง 1", "ห้อง 2"):
        edited, answer = executed(app, lambda room=room: client.put(
            "/api/v1/student/%d" % learner_id, json={"room": room}, headers=headers))  # fmt: skip
        assert answer.json["result"]["room"] == room
        assert len(edited) <= PUT_BUDGET, edited
        assert [s for s in edited if s.startswith("UPDATE student")], edited


# The status of a school as central: the user, the year, the school by its code (a province's code
# is tried first, then an LAO's), its confirmation, and its steps with who took them. Each next step
# is tried as the step itself decides, without taking it: nothing written, no savepoint.
STATUS_BUDGET = 7


def test_the_workflow_status_reads_a_fixed_few_statements_and_writes_nothing(app, client):
    headers = api_headers(client, "central")
    with app.app_context():
        year = db.session.scalar(select(AcademicYear.year).where(AcademicYear.is_current))
    address = "/api/v1/workflow/status?org=%s&year=%d" % (SCHOOL_OF["school"], year)
    client.get(address, headers=headers)
    statements, answer = executed(app, lambda: client.get(address, headers=headers))
    assert answer.json["org"] == SCHOOL_OF["school"] and set(answer.json["next"]) >= {"confirm", "exception"}
    assert answer.json["next"]["exception"]["allowed"] and not answer.json["next"]["confirm"]["allowed"]
    assert len(statements) <= STATUS_BUDGET, statements
    assert [s for s in statements if not s.startswith("SELECT")] == [], statements
