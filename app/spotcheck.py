"""Spot checks (การสุ่มตรวจ): a province draws a random sample of an LAO's or a school's active
learners during the entry window, checks each one in person, and names who recorded each learner
that was not found (the circular's points 3.2 and 6).

The draw is stratified by school, so that no school escapes the check, and reproducible: the
stored seed and the ordered ids of each school's active learners give the same sample again, so
an auditor can confirm that the stored sample is the drawn one and was not hand-picked."""

import math
import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .audit import history_of
from .choices import SPOT_CHECK_RESULTS, codes
from .context import current_user_id, now
from .errors import OutOfScope, Refused
from .extensions import db
from .levels import CENTRAL, PROVINCE
from .models import Lao, School, SpotCheck, SpotCheckItem, Student
from .scope import current_node, readable
from .thai import format_be_date
from .workflow import CONFIRMED, confirmation_of, window_for

NOT_FOUND = "not_found"
NOTE_LENGTH = 1000
SEED_LENGTH = 32  # the spot_check.seed column


def _require_province_level():
    """Only the province level (and central) spot-checks: LAOs and schools are what is checked."""
    if current_node().level not in (PROVINCE, CENTRAL):
        raise Refused([_("Only a province officer draws spot checks and records their results.")])


def _require_province_officer(model, row):
    """A province officer (or central), and the row inside the officer's own subtree."""
    _require_province_level()
    if db.session.scalar(select(model.id).where(model.id == row.id, readable(model))) is None:
        raise OutOfScope(_("You may only record data of your own organisation."))


def _require_open_province(province, year, reasons):
    """Spot checks belong to the entry window (circular point 6): once the province's window has
    closed or the province has confirmed, its head-counts are final and a check could change nothing."""
    confirmation = confirmation_of(province, year)
    window = window_for(confirmation)
    if not window.open:
        reasons.append(
            _("Spot checks are possible only while entry is open for the province (%(opens)s to %(deadline)s).",
              opens=format_be_date(window.opens), deadline=format_be_date(window.deadline))
        )  # fmt: skip
    if confirmation.state == CONFIRMED:
        reasons.append(_("The province has confirmed its data; spot checks are closed."))


def _province_of(target):
    return target.province if isinstance(target, Lao) else target.lao.province


def population_of(target, year):
    """The ids of the target's active learners in the year, per school id, in id order: the
    frame the sample is drawn from, read in one query."""
    query = select(Student.school_id, Student.id).where(
        Student.academic_year_id == year.id, Student.status == "active"
    )
    if isinstance(target, Lao):
        query = query.join(School, School.id == Student.school_id).where(School.lao_id == target.id)
    else:
        query = query.where(Student.school_id == target.id)
    frame = {}
    for school_id, student_id in db.session.execute(query.order_by(Student.school_id, Student.id)):
        frame.setdefault(school_id, []).append(student_id)
    return frame


def allocate(sizes, sample_size):
    """How many learners to draw from each school ({school id: active learners} → {school id:
    number}): proportional to its size, rounded by largest remainders so that the numbers add up to
    the sample size and none is more than one away from its exact share (ties: lower school id).
    When the sample has at least one learner per school, every school gets at least one, taken
    from the schools furthest above their exact share: a small school must not escape the check."""
    total = sum(sizes.values())
    shares = {school: sample_size * size // total for school, size in sizes.items()}
    remainders = {school: sample_size * size % total for school, size in sizes.items()}
    left = sample_size - sum(shares.values())
    for school in sorted(sizes, key=lambda s: (-remainders[s], s))[:left]:
        shares[school] += 1
    if sample_size >= len(sizes):
        for school in sorted(s for s in sizes if shares[s] == 0):
            above = (s for s in sizes if shares[s] > 1)
            donor = max(above, key=lambda s: (shares[s] * total - sample_size * sizes[s], -s))
            shares[donor] -= 1
            shares[school] += 1
    return shares


def _draw(frame, sample_size, seed):
    """(school id, learner id) pairs of the sample, ordered. Each school is drawn with its own
    generator seeded by (seed, school id), so a change in one school leaves the others' draws alone."""
    shares = allocate({school: len(ids) for school, ids in frame.items()}, sample_size)
    return [
        (school, student)
        for school in sorted(frame)
        for student in sorted(random.Random("%s:%d" % (seed, school)).sample(frame[school], shares[school]))
    ]


def draw_spot_check(target, year, count=None, percent=None, seed=None):
    """Draw a spot check of an LAO or a school (``target``) for the year: ``count`` learners, or
    ``percent`` of its active learners rounded up; a count above the number of active learners
    draws them all. Refused unless the user is a province officer (or central) whose province
    holds the target, has its entry window open and has not confirmed; refused for a missing, double, zero or
    negative size, a percentage above 100, and a target without active learners. Without a
    ``seed`` a random one is made; it is stored so that the sample can be drawn again."""
    _require_province_officer(type(target), target)
    province = _province_of(target)
    reasons = []
    _require_open_province(province, year, reasons)
    if count is None and percent is None:
        reasons.append(_("Give the sample size: a number of learners or a percentage."))
    elif count is not None and percent is not None:
        reasons.append(_("Give either a number of learners or a percentage, not both."))
    elif (count if count is not None else percent) <= 0:
        reasons.append(_("The sample size must be greater than zero."))
    elif percent is not None and percent > 100:
        reasons.append(_("A percentage cannot be above 100."))
    if seed is not None and not 0 < len(seed) <= SEED_LENGTH:
        reasons.append(_("A seed has 1 to %(length)d characters.", length=SEED_LENGTH))
    frame = population_of(target, year)
    if not frame:
        reasons.append(_("%(name)s has no active learners in this academic year.", name=target.name_th))
    if reasons:
        raise Refused(reasons)
    population = sum(len(ids) for ids in frame.values())
    size = min(count if count is not None else math.ceil(population * percent / 100), population)
    spot_check = SpotCheck(
        academic_year_id=year.id,
        province_id=province.id,
        lao_id=target.id if isinstance(target, Lao) else None,
        school_id=target.id if isinstance(target, School) else None,
        sample_count=size,
        sample_percent=percent,
        seed=seed or secrets.token_hex(SEED_LENGTH // 2),
        population=population,
    )
    spot_check.items = [
        SpotCheckItem(student_id=student, school_id=school) for school, student in _draw(frame, size, spot_check.seed)
    ]
    db.session.add(spot_check)
    db.session.flush()
    return spot_check


def sample_of(spot_check):
    """The sample drawn again from the stored seed over today's active learners of the target:
    the learner ids, ordered by school and id. It equals the stored items while the target's
    learners are as they were at the draw; a learner added, removed or moved since (the stored
    ``population`` shows how many there were) changes that school's draw."""
    target = spot_check.lao or spot_check.school
    frame = population_of(target, spot_check.academic_year)
    if not frame:
        return []
    size = min(spot_check.sample_count, sum(len(ids) for ids in frame.values()))
    return [student for _school, student in _draw(frame, size, spot_check.seed)]


def stored_sample(spot_check):
    """The learner ids the spot check holds, in the order ``sample_of`` gives them."""
    return list(
        db.session.scalars(
            select(SpotCheckItem.student_id)
            .where(SpotCheckItem.spot_check_id == spot_check.id)
            .order_by(SpotCheckItem.school_id, SpotCheckItem.student_id)
        )
    )


def sample_is_intact(spot_check):
    """The audit check shown on the spot check's page: drawing again from the stored seed gives
    the stored learners."""
    return sample_of(spot_check) == stored_sample(spot_check)


def items_of(spot_check, result=None):
    """The sampled learners the user may read, by school and id: a province all of them, an LAO
    those of its schools, a school its own; only those with ``result`` when it is given."""
    query = select(SpotCheckItem).where(SpotCheckItem.spot_check_id == spot_check.id, readable(SpotCheckItem))
    if result is not None:
        query = query.where(SpotCheckItem.result == result)
    return list(
        db.session.scalars(
            query
            .options(joinedload(SpotCheckItem.student), joinedload(SpotCheckItem.school).joinedload(School.lao))
            .order_by(SpotCheckItem.school_id, SpotCheckItem.student_id)
        )
    )


def record_result(item, result, note=None):
    """Record what the officer found for one sampled learner: found, not found or data not
    matching, with a note. Only the province level (or central) records, inside its subtree, and,
    like the draw, only while the province's entry window is open and it has not confirmed: a
    result recorded after that could no longer correct the head-counts."""
    _require_province_officer(SpotCheckItem, item)
    _record(item.spot_check, [(item, result, note)])
    return item


def record_results(spot_check, results):
    """The spot check page's one form: ``results`` maps item ids to (result, note), under the same
    rules as ``record_result``. Rows left blank and rows unchanged are skipped, so that who checked
    and when stay those of the visit. An item that is not a readable row of this spot check is out
    of scope."""
    items = {item.id: item for item in items_of(spot_check)}
    if not set(results) <= set(items):
        raise OutOfScope(_("You may only record data of your own organisation."))
    changes = []
    for item_id, (result, note) in results.items():
        item, note = items[item_id], (note or "").strip() or None
        if (result or note) and (result or None, note) != (item.result, item.note):
            changes.append((item, result or None, note))
    if changes:
        _record(spot_check, changes)


def _record(spot_check, changes):
    """Write [(item, result, note)] of items the user may read, all or none."""
    _require_province_level()
    reasons = []
    for item, result, note in changes:
        if result not in codes(SPOT_CHECK_RESULTS):
            reasons.append(_("Choose what was found for %(name)s.", name=item.student))
        if len(note or "") > NOTE_LENGTH:
            reasons.append(_("A note has at most %(length)d characters.", length=NOTE_LENGTH))
    _require_open_province(spot_check.province, spot_check.academic_year, reasons)
    if reasons:
        raise Refused(dict.fromkeys(reasons))
    checked_on, checked_by_id = now(), current_user_id()
    for item, result, note in changes:
        item.result, item.note = result, (note or "").strip() or None
        item.checked_on, item.checked_by_id = checked_on, checked_by_id
    db.session.flush()


@dataclass(frozen=True)
class Summary:
    sampled: int
    counts: dict  # result code → number of learners, every code present

    @property
    def checked(self):
        return sum(self.counts.values())

    @property
    def not_found_rate(self):
        """Learners not found among those checked (None before any is checked)."""
        return self.counts[NOT_FOUND] / self.checked if self.checked else None


def summary(spot_check):
    """How many sampled learners the user may read were found, not found or did not match, and
    the not-found rate among those checked: counted in SQL."""
    rows = db.session.execute(
        select(SpotCheckItem.result, func.count(SpotCheckItem.id))
        .where(SpotCheckItem.spot_check_id == spot_check.id, readable(SpotCheckItem))
        .group_by(SpotCheckItem.result)
    ).all()
    counts = dict.fromkeys(codes(SPOT_CHECK_RESULTS), 0)
    counts.update({result: number for result, number in rows if result is not None})
    return Summary(sum(number for _result, number in rows), counts)


def rate_shown(items):
    """The spot-check list's not-found rate column, given the spot check's items: "12.5% (1/8)",
    counted over the items the user may read; empty before any learner is checked."""
    if not items:
        return ""
    result = summary(items[0].spot_check)
    if result.not_found_rate is None:
        return ""
    return "%.1f%% (%d/%d)" % (100 * result.not_found_rate, result.counts[NOT_FOUND], result.checked)


@dataclass(frozen=True)
class Accountable:
    """A learner not found and who answers for the record: who created it and who last changed it."""

    item: SpotCheckItem
    learner: Student
    school: School
    lao: Lao
    created_by: User | None
    created_on: datetime
    changed_by: User | None
    changed_on: datetime


def accountability(spot_check):
    """For each sampled learner not found (among those the user may read): the learner, school and
    LAO, who created the record and when, who last changed it and when — from the change history,
    which names the person of each change; from the record's own columns when it predates the
    history. The circular (3.2) has the LAO act against those responsible for a learner who does
    not exist."""
    report = []
    for item in items_of(spot_check, NOT_FOUND):
        learner = item.student
        history = history_of(Student, learner.id)
        created = history[-1] if history and history[-1].action == "insert" else None
        latest = history[0] if history else None
        report.append(
            Accountable(
                item, learner, item.school, item.school.lao,
                created.actor if created else learner.created_by,
                created.occurred_on if created else learner.created_on,
                latest.actor if latest else learner.changed_by,
                latest.occurred_on if latest else learner.changed_on,
            )
        )  # fmt: skip
    return report
