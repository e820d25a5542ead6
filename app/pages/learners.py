"""Learners' pages beyond the generated lists (app/learners.py): removal with a reason, restoring,
the new-year wizard, the data-quality findings after a save, and the same steps for scripts."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import literal, select

from .. import choices, learners, quality, workflow
from ..errors import Invalid
from ..extensions import db
from ..forms import RemovalForm
from ..models import Student
from .base import LecApi, iso_date, json_body, whole_number
from .errors import on_refusal


def ask_to_remove(items):
    """Removal needs a reason, a date and a note: the selected learners go to its form."""
    return redirect(url_for("LearnersView.remove", ids=",".join(str(item.id) for item in items)))


def restore_removed(items):
    """Restoring needs no form: done or refused, the user is back on the removed learners' list."""
    back = redirect(url_for("RemovedStudentView.list"))
    on_refusal(lambda: back)
    learners.restore_learners(items)
    db.session.commit()
    flash(_l("Learners restored to the count: %(count)d.", count=len(items)), "success")
    return back


def show_findings(item):
    """The clerk sees at once what the data-quality checks find in the learner just saved."""
    for finding in quality.findings_of(item.academic_year, select(literal(item.school_id)), student_id=item.id):
        text = finding.check.message
        if finding.other_school:
            text = "%s %s" % (text, _l("Also active in %(school)s (%(lao)s)", school=finding.other_school.name_th,
                                         lao=finding.other_lao.name_th))  # fmt: skip
        flash(text, "danger" if finding.check.severity == quality.ERROR else "warning")


def learners_named(ids):
    """The learners named in ``ids`` ("12,15"): 400 when it is not a list of ids; one unknown or
    outside the user's subtree is refused by app/learners.py (a 404)."""
    wanted = [whole_number(part.strip(), Student.id.type) for part in ids.split(",") if part.strip()]
    if not wanted or None in wanted:
        abort(400)
    return learners.learners_by_id(wanted)


def chosen_or_404(options, wanted, key):
    """The option whose ``key`` is ``wanted`` (404 when there is none), or the first when nothing was asked."""
    if not wanted:
        return options[0] if options else None
    found = next((option for option in options if str(key(option)) == wanted), None)
    if found is None:
        abort(404)
    return found


class LearnersView(BaseView):
    """The removal form behind StudentView's action, and the new-year wizard (app/learners.py)."""

    route_base = "/learners"
    default_view = "rollover"

    @expose("/remove", methods=["GET", "POST"])
    @has_access
    def remove(self):
        chosen = learners_named(request.args.get("ids", ""))
        form = RemovalForm()
        page = lambda: self.render_template(  # noqa: E731
            "lec/remove.html", form=form, learners=chosen, levels=dict(choices.CLASS_LEVELS)
        )
        on_refusal(page, form)
        if form.validate_on_submit():
            learners.remove_learners(chosen, form.reason.data, form.removed_on.data, form.note.data)
            db.session.commit()
            flash(_l("Learners taken out of the count: %(count)d.", count=len(chosen)), "success")
            return redirect(url_for("StudentView.list"))
        return page(), 400 if request.method == "POST" else 200

    @expose("/rollover", methods=["GET", "POST"])
    @has_access
    def rollover(self):
        to_year = workflow.current_year()
        schools = learners.schools_to_roll_over()
        school = chosen_or_404(schools, request.args.get("school"), lambda school: school.id)
        years = learners.earlier_years(school, to_year) if school and to_year else []
        default_first = [year for year in years if year.year == to_year.year - 1] + years  # the year before
        from_year = chosen_or_404(default_first, request.args.get("from"), lambda year: year.year)
        proposal = learners.roll_over(school, from_year, to_year) if from_year else None
        form = FlaskForm()
        page = lambda: self.render_template(  # noqa: E731
            "lec/rollover.html", schools=schools, school=school, years=years, from_year=from_year, to_year=to_year,
            proposal=proposal, form=form, levels=dict(choices.CLASS_LEVELS),
        )  # fmt: skip
        on_refusal(page)
        if proposal is not None and form.validate_on_submit():
            chosen = [int(value) for value in request.form.getlist("carry") if value.isdigit()]
            learners.carry_over(school, from_year, to_year, chosen)
            db.session.commit()
            left = len(proposal.leaving) + len(proposal.carried) - len(chosen)
            flash(_l("Carried over into %(year)s: %(count)d learners; not carried over: %(left)d.",
                     year=to_year.year, count=len(chosen), left=left), "success")  # fmt: skip
            return redirect(url_for("StudentView.list"))
        return page()


class LearnerApi(LecApi, BaseApi):
    """Removal and restoring for scripts, with the screens' rules and scope: POST /remove
    {ids, reason, removed_on (ISO), note} and /restore {ids}. Bad input is a 400 by field, a
    learner outside the user's subtree a 404, a refusal (already removed, locked) a 409."""

    resource_name = "learners"
    allow_browser_login = True

    @expose("/remove", methods=["POST"])
    @protect()
    @permission_name("remove")
    def remove(self):
        """Take learners out of the count
        ---
        post:
          description: >-
            Removes the learners (ids) with a reason and the date they left; the school's own
            learners while its data is open, or its LAO's.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [ids, reason, removed_on]
                  properties:
                    ids: {type: array, minItems: 1, items: {type: integer}}
                    reason: {type: string, description: "moved, dropped_out, died, duplicate or other"}
                    removed_on: {type: string, format: date, description: ISO date (Christian era)}
                    note: {type: string, nullable: true}
          responses:
            200:
              $ref: '#/components/responses/lec_learners'
            400:
              $ref: '#/components/responses/lec_400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/lec_403'
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        return self._answer(
            lambda chosen, payload: learners.remove_learners(
                chosen, payload.get("reason"), iso_date(payload.get("removed_on"), "removed_on"), payload.get("note")
            )
        )

    @expose("/restore", methods=["POST"])
    @protect()
    @permission_name("restore")
    def restore(self):
        """Bring removed learners back into the count
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [ids]
                  properties:
                    ids: {type: array, minItems: 1, items: {type: integer}}
          responses:
            200:
              $ref: '#/components/responses/lec_learners'
            400:
              $ref: '#/components/responses/lec_400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/lec_403'
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        return self._answer(lambda chosen, payload: learners.restore_learners(chosen))

    responses = {
        **LecApi.responses,
        "lec_learners": {
            "description": "The learners changed, and their status now",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "ids": {"type": "array", "items": {"type": "integer"}}, "status": {"type": "string"},
            }}}},
        },
    }  # fmt: skip

    def _answer(self, step):
        payload = json_body()
        ids = payload.get("ids")
        keys = ids if isinstance(ids, list) else []
        if not keys or any(type(key) is not int or whole_number(key, Student.id.type) is None for key in keys):
            raise Invalid({"ids": str(_l("Give the learners' ids as a list of numbers."))})
        done = step(learners.learners_by_id(ids), payload)
        db.session.commit()
        return self.response(200, ids=[student.id for student in done], status=done[0].status)
