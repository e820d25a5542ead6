"""The Flask extensions, apart from the factory so that any module can import them without a cycle."""

from flask import current_app, has_app_context
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect


class Session(FlaskSession):
    """db.session. With LEC_REPORTS_DATABASE_URL set, app/replica.py (registered in the app's
    extensions as "lec_replica") chooses the engine of each statement: the replica on the pages
    that declare they read it, the primary everywhere else."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and has_app_context():
            replica = current_app.extensions.get("lec_replica")
            if replica is not None:
                bind = replica.bind_for(self, mapper, clause)
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = get_sqla_class()(session_options={"class_": Session})
migrate = Migrate()
csrf = CSRFProtect()
