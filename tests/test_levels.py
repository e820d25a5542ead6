"""The organisation levels (app/levels.py): one map from level to model, one spelling of a key."""

from sqlalchemy import select

from app.extensions import db
from app.levels import ORGANISATIONS, key_of, level_of, org_key


def test_the_key_computed_in_the_database_is_the_key_computed_in_python(ctx):
    for level, model in ORGANISATIONS.items():
        organisation = db.session.scalars(select(model).order_by(model.id)).first()
        assert level_of(organisation) == level
        in_sql = db.session.scalar(select(org_key(level, model.id)).where(model.id == organisation.id))
        assert in_sql == key_of(organisation) == "%s:%d" % (level, organisation.id)
