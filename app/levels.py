"""The levels of the organisation tree, the model of each, and the key that names one organisation.

One statement for every module: scoping, the workflow, reports, credentials and the demo all ask
here which model a level's organisations are and how "school:12" is spelled, so that a level added
or a key reformatted changes in one place. Imports nothing of LEC but the models, so any module
may import it."""

from sqlalchemy import String, cast, literal

from .models import Lao, Province, School

CENTRAL, PROVINCE, LAO, SCHOOL = "central", "province", "lao", "school"
ORGANISATIONS = {PROVINCE: Province, LAO: Lao, SCHOOL: School}  # central is no row: it is the whole country
LEVEL_OF = {model: level for level, model in ORGANISATIONS.items()}


def level_of(organisation):
    """The level a province, LAO or school row stands at."""
    return LEVEL_OF[type(organisation)]


def org_key(level, org_id):
    """The one key of an organisation whatever its level ("school:12", Confirmation.org_key);
    ``org_id`` an integer, or an id column, to compute the keys in SQL."""
    if isinstance(org_id, int):
        return "%s:%d" % (level, org_id)
    return literal(level + ":") + cast(org_id, String)


def key_of(organisation):
    """The key of a province, LAO or school row."""
    return org_key(level_of(organisation), organisation.id)
