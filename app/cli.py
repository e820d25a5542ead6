"""`flask lec ...`: the operator's commands."""

import click
from flask import current_app
from flask.cli import AppGroup
from flask_appbuilder.exceptions import PasswordComplexityValidationError

from . import db
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


def register(app):
    app.cli.add_command(lec)
