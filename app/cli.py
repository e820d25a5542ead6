"""`flask lec ...`: the operator's commands."""

import click
from flask import current_app
from flask.cli import AppGroup
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from sqlalchemy import select

from . import db
from .audit import acting_as
from .models import Lao, Province, School
from .scope import readable
from .security import CENTRAL, check_password

lec = AppGroup("lec", help="LEC commands.")


@lec.command("sync-roles")
def sync_roles():
    """Make the roles in the database match app/security.py."""
    current_app.appbuilder.sm.sync_roles()
    click.echo("roles synced")


@lec.command("seed-demo")
def seed_demo():
    """Create the demo hierarchy, learners and one account per role (idempotent)."""
    from .demo import seed_demo as seed

    created = seed(current_app.config["LEC_DEMO_PASSWORD"])
    click.echo("demo data created" if created else "demo data already present")


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
    role = sm.find_role(CENTRAL)
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
        cards = issue([root], include_active=include_active)
        with open(out, "wb") as sheet:
            sheet.write(render_sheet(cards, root.name_th, issuer_name()))
    click.echo("%d credentials issued to %s" % (len(cards), out))


def find_organisation(code):
    """The province, LAO or school with this code that the acting user may read."""
    for model in (Province, Lao, School):
        found = db.session.scalar(select(model).where(model.code == code, readable(model)))
        if found is not None:
            return found
    return None


def register(app):
    app.cli.add_command(lec)
