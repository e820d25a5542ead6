"""One error map (app/errors.py's family, answered by app/pages/errors.py): every refusal has its
status, the REST API answers it in Thai JSON, a screen flashes it and shows the page again or
sends the user back."""

import inspect

import pytest
from flask import get_flashed_messages

from app import errors
from app.pages.errors import STATUS, answer, on_refusal, status_of


def test_every_refusal_of_the_family_has_its_own_place_in_the_map():
    family = {kind for _name, kind in inspect.getmembers(errors, inspect.isclass) if issubclass(kind, errors.LecError)}
    mapped = {kind for kind, _status in STATUS}
    for_the_command_line = {errors.LecError, errors.UnknownGrants, errors.AlreadyGenerated, errors.HistoryIsAppendOnly}
    assert family - for_the_command_line <= mapped
    assert status_of(errors.AlreadyImported("x")) == 409 and status_of(errors.Conflict("x")) == 400
    assert status_of(errors.HistoryIsAppendOnly("x")) == 409


@pytest.mark.parametrize(
    "refusal, status, message",
    [
        (errors.Invalid({"ids": "ไม่ใช่ตัวเลข"}), 400, {"ids": "ไม่ใช่ตัวเลข"}),
        (errors.Refused(["ยืนยันไว้แล้ว", "หมดเวลา"]), 409, ["ยืนยันไว้แล้ว", "หมดเวลา"]),
        (errors.Locked("ข้อมูลถูกล็อก"), 409, ["ข้อมูลถูกล็อก"]),
    ],
)
def test_the_api_answers_a_refusal_with_its_status_and_thai_json(app, refusal, status, message):
    with app.test_request_context("/api/v1/learners/remove", method="POST"):
        assert answer(refusal) == ({"message": message}, status)


def test_a_refusal_outside_the_users_area_is_not_found_on_the_api_and_on_screen(app):
    with app.test_request_context("/api/v1/workflow/confirm", method="POST"):
        body, status = answer(errors.OutOfScope("x"))
        assert status == 404 and "ไม่พบ" in body["message"]
    with app.test_request_context("/workflow/board/lao/1"):
        page, status = answer(errors.OutOfScope("x"))
        assert status == 404 and "ไม่พบ" in page


def test_a_screen_shows_its_page_again_with_the_status_and_the_message_flashed(app):
    with app.test_request_context("/learners/remove", method="POST"):
        on_refusal(lambda: "หน้าเดิม")
        response = answer(errors.Locked("ข้อมูลถูกล็อก"))
        assert (response.status_code, response.get_data(as_text=True)) == (409, "หน้าเดิม")
        assert get_flashed_messages(with_categories=True) == [("danger", "ข้อมูลถูกล็อก")]


def test_a_screen_without_a_page_to_show_again_sends_the_user_back(app):
    with app.test_request_context("/quality/explain/1", method="POST", headers={"Referer": "/quality/"}):
        response = answer(errors.Refused(["ยังไม่ได้อธิบาย"]))
        assert (response.status_code, response.location) == (302, "/quality/")
        assert get_flashed_messages() == ["ยังไม่ได้อธิบาย"]
