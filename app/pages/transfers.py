"""Transfers between schools on screen and by API (app/transfers.py): the receiving school finds the
learner by the exact identifier and asks, the old school (or its LAO when overdue) accepts or
declines; the learner form offers the request instead of saving a learner active elsewhere."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import choices, transfers
from ..errors import Invalid, LecError, Refused
from ..extensions import db
from ..models import School
from ..scope import current_node, readable
from ..thai import format_be_datetime
from .base import LecApi, json_body, whole_number
from .errors import on_refusal

STATES = dict(choices.TRANSFER_STATES)
LEVELS = dict(choices.CLASS_LEVELS)


def _school(value):
    """The school an id from a form or a body names, when the user may read it; None for none."""
    key = whole_number(value, School.id.type) if value not in (None, "") else None
    if key is None:
        return None
    return db.session.scalar(select(School).where(School.id == key, readable(School)))


def _request_or_404(pk):
    return transfers.readable_request(pk)


def schools_to_receive():
    """The schools the user may take a learner into: its own school, or those of its subtree."""
    if current_node().level not in transfers.ASKERS:
        return []
    return db.session.scalars(select(School).where(readable(School)).order_by(School.code)).all()


class OffersTransfers:
    """For the learner form: an identifier that is active in another school this year is not saved a
    second time; the form leads to the transfer request instead (showing only the minimal record)."""

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "POST" and current_node().level in transfers.ASKERS:
            to_school = _school(request.form.get("school"))
            try:
                match = transfers.find_for_transfer(request.form.get("id_number"), to_school)
            except LecError:
                match = None  # bad input: the form itself says what is wrong
            if match is not None:
                flash(_l("This learner is active in another school this year: ask that school for a transfer "
                         "instead of entering them again."), "warning")  # fmt: skip
                return redirect(url_for("TransfersView.ask", id_number=match.id_number, to_school=to_school and
                                        to_school.id, class_level=request.form.get("class_level")))  # fmt: skip
        return super().add()


class RefusesLearnersActiveElsewhere:
    """For the learners API: a learner whose identifier is active in another school this year is not
    added a second time (409); the answer names the transfer request to send instead."""

    def pre_add(self, item):
        super().pre_add(item)
        if current_node().level in transfers.ASKERS and item.school is not None:
            with db.session.no_autoflush:  # the new learner is not in the session yet
                match = transfers.find_for_transfer(item.id_number, item.school)
            if match is not None:
                raise Refused([str(_l("This learner is active in %(school)s this year: ask that school for a transfer "
                                      "(POST /api/v1/transfers/ask) instead of entering them again.",
                                      school=match.school_name))])  # fmt: skip


def _row(item):
    """What the lists and the API show of a request."""
    answerer = transfers.who_answers(item)
    return {
        "request": item,
        "learner": str(item.student),
        "state": STATES.get(item.state, item.state),
        "level": LEVELS.get(item.class_level, item.class_level),
        "asked_on": format_be_datetime(item.asked_on),
        "answered_on": format_be_datetime(item.answered_on) if item.answered_on else "",
        "note": answerer.note if answerer else "",
        "may_answer": transfers.may_answer(item),
        "may_withdraw": transfers.may_withdraw(item),
    }


class TransfersView(BaseView):
    """The requests of the user's schools, in and out, with the steps the user may take on each."""

    route_base = "/transfers"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        rows = [_row(item) for item in transfers.requests_in_scope()]
        node = current_node()
        mine = node.id if node.level == "school" else None
        moving_in = [row for row in rows if row["request"].to_school_id == mine]
        moving_out = [row for row in rows if row["request"].from_school_id == mine]
        others = [row for row in rows if mine is None]
        return self.render_template(
            "lec/transfers.html", moving_in=moving_in, moving_out=moving_out, others=others, form=FlaskForm(),
            days=transfers.answer_days(), may_ask=bool(schools_to_receive()),
        )  # fmt: skip

    @expose("/ask", methods=["GET", "POST"])
    @has_access
    def ask(self):
        schools = schools_to_receive()
        source = request.form if request.method == "POST" else request.args
        id_number = (source.get("id_number") or "").strip()
        to_school = _school(source.get("to_school"))
        if to_school is None and len(schools) == 1:
            to_school = schools[0]
        class_level = source.get("class_level") or ""
        form = FlaskForm()
        match, searched = None, False
        page = lambda: self.render_template(  # noqa: E731
            "lec/transfer_ask.html", form=form, schools=schools, to_school=to_school, id_number=id_number,
            class_level=class_level, match=match, searched=searched, levels=choices.CLASS_LEVELS,
        )  # fmt: skip
        on_refusal(page)
        if id_number:
            searched = True
            match = transfers.find_for_transfer(id_number, to_school)
        if request.method == "POST" and request.form.get("step") == "ask" and form.validate_on_submit():
            if match is None:
                raise Invalid({"id_number": _l("No learner with this identifier is active in another school "
                                               "this year.")})  # fmt: skip
            transfers.ask_for_transfer(match, to_school, class_level)
            db.session.commit()
            flash(_l("Transfer request sent to %(school)s.", school=match.school_name), "success")
            return redirect(url_for("TransfersView.index"))
        return page()

    @expose("/<int:pk>/accept", methods=["POST"])
    @has_access
    @permission_name("answer")
    def accept(self, pk):
        return self._step(pk, transfers.accept_transfer, _l("The transfer is accepted: the learner is now at the "
                                                            "new school."))  # fmt: skip

    @expose("/<int:pk>/decline", methods=["POST"])
    @has_access
    @permission_name("answer")
    def decline(self, pk):
        reason = request.form.get("reason")
        return self._step(pk, lambda item: transfers.decline_transfer(item, reason),
                          _l("The transfer request is declined."))  # fmt: skip

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @has_access
    @permission_name("ask")
    def withdraw(self, pk):
        return self._step(pk, transfers.withdraw_transfer, _l("The transfer request is withdrawn."))

    def _step(self, pk, step, done):
        back = redirect(url_for("TransfersView.index"))
        on_refusal(lambda: back)
        item = _request_or_404(pk)
        if not FlaskForm().validate_on_submit():
            flash(_l("The form has expired; please try again."), "danger")
            return back
        step(item)
        db.session.commit()
        flash(done, "success")
        return back


def _json(item):
    row = _row(item)
    return {
        "id": item.id, "state": item.state, "learner": row["learner"], "class_level": item.class_level,
        "from_school": {"id": item.from_school_id, "name": item.from_school.name_th},
        "to_school": {"id": item.to_school_id, "name": item.to_school.name_th},
        "asked_on": item.asked_on.isoformat(), "answered_on": item.answered_on and item.answered_on.isoformat(),
        "decline_reason": item.decline_reason, "new_student_id": item.new_student_id, "note": row["note"],
        "may_answer": row["may_answer"],
    }  # fmt: skip


def _match_json(match):
    return {
        "student_id": match.student_id, "id_number": match.id_number, "name": match.name,
        "class_level": match.class_level, "school": match.school_name, "lao": match.lao_name,
        "province": match.province_name,
    }  # fmt: skip


class TransferApi(LecApi, BaseApi):
    """Transfers for scripts, with the screens' rules and scope: GET / lists the requests of the
    user's schools; POST /find {id_number, to_school?} shows the minimal record of a learner active
    elsewhere; POST /ask {id_number, class_level, to_school?}; POST /<id>/accept; POST /<id>/decline
    {reason}; POST /<id>/withdraw. Bad input is a 400 by field, a request outside the user's area a
    404, a refusal (answered already, not the answerer, locked) a 409."""

    resource_name = "transfers"
    allow_browser_login = True

    @expose("/", methods=["GET"])
    @protect()
    @permission_name("get")
    def list(self):
        """The transfer requests of the user's schools
        ---
        get:
          responses:
            200:
              description: The requests, waiting ones first
            401:
              $ref: '#/components/responses/401'
        """
        return self.response(200, result=[_json(item) for item in transfers.requests_in_scope()])

    @expose("/find", methods=["POST"])
    @protect()
    @permission_name("ask")
    def find(self):
        """The learner active in another school with exactly this identifier
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [id_number]
                  properties:
                    id_number: {type: string}
                    to_school: {type: integer, description: "the receiving school, for an account above schools"}
          responses:
            200:
              description: The minimal record (name, class level, school), or null
            400:
              $ref: '#/components/responses/lec_400'
        """
        payload = json_body()
        match = transfers.find_for_transfer(_text(payload, "id_number"), self._to_school(payload))
        return self.response(200, result=_match_json(match) if match else None)

    @expose("/ask", methods=["POST"])
    @protect()
    @permission_name("ask")
    def ask(self):
        """Ask the old school for a learner active there
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [id_number, class_level]
                  properties:
                    id_number: {type: string}
                    class_level: {type: string}
                    to_school: {type: integer}
          responses:
            200:
              description: The request
            400:
              $ref: '#/components/responses/lec_400'
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        payload = json_body()
        to_school = self._to_school(payload)
        match = transfers.find_for_transfer(_text(payload, "id_number"), to_school)
        if match is None:
            raise Invalid({"id_number": str(_l("No learner with this identifier is active in another school "
                                               "this year."))})  # fmt: skip
        item = transfers.ask_for_transfer(match, to_school, _text(payload, "class_level"))
        db.session.commit()
        return self.response(200, result=_json(item))

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @permission_name("answer")
    def accept(self, pk):
        """Accept a transfer request (the old school, or its LAO once overdue)
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The request, accepted
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        return self._step(pk, transfers.accept_transfer)

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @permission_name("answer")
    def decline(self, pk):
        """Decline a transfer request with a reason
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [reason]
                  properties:
                    reason: {type: string}
          responses:
            200:
              description: The request, declined
            400:
              $ref: '#/components/responses/lec_400'
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        reason = _text(json_body(), "reason")
        return self._step(pk, lambda item: transfers.decline_transfer(item, reason))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @permission_name("ask")
    def withdraw(self, pk):
        """Withdraw a request not answered yet (the school that asked)
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The request, withdrawn
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        return self._step(pk, transfers.withdraw_transfer)

    def _step(self, pk, step):
        item = step(_request_or_404(pk))
        db.session.commit()
        return self.response(200, result=_json(item))

    @staticmethod
    def _to_school(payload):
        value = payload.get("to_school")
        if value is None:
            return None
        school = _school(value) if type(value) is int else None
        if school is None:
            raise Invalid({"to_school": str(_l("Not found, or outside your area."))})
        return school


def _text(payload, field):
    value = payload.get(field)
    if value is not None and not isinstance(value, str):
        raise Invalid({field: str(_l("Not a valid string."))})
    return value
