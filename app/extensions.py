"""The Flask extensions, apart from the factory so that any module can import them without a cycle."""

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = get_sqla_class()()
migrate = Migrate()
csrf = CSRFProtect()
