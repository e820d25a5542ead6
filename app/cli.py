"""`flask lec ...`: the operator's commands."""

import os

import click
from flask import current_app
from flask.cli import AppGroup
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from sqlalchemy import select

from .context import acting_as
from .errors import LecError, UnknownGrants
from .extensions import db
from .models import School
from .passwords import check_password
from .roles import ROLE_CENTRAL
from .scope import find_organisation, readable

lec = AppGroup("lec", help="LEC commands.")


@lec.command("sync-roles")
def sync_roles():
    """Make the roles in the database match app/security.py; a grant naming no permission fails
    the command, listed, and changes no role."""
    try:
        current_app.appbuilder.sm.sync_roles()
    except UnknownGrants as error:
        click.echo("declared grants that name no permission (verb on resource):", err=True)
        for verb, resource in error.pairs:
            click.echo("  %s on %s" % (verb, resource), err=True)
        raise click.exceptions.Exit(1) from None
    click.echo("roles synced")


@lec.command("seed-demo")
def seed_demo():
    """Create the demo hierarchy, learners and one account per role (idempotent)."""
    from .demo import seed_demo as seed

    created = seed(current_app.config["LEC_DEMO_PASSWORD"])
    click.echo("demo data created" if created else "demo data already present")


@lec.command("generate")
@click.option("--provinces", type=click.IntRange(1, 77), default=77, help="The first N provinces by code.")
@click.option("--laos", type=click.IntRange(1), default=7850)
@click.option("--schools", type=click.IntRange(1), default=20000)
@click.option("--students", type=click.IntRange(0), default=1_500_000)
@click.option("--users", type=click.IntRange(0), default=30000)
@click.option("--seed", type=int, default=2569, help="The same seed and sizes give the same data.")
@click.option("--password", default=None, help="Of every generated account (default: LEC_DEMO_PASSWORD).")
def generate(provinces, laos, schools, students, users, seed, password):
    """Fill the database with a reproducible country of national size (for load tests)."""
    from .generate import Size, generate_country

    password = password or current_app.config["LEC_DEMO_PASSWORD"]
    try:
        check_password(password)
        timings = generate_country(Size(provinces, laos, schools, students, users), seed, password)
    except (LecError, PasswordComplexityValidationError) as error:
        raise click.ClickException(str(error)) from None
    for table, rows, seconds in timings:
        click.echo("%-13s %10s rows %8.1f s" % (table, "" if rows is None else "{:,}".format(rows), seconds))
    click.echo("%-13s %15s %8.1f s" % ("total", "", sum(seconds for _table, _rows, seconds in timings)))


@lec.command("quality-refresh")
@click.option("--year", type=int, help="Academic year (Buddhist era); default: every year.")
def quality_refresh(year):
    """Recompute the stored data-quality findings from the checks, after writing learners around
    the application (SQL, COPY)."""
    from .models import AcademicYear
    from .quality import refresh_findings

    years = db.session.scalars(select(AcademicYear).where(AcademicYear.year == year if year else True)).all()
    if not years:
        raise click.ClickException("no academic year %s" % year)
    for academic_year in sorted(years, key=lambda each: each.year):
        click.echo("%d: %d findings" % (academic_year.year, refresh_findings(academic_year)))
    db.session.commit()


@lec.command("create-admin")
@click.option("--username", required=True)
@click.option("--first-name", default="ผู้ดูแล")
@click.option("--last-name", default="ส่วนกลาง")
@click.option("--email", required=True)
@click.password_option()
def create_admin(username, first_name, last_name, email, password):
    """Create the first central administrator; the password is asked for, never defaulted."""
    sm = current_app.appbuilder.sm
    try:
        check_password(password)
    except PasswordComplexityValidationError as error:
        raise click.ClickException(str(error)) from None
    if sm.find_user(username=username):
        raise click.ClickException("user %s already exists" % username)
    role = sm.find_role(ROLE_CENTRAL)
    if role is None:
        raise click.ClickException("roles are missing: run flask lec sync-roles first")
    user = sm.add_user(username, first_name, last_name, email, role, password)
    if not user:
        raise click.ClickException("could not create user %s" % username)
    user.org_level = "central"
    db.session.commit()
    click.echo("central administrator %s created" % username)


@lec.command("credentials")
@click.option("--org", "org_code", required=True, help="Code of a province, LAO or school.")
@click.option("--all", "include_active", is_flag=True, help="Also organisations that have an active account.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--as", "issuer", required=True, help="Username of the person issuing (their scope applies).")
def issue_credentials(org_code, include_active, out, issuer):
    """Print a credential sheet (QR) for an organisation and everything below it."""
    from .credentials import issue_credentials as issue
    from .credentials import issuer_name, render_sheet

    sm = current_app.appbuilder.sm
    user = sm.find_user(username=issuer)
    if user is None or not user.is_active:
        raise click.ClickException("no active user %s" % issuer)
    with acting_as(user.id):
        root = find_organisation(org_code)
        if root is None:
            raise click.ClickException("no organisation %s within the scope of %s" % (org_code, issuer))
        try:
            cards = issue([root], include_active=include_active)
        except LecError as refusal:  # LEC_BASE_URL unset or loopback outside the demo
            raise click.ClickException(str(refusal)) from None
        db.session.commit()
        with open(out, "wb") as sheet:
            sheet.write(render_sheet(cards, issuer_name()))
    click.echo("%d credentials issued to %s" % (len(cards), out))


@lec.command("import-students")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--school", "school_code", required=True, help="Code of the school the learners belong to.")
@click.option("--year", type=int, required=True, help="Academic year (Buddhist era), e.g. 2569.")
@click.option("--as", "username", help="Username of the person importing (their scope applies).")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
def import_students(path, school_code, year, username, dry_run):
    """Import learners from an .xlsx or .csv file: print each row's errors, write the valid rows."""
    from .errors import LecError
    from .importer import import_file
    from .models import AcademicYear

    user = None
    if username:
        user = current_app.appbuilder.sm.find_user(username=username)
        roles = [role.id for role in user.roles] if user is not None and user.is_active else []
        if not current_app.appbuilder.sm.exist_permission_on_roles("ImportView", "can_commit", roles):
            raise click.ClickException("no active user %s who may import learners" % username)
    with acting_as(user.id if user else None):
        school = db.session.scalar(select(School).where(School.code == school_code, readable(School)))
        if school is None:
            raise click.ClickException("no school %s within the scope of %s" % (school_code, username or "operator"))
        academic_year = db.session.scalar(select(AcademicYear).where(AcademicYear.year == year))
        if academic_year is None:
            raise click.ClickException("no academic year %d" % year)
        with open(path, "rb") as source:
            content = source.read()
        try:
            preview = import_file(os.path.basename(path), content, school, academic_year, dry_run=dry_run)
            db.session.commit()
        except LecError as refusal:  # locked, out of scope, a file-level error
            raise click.ClickException(str(refusal)) from None
    for error in preview.errors:
        click.echo("row %d, %s: %s" % (error.row, error.column, error.message))
    counts = preview.counts
    click.echo(
        "%s: %d new, %d updated, %d unchanged, %d rows with errors"
        % ("dry run, nothing written" if dry_run else "imported", counts["new"], counts["update"],
           counts["unchanged"], counts["errors"])
    )  # fmt: skip


@lec.command("remind")
@click.option("--days", default="7,3,1", show_default=True, help="Days before a deadline to remind on.")
def remind(days):
    """Remind every organisation that has not confirmed, N days before its deadline (or exception):
    once per organisation and day however often it runs, so cron may run it every hour."""
    from datetime import date

    from .notifications import send_deadline_reminders

    try:
        wanted = sorted({int(part) for part in days.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise click.BadParameter("whole numbers separated by commas, e.g. 7,3,1", param_hint="--days") from None
    reminded = send_deadline_reminders(date.today(), wanted)
    db.session.commit()
    click.echo("%d organisations reminded" % reminded)


def register(app):
    app.cli.add_command(lec)
