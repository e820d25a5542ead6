"""Base classes every LEC screen and REST API inherits.

They carry the cross-cutting behaviour once: the domain rules in ``app.quality`` run before a
row is added or changed, domain refusals answer in Thai (a flash on screens, by FAB's own forms;
JSON in the API, by app/pages/errors.py), and lists have a stable order."""

import enum
import functools
import json
import math
import re
import threading
import urllib.parse
from datetime import date

import flask
import jsonschema
import marshmallow
import prison
from flask import abort, current_app, flash, jsonify, make_response, request, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose, has_access
from flask_appbuilder.api import BaseApi, merge_response_func, protect, safe
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.api.schemas import get_info_schema, get_item_schema, get_list_schema
from flask_appbuilder.const import (
    API_ADD_COLUMNS_RIS_KEY,
    API_ADD_TITLE_RIS_KEY,
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_EDIT_COLUMNS_RIS_KEY,
    API_EDIT_TITLE_RIS_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.hooks import before_request
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla.filters import (
    FilterRelationOneToManyEqual,
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.widgets import RenderTemplateWidget, SearchWidget
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import BigInteger, Integer, SmallInteger, asc, desc, false, func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import MANYTOONE, joinedload, load_only, selectinload
from sqlalchemy.sql.elements import True_
from sqlalchemy.sql.expression import ClauseElement, Executable
from wtforms import Field
from wtforms.widgets import html_params

from .. import workflow
from ..caches import kept_for
from ..errors import Conflict, Invalid, LecError, Locked
from ..exports import ExportMixin
from ..levels import LEVEL_OF, ORGANISATIONS
from ..models import Lao, School
from ..quality import validate
from ..reports import COUNTRY
from ..scope import current_node, readable, readable_row
from ..thai import format_be_datetime
from .chrome import NONCE_MARK, request_nonce
from .errors import NOT_FOUND, api_answer, on_refusal

MISSING = object()
CONFLICT = _l("This conflicts with data already recorded (a duplicate code?).")
IN_USE = _l("This record cannot be deleted: other records refer to it.")
NOT_A_DATE = _l("Not a valid date; the API takes ISO dates (yyyy-mm-dd, Christian era).")


def starts_with(field, value):
    """FAB's "starts with" is ILIKE 'x%', which no b-tree serves. Thai letters and digits have no
    case, so for such a value LIKE answers the same, and the pattern index serves it (app/models.py)."""
    return field.like(value + "%") if value.lower() == value.upper() else field.ilike(value + "%")


class StartsWith(FilterStartsWith):
    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(starts_with(field, value))


class RelationEqual(FilterRelationOneToManyEqual):
    """A many-to-one relation equal to a row (``_flt_0_school=12``) as its key column equal to the
    key: FAB reads the row only to compare its key, one statement more on every page filtered so.
    A key that is not a whole number finds nothing, as a missing row does."""

    def apply(self, query, value):
        relation = getattr(getattr(self.model, self.column_name, None), "property", None)
        many_to_one = getattr(relation, "direction", None) is MANYTOONE and len(relation.local_columns) == 1
        if "." in self.column_name or not many_to_one:
            return super().apply(query, value)
        (column,) = relation.local_columns
        key = whole_number(value, column.type)
        return query.filter(column == key if key is not None else false())


REPLACED = {FilterStartsWith: StartsWith, FilterRelationOneToManyEqual: RelationEqual}


class LecFilterConverter(SQLAFilterConverter):
    """FAB's filters, in FAB's order (so ``_flt_0_`` is still "starts with"), with ``StartsWith``
    and ``RelationEqual``.
    FAB converts every column of the model again each time it makes a set of filters (for each
    list, count and fetch by key); an interface's columns convert the same way every time, so each
    is converted once (a new list each time: FAB appends to it)."""

    conversion_table = tuple(
        (test, [REPLACED.get(flt, flt) for flt in filters])
        for test, filters in SQLAFilterConverter.conversion_table
    )

    def convert(self, col_name):
        converted = self.datamodel.__dict__.setdefault("_converted_filters", {})
        if col_name not in converted:
            converted[col_name] = super().convert(col_name)
        filters = converted[col_name]
        return None if filters is None else list(filters)


class ApproximateCount(int):
    """A list's row count when the rows in scope exceed ``LEC_LIST_COUNT_CAP``: the database
    planner's estimate, shown as "about N", or where there is none, ``more_than`` the cap
    (app/templates/appbuilder/general/widgets/list.html). Pages are numbered from it."""

    approximate = True

    def __new__(cls, value, more_than=None):
        count = super().__new__(cls, value)
        count.more_than = more_than
        return count


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a select, for the planner's row estimate (PostgreSQL)."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


KEPT = 16  # answers ``kept`` keeps per object and kind: the few its callers ask for


def kept(owner, kind, key, make):
    """``make()``, made once per ``key`` and kept on ``owner`` (an API, an interface: for the life
    of the process). Callers may choose keys (an API's ``select_columns``), so at most KEPT of
    each kind are kept at once."""
    return kept_for(owner.__dict__.setdefault("_kept_" + kind, {}), key, math.inf, make, limit=KEPT)


class LecInterface(SQLAInterface):
    """FAB's data interface, scoped: every query it builds (lists, counts, search, fetch by id for
    show/edit/delete/actions, dropdowns through ``get_related_interface``, REST ``_info``) keeps
    only the rows the user may read (app/scope.py). Database conflicts become a Thai ``Conflict``.

    A list (a screen's, ``shows_list``, or the REST API's, which names its ``select_columns``)
    stays fast on 1.5 million learners: the rows in scope are built once as one query; the page's
    keys are read from it first, in a stable order (the sort column, then the key) off the narrow
    index, and only those rows are joined and loaded with what the list shows (no query per row);
    the count stops at ``LEC_LIST_COUNT_CAP`` rows and beyond it is the planner's estimate."""

    filter_converter_class = LecFilterConverter
    page_loads = None  # loader options for a screen's list page; None: FAB's own query
    item_loads = ()  # loader options for a row fetched by its key (``edits``)

    def shows_list(self, columns):
        """Called by the screen that lists this interface's rows with these columns."""
        self.page_loads = self._loads(columns)

    def edits(self, columns):
        """Called by the REST resource that edits this interface's rows with these columns: a row
        fetched by its key brings its many-to-one relations among them in the same statement. FAB's
        PUT reads them all (it dumps the row to merge a partial body, then loads it back), one
        query each otherwise."""
        self.item_loads = [joinedload(getattr(self.obj, name)) for name in columns
                           if self.is_relation_many_to_one(name)]  # fmt: skip

    def _loads(self, columns, narrow=False):
        """Loader options for a page's rows showing these columns: a many-to-one relation joined,
        others read in one more query; ``narrow`` (the API, whose columns name a relation's own
        columns as ``school.name_th``): only the columns named, unless one is computed in Python
        (it may read any other)."""
        leaves = {}
        for name in columns:
            root, _dot, leaf = name.partition(".")
            leaves.setdefault(root, []).append(leaf)
        own = [getattr(self.obj, column) for column in leaves if not self.is_relation(column)]
        narrow = narrow and not any(self.is_property_or_function(column) for column in leaves)
        loads = [load_only(*own)] if narrow and own else []
        for column, named in leaves.items():
            if not self.is_relation(column):
                continue
            many_to_one = self.is_relation_many_to_one(column) or self.is_relation_one_to_one(column)
            load = (joinedload if many_to_one else selectinload)(getattr(self.obj, column))
            if narrow and all(named):
                model = self.get_related_model(column)
                load = load.load_only(*(getattr(model, leaf) for leaf in named))
            loads.append(load)
        return loads

    def _api_loads(self, select_columns):
        """The REST API's loader options for its columns, made once for each set of columns."""
        return kept(self, "api_loads", frozenset(select_columns), lambda: self._loads(select_columns, narrow=True))

    def _apply_inner_all(self, query, *args, **kwargs):
        return super()._apply_inner_all(query.filter(readable(self.obj)), *args, **kwargs)

    def get_inner_filters(self, filters):
        """FAB rebuilds the filters, converting every column of the model anew, for each query of a
        page; when none names a column of a related model they are the same filters."""
        if filters is None or not any("." in flt.column_name for flt in filters.filters):
            return filters
        return super().get_inner_filters(filters)

    def get_values(self, lst, list_columns):
        """The values a list shows, as FAB's (a method is called, an enum shows its value, a dotted
        name is followed), each attribute read once: FAB reads it three times."""
        for item in lst:
            values = {}
            for column in list_columns:
                value = getattr(item, column, MISSING)
                if value is MISSING:
                    value = self._get_attr_value(item, column)  # a related row's column: FAB's way
                elif callable(value):
                    value = value()
                elif isinstance(value, enum.Enum):
                    value = value.value
                values[column] = value
            yield values

    def get_related_obj(self, col_name, value):
        """The row a relation filter names (``_flt_0_school=12``). FAB looks it up by the text "12",
        which misses the row the session holds and reads it again for every query of the page."""
        model = self.get_related_model(col_name)
        try:
            key = self.get_pk(model).type.python_type(value)
        except (TypeError, ValueError):
            return None
        return self.session.get(model, key)

    def get(self, id, filters=None, select_columns=None, outer_default_load=False):
        """The row with this key, or None when the key is not a whole number the key column can
        hold (``/api/v1/student/33916394660960133120``, ``/edit/abc``): a 404, not a database error."""
        key_type = self.get_pk().type
        if isinstance(key_type, Integer):
            id = whole_number(id, key_type)
            if id is None:
                return None
        if self.item_loads and not select_columns:  # FAB's get, with the relations the row is edited with
            found = filters.copy() if filters else Filters(self.filter_converter_class, self)
            found.add_filter(self.get_pk_name(), self.FilterEqual, id)
            return self.apply_all(self.session.query(self.obj).options(*self.item_loads), found).one_or_none()
        return super().get(id, filters, select_columns, outer_default_load)

    def _get_base_query(self, query, *args, **kwargs):
        return super()._get_base_query(query.filter(readable(self.obj)), *args, **kwargs)

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):  # fmt: skip
        if not page_size and not select_columns:  # every row (a dropdown's choices): the count is their number
            items = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction).all()
            return len(items), items
        loads = self._api_loads(select_columns) if select_columns else self.page_loads
        if loads is None or not page_size:
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)  # fmt: skip
        pk = self.get_pk()
        if not order_column:
            order_column, order_direction = pk.key, "asc"
        in_scope = self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
        root, _dot, leaf = order_column.partition(".")
        aliases, sorting = {}, in_scope
        if leaf and self.is_relation_many_to_one(root):  # joined here: FAB takes a scope's subquery on it for a join
            sorting = self._query_join_relation(in_scope, root, aliases_mapping=aliases)
        ordered = self.apply_order_by(sorting, order_column, order_direction, aliases_mapping=aliases,
                                      bypass_many_to_many=True, add_pk=True)  # fmt: skip
        page_keys = self.apply_pagination(ordered, page, page_size)
        if root in aliases:  # a related row's column: the page's rows follow the value read with their keys
            keys = page_keys.with_entities(pk, getattr(aliases[root], leaf).label("sort_value")).subquery()
            direction = asc if order_direction == "asc" else desc
            rows = self.session.query(self.obj).join(keys, pk == keys.c[pk.key])
            rows = rows.order_by(direction(keys.c.sort_value), direction(pk))
        else:
            keys = page_keys.with_entities(pk).subquery()
            rows = self.session.query(self.obj).join(keys, pk == keys.c[pk.key])
            rows = self.apply_order_by(rows, order_column, order_direction, add_pk=True)
        before = (page or 0) * page_size
        rows = rows.options(*loads)
        counted = None
        if before + page_size <= self.count_cap:  # the capped count, read with the page in one statement
            found = rows.add_columns(self._capped(in_scope).scalar_subquery()).all()
            items, counted = [row[0] for row in found], found[0][1] if found else None
        else:
            items = rows.all()
        if len(items) < page_size and (items or not before):  # the last page: the count is known
            return before + len(items), items
        if items and before + len(items) > self.count_cap and self._estimates:  # deep in a large scope
            return ApproximateCount(max(self._estimate(in_scope), before + len(items))), items
        return self._capped_count(in_scope, before + len(items), counted), items

    @property
    def count_cap(self):
        return current_app.config["LEC_LIST_COUNT_CAP"]

    def _capped(self, in_scope):
        """Counts at most ``count_cap`` + 1 of the rows in scope."""
        capped = in_scope.with_entities(self.get_pk()).limit(self.count_cap + 1).subquery()
        return select(func.count()).select_from(capped)

    def _capped_count(self, in_scope, seen, counted=None):
        """The rows in scope counted up to ``count_cap`` (``counted``, when the page's statement
        read it); more than that is the planner's estimate, so that a page never counts 1.5 million
        rows; never fewer than the rows up to the page's end (``seen``)."""
        if counted is None:
            counted = self.session.scalar(self._capped(in_scope))
        if counted <= self.count_cap:
            return counted
        if not self._estimates:
            return ApproximateCount(max(counted, seen), more_than=self.count_cap)
        return ApproximateCount(max(self._estimate(in_scope), counted, seen))

    @property
    def _estimates(self):
        return self.session.get_bind().dialect.name == "postgresql"

    def _estimate(self, in_scope):
        """The planner's estimate of the rows in scope."""
        plan = self.session.execute(Explain(in_scope.with_entities(self.get_pk()).statement)).scalar()
        return int(plan[0]["Plan"]["Plan Rows"])

    def add(self, item, commit=True):
        try:
            super().add(item, commit)
        except IntegrityError:
            raise Conflict(str(CONFLICT)) from None

    def edit(self, item, commit=True):
        """The row keeps what it holds after the commit, which is what the commit wrote: the API
        answers with it instead of reading the row and its relations again."""
        session = self.session()
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            super().edit(item, commit)
        except Exception as error:
            if isinstance(error.__cause__, IntegrityError):
                raise Conflict(str(CONFLICT)) from None
            raise
        finally:
            session.expire_on_commit = keep

    def delete(self, item, commit=True):
        try:
            super().delete(item, commit)
        except Exception as error:
            if isinstance(error.__cause__, IntegrityError):
                raise Conflict(str(IN_USE)) from None
            raise


AUDIT_FORMATTERS = dict.fromkeys(["created_on", "changed_on", "last_login"], format_be_datetime)

# Relations that run to thousands of rows at national size (20,000 schools, 7,850 LAOs, 30,000
# accounts): a search form offers them as the user types, matched at the start of these columns
# (the first orders them), instead of carrying every row in every list page.
TYPED_CHOICES = {School: ("name_th", "code"), Lao: ("name_th", "code"), User: ("username", "first_name", "last_name")}
CHOICES_SHOWN = 20
ADDED = "lec_added"  # the session's note of the row just added: (view, id)


def typed_choices(name, model, endpoint):
    """A select holding only the rows the page's filters name (so FAB's filter script can show
    them); LEC's script in lec/base.html loads the others from ``endpoint`` as the user types."""
    key = re.compile(r"_flt_\d+_%s" % re.escape(name))
    kind = model.id.type
    wanted = {whole_number(v, kind) for k, v in request.args.items(multi=True) if key.fullmatch(k)} - {None}
    session, scope = current_app.appbuilder.session, readable(model)
    if isinstance(scope, True_):  # a user who reads every row: the page's rows brought the row along
        rows = [row for row in (session.get(model, pk) for pk in sorted(wanted)) if row is not None]
    else:
        rows = session.scalars(select(model).where(model.id.in_(wanted), scope)).all() if wanted else []
    options = "".join('<option value="%d">%s</option>' % (row.id, escape(str(row))) for row in rows)
    params = html_params(id=name, name=name, class_="lec-typed-choices", data_url=url_for(endpoint, column=name))
    return Markup("<select %s>%s</select>" % (params, options))


class TypedChoiceField(Field):
    """A search-form field for a relation in TYPED_CHOICES, drawn by ``typed_choices`` on each page
    (LecSearchWidget); the value is the row's id, as in FAB's own relation filter
    (``_flt_0_school=12``). FAB's own field would read every row of the relation to offer it."""


class SearchForm:
    """FAB refreshes the search form (every field bound) on every list page; LEC's page draws it
    from what LecSearchWidget keeps, so the form is bound only when it is drawn anew."""

    def __init__(self, form_class, typed):
        self.form_class = form_class
        self.typed = typed  # column → (model, endpoint) of its TypedChoiceField

    def refresh(self, obj=None):
        return self

    def bound(self):
        return self.form_class.refresh()


# Search forms as drawn: (view, language, organisation) → (expires, the HTML with marks).
SEARCH_FORMS = {}
SEARCH_FORMS_KEPT = 1000
CHOICE_MODELS = set()  # the models whose rows a drawn search form offers in a select
ACTIVE_MARK = "lec-active-filters-5d0b"  # stands for the page's active filters in a drawn form
TYPED_MARK = "lec-typed-choices-5d0b-"  # + a column: stands for its select, drawn per page


def as_json(value):
    """``value`` as Jinja's tojson writes it into a page."""
    policies = current_app.jinja_env.policies
    return htmlsafe_json_dumps(value, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"])


class LecSearchWidget(SearchWidget):
    """FAB's search form (its template, search.html). Everything in it but the typed choices, which
    hold the rows the page's filters name, and the active filters is the same on every page one
    organisation sees in one language, so it is drawn once for ``LEC_PERMISSION_CACHE_SECONDS`` (a
    change to a row a select offers, in this process, draws it again at once) with a mark where each
    of those goes, and the request's CSP nonce."""

    def __call__(self, **kwargs):
        form, columns = self.template_args["form"], self.template_args["include_cols"]
        nonce = request_nonce()

        def draw():
            bound, found = form.bound(), self.filters.get_search_filters()
            html = RenderTemplateWidget.__call__(
                self, **kwargs,
                label_columns={column: str(bound[column].label.text) for column in columns},
                form_fields={column: TYPED_MARK + column if column in form.typed else bound[column]()
                             for column in columns},
                search_filters={column: [str(flt.name) for flt in found[column]] for column in columns},
                active_filters=ACTIVE_MARK,
            )  # fmt: skip
            return html.replace(nonce, NONCE_MARK) if nonce else html

        key = (self.template_args["route_base"], str(get_locale()), current_node())
        lifetime = current_app.config["LEC_PERMISSION_CACHE_SECONDS"]
        html = kept_for(SEARCH_FORMS, key, lifetime, draw, limit=SEARCH_FORMS_KEPT)
        html = html.replace(NONCE_MARK, nonce)
        html = html.replace(as_json(ACTIVE_MARK), as_json(self.filters.get_filters_values_tojson()))
        for column in columns:
            if column in form.typed:
                html = html.replace(as_json(TYPED_MARK + column), as_json(typed_choices(column, *form.typed[column])))
        return Markup(html)


def note_choice_changes(session, flush_context):
    """A flush that changes a row some search form offers marks the session for its commit."""
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(type(obj) in CHOICE_MODELS for obj in changed):
        session.info["lec_choices_changed"] = True


def forget_search_forms(session):
    if session.info.pop("lec_choices_changed", False):
        SEARCH_FORMS.clear()


def readable_or_404(model, key):
    """The row a page's address names, among those the user may read; else 404 (scope.py's one rule)."""
    row = readable_row(model, key)
    if row is None:
        abort(404)
    return row


def selected(items):
    """The rows of a list action: FAB passes a single-row action its one row, others a list."""
    return items if isinstance(items, list) else [items]


class RefusedFormsAnswer400:
    """A form sent back with errors (bad input, an organisation outside the user's subtree) is a
    400, like the API's answer to the same input; FAB would answer 200."""

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._refused_as_400(super().add())

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return self._refused_as_400(super().edit(pk))

    @staticmethod
    def _refused_as_400(response):
        if request.method == "POST" and isinstance(response, str):
            return make_response(response, 400)
        return response


class ScopedActions:
    """FAB fetches the rows of an action without the view's filters; re-fetch each through the
    scoped interface first, so an action on a row outside the user's subtree answers 404.

    A list and a row's page offer only the actions the user's level may ever take: central holds
    every permission (FAB's admin role), yet a workflow step it never takes (confirming a school)
    is not offered to it (workflow.TAKEN_BY). Posted anyway, the step itself refuses it."""

    def _offered(self, actions):
        level = current_node().level
        org_level = LEVEL_OF.get(self.datamodel.obj)
        return {name: item for name, item in (actions or {}).items() if workflow.takes_step(name, level, org_level)}

    def _get_list_widget(self, filters, *args, **kwargs):
        widgets = super()._get_list_widget(filters, *args, **kwargs)
        shown = widgets["list"].template_args
        shown["actions"] = self._offered(shown.get("actions"))
        return widgets

    def _get_show_widget(self, pk, item, *args, **kwargs):
        widgets = super()._get_show_widget(pk, item, *args, **kwargs)
        shown = widgets["show"].template_args
        shown["actions"] = self._offered(shown.get("actions"))
        return widgets

    def _require_rows(self, pks):
        for pk in pks:
            if self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters) is None:
                abort(404)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        self._require_rows([pk])
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        self._require_rows(request.form.getlist("rowid"))
        return super().action_post()


class LecModelView(ExportMixin, RefusedFormsAnswer400, ScopedActions, ModelView):
    """A generated screen. ``form_extra_fields`` applies to both add and edit forms."""

    form_extra_fields = {}
    base_order = ("id", "asc")
    page_size = 25
    search_widget = LecSearchWidget

    def __init__(self, **kwargs):
        self.add_form_extra_fields = dict(self.form_extra_fields)
        self.edit_form_extra_fields = dict(self.form_extra_fields)
        self.formatters_columns = {**AUDIT_FORMATTERS, **(self.formatters_columns or {})}
        self.typed_choices = {}
        for column in self.search_columns or []:
            model = self.datamodel.get_related_model(column) if self.datamodel.is_relation(column) else None
            columns = next((names for kind, names in TYPED_CHOICES.items() if model and issubclass(model, kind)), None)
            if columns and self.datamodel.is_relation_many_to_one(column):
                self.typed_choices[column] = (model, columns)
            elif model is not None:
                CHOICE_MODELS.add(model)
        label = (self.label_columns or {}).get
        self.search_form_extra_fields = {
            **{column: TypedChoiceField(label(column, column)) for column in self.typed_choices},
            **(self.search_form_extra_fields or {}),
        }  # fmt: skip
        super().__init__(**kwargs)
        endpoint = type(self).__name__ + ".choices"
        self.search_form = SearchForm(
            self.search_form, {column: (model, endpoint) for column, (model, _names) in self.typed_choices.items()}
        )
        self.datamodel.shows_list(self.list_columns)

    @expose("/choices/<column>")
    @has_access
    @permission_name("list")
    def choices(self, column):
        """What a TypedChoiceField offers for the text typed (``q``): the rows in scope whose name
        or code starts with it, as select2 reads them."""
        if column not in self.typed_choices:
            abort(404)
        model, names = self.typed_choices[column]
        term = request.args.get("q", "").strip()
        query = select(model).where(readable(model)).order_by(getattr(model, names[0]), model.id)
        if term:
            query = query.where(or_(*(starts_with(getattr(model, name), term) for name in names)))
        rows = self.datamodel.session.scalars(query.limit(CHOICES_SHOWN + 1)).all()
        results = [{"id": row.id, "text": str(row)} for row in rows[:CHOICES_SHOWN]]
        return jsonify(results=results, pagination={"more": len(rows) > CHOICES_SHOWN})

    def _get_list_widget(self, filters, *args, **kwargs):
        """The list tells the template which rows the user may not change now and why (their Edit
        button becomes the reason), and why nothing may be added to the user's own organisation
        (no Add button): the same answers the flush guard gives (workflow.lock_reasons)."""
        widgets = super()._get_list_widget(filters, *args, **kwargs)
        shown = widgets["list"].template_args
        session, model = self.datamodel.session, self.datamodel.obj
        rows = [session.get(model, pk) for pk in shown["pks"]]  # the page's rows, held by the session
        reasons, shown["add_refused"] = workflow.page_locks(rows, model)
        shown["locked"] = {pk: why for pk, why in zip(shown["pks"], reasons, strict=True) if why}
        # Only popped when there: popping marks the session changed, and the cookie is signed again.
        view, added = flask.session.pop(ADDED) if ADDED in flask.session else (None, None)
        shown["added"] = added if view == type(self).__name__ else None
        return widgets

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """A row the user may not change now (workflow.lock_reason) opens read-only with the reason,
        instead of a form whose input the save would refuse; a POST to it writes nothing and is a
        409 on that same page."""
        key = self._deserialize_pk_if_composite(pk)
        item = self.datamodel.get(key, self._base_filters)
        reason = workflow.lock_reason(item) if item is not None else None
        if reason is None:
            return super().edit(pk)

        def read_only():
            return self.render_template(self.show_template, pk=key, title=self.show_title, widgets=self._show(key),
                                        related_views=self._related_views)  # fmt: skip

        if request.method == "POST":
            on_refusal(read_only)
            raise Locked(reason)
        flash(reason, "warning")
        return read_only()

    def update_redirect(self):
        """FAB's "Back" history, written only when it changes: FAB writes it on every list page
        (twice), so every answer would carry a freshly signed session cookie."""
        history = flask.session.get("page_history") or []
        if not history or history[-1] != request.url:
            super().update_redirect()

    def pre_add(self, item):
        validate(item)

    def post_add(self, item):
        """Remember the new row until the list is next drawn, which marks it: on a phone, after
        saving, the clerk sees where the learner just typed landed."""
        flask.session[ADDED] = (type(self).__name__, item.id)

    def post_add_redirect(self):
        """Back where the user came from, scrolled to the new row when that page shows it."""
        return flask.redirect(self.get_redirect() + "#added")

    def pre_update(self, item):
        """Flush now so that the flush-time rules (scope, lock) refuse in Thai: FAB reports any
        error from its own edit as a bare "database error"."""
        validate(item)
        self.datamodel.session.flush()


# Marshmallow's own messages, translated once for every API.
marshmallow.fields.Field.default_error_messages.update(
    {
        "required": _l("Missing data for required field."),
        "null": _l("Field may not be null."),
        "validator_failed": _l("Invalid value."),
    }
)
marshmallow.fields.String.default_error_messages["invalid"] = _l("Not a valid string.")
marshmallow.fields.Integer.default_error_messages["invalid"] = _l("Not a valid integer.")
marshmallow.fields.Date.default_error_messages["invalid"] = NOT_A_DATE
marshmallow.fields.Boolean.default_error_messages["invalid"] = _l("Not a valid boolean.")
marshmallow.validate.Length.message_max = _l("Longer than maximum length {max}.")
marshmallow.validate.Length.message_min = _l("Shorter than minimum length {min}.")
marshmallow.validate.OneOf.default_message = _l("Must be one of: {choices}.")
marshmallow.Schema._default_error_messages = {
    **marshmallow.Schema._default_error_messages,
    "unknown": _l("Unknown field."),
    "type": _l("Invalid input type."),
}


class PerThreadSchema:
    """marshmallow-sqlalchemy keeps the row being loaded on the schema object (``load(instance=...)``
    sets ``schema.instance`` and clears it afterwards) and FAB shares one schema object per API, so
    two PUTs at once in one gunicorn worker's threads cross: one inserts a copy of its row, another
    writes into the other's row. Each thread gets a schema object of its own."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, api, owner=None):
        if api is None:
            return None
        shared = api.__dict__.get("_shared_" + self.name)
        if shared is None:
            return None
        local = api.__dict__.setdefault("_per_thread", threading.local())
        schema = getattr(local, self.name, None)
        if schema is None:
            schema = type(shared)()
            setattr(local, self.name, schema)
        return schema

    def __set__(self, api, schema):
        api.__dict__["_shared_" + self.name] = schema
        api.__dict__.pop("_per_thread", None)


LARGEST = ((BigInteger, 2**63 - 1), (SmallInteger, 2**15 - 1), (Integer, 2**31 - 1))
UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def own_page():
    """The level and id of the reader's own report pages: its organisation, or the whole country
    (COUNTRY, id 0) for central and managers."""
    node = current_node()
    return {"level": node.level if node.level in ORGANISATIONS else COUNTRY, "org_id": node.id or 0}


def json_body():
    """The request's JSON object; anything else reads as an empty one (each field then missing)."""
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


def iso_date(value, field, required=False):
    """A date the API received (ISO, Christian era); None when none was given and none is ``required``."""
    if value in (None, "") and not required:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid({field: str(NOT_A_DATE)}) from None


def whole_number(value, column_type=None):
    """``value`` as an int when it is a whole number (or its decimal digits) that a column of this
    type can hold (64 bits when no type is given); else None."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value):
        value = int(value)
    if type(value) is not int:
        return None
    limit = next((top for kind, top in LARGEST if isinstance(column_type, kind)), 2**63 - 1)
    return value if -limit - 1 <= value <= limit else None


def unreadable(value):
    """The first text or number in a request's data that no column could store: text with control
    characters or a broken (unpaired surrogate) character, or a whole number beyond 64 bits."""
    if isinstance(value, str):
        return value if UNREADABLE.search(value) else None
    if isinstance(value, dict):
        return next((bad for pair in value.items() for bad in map(unreadable, pair) if bad is not None), None)
    if isinstance(value, list):
        return next((bad for item in value if (bad := unreadable(item)) is not None), None)
    if type(value) is int and whole_number(value) is None:
        return value
    return None


UNREADABLE_TEXT = _l("Contains control characters or broken characters, or a number too large to store.")
NOT_AN_ID = _l("Give the id (a whole number) of a record.")
NO_SUCH_RECORD = _l("No such record among those of your organisation.")
BAD_QUERY = _l("The q argument is not valid: give a rison object such as (page:0,page_size:25).")
BAD_QUERY_VALUE = _l("The q argument has a value that is not allowed at: %(where)s")
BAD_REQUEST = _l("The request is not valid.")
NOT_SIGNED_IN = _l("Sign in first (the sign-in may have expired).")
FORBIDDEN = _l("Your role may not do this.")
RANGE = _l("Must be between {min} and {max}.")


class RelatedId(Related, marshmallow.fields.Integer):
    """A many-to-one relation in an API body: the id of a row the caller may read. Anything else
    (an object, a list, a fraction, an id beyond the key's range, a row outside the caller's
    scope) is refused for this field; marshmallow-sqlalchemy would make a new empty row of an
    object, or fail in the database on the rest."""

    def _deserialize(self, value, attr, data, **kwargs):
        model = self.related_model
        key = inspect(model).primary_key[0]
        number = whole_number(value, key.type) if not isinstance(value, str) else None
        if number is None:
            raise marshmallow.ValidationError(str(NOT_AN_ID))
        row = readable_row(model, number)
        if row is None:
            raise marshmallow.ValidationError(str(NO_SUCH_RECORD))
        return row


class LecSchemaConverter(Model2SchemaConverter):
    """FAB's schemas for LEC's API bodies: a relation is a ``RelatedId``, a whole number stays in
    its column's range, and a relation that may be empty shows as null in the document."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested, parent_schema_name)
        name = column.name
        if datamodel.is_relation_many_to_one(name) and isinstance(field, Related):
            return RelatedId(required=field.required, allow_none=datamodel.is_nullable(name))
        if datamodel.is_relation_many_to_one(name):
            field.allow_none = datamodel.is_nullable(name)
        elif isinstance(field, marshmallow.fields.Integer) and name in datamodel.list_columns:
            limit = next(top for kind, top in LARGEST if isinstance(datamodel.list_columns[name].type, kind))
            field.validators.append(marshmallow.validate.Range(-limit - 1, limit, error=str(RANGE)))
        return field


def api_response(description, **properties):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object", "properties": properties}}},
    }


MESSAGE = {
    "description": "In Thai: a sentence, a list of reasons, or one message per field of the body",
    "oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {}},
    ],
}
REFUSALS = {
    "400": {"$ref": "#/components/responses/lec_400"},
    "401": {"$ref": "#/components/responses/401"},
    "403": {"$ref": "#/components/responses/lec_403"},
    "404": {"$ref": "#/components/responses/lec_404"},
    "409": {"$ref": "#/components/responses/lec_409"},
}


class LecApi:
    """What every LEC REST API shares, FAB's generic ones included (mix in before ``BaseApi``):
    text no column can store is a 400 naming the field before anything runs, and every refusal
    reads in Thai, as the OpenAPI document describes (``REFUSALS``)."""

    responses = {
        **BaseApi.responses,
        "lec_400": api_response("Bad input (Thai)", message=MESSAGE, detail={"type": "string"}),
        "lec_403": api_response("The role may not do this (Thai)", message=MESSAGE),
        "lec_404": api_response("No such record in the user's area (Thai)", message=MESSAGE),
        "lec_409": api_response("Refused by the workflow: locked, or not ready (Thai)", message=MESSAGE),
    }

    @before_request
    def refuse_unreadable_input(self):
        """Control characters and broken characters fail in PostgreSQL, and numbers beyond 64 bits
        in SQLite, as a server error: refuse them in the query string and the JSON body first."""
        body = request.get_json(silent=True) if request.is_json else None
        places = [(name, request.args.getlist(name)) for name in request.args]
        places += list(body.items()) if isinstance(body, dict) else [("body", body)]
        errors = {str(name): str(UNREADABLE_TEXT) for name, value in places if unreadable(value) is not None}
        if errors:
            return self.response(400, message=errors)
        return None

    def response_400(self, message=None):
        """LEC's own refusals carry a dict of Thai messages per field; FAB's are one English
        sentence, kept as ``detail`` under a Thai message."""
        if isinstance(message, str) or message is None:
            return self.response(400, message=str(BAD_REQUEST), detail=message or "")
        return self.response(400, message=message)

    def response_401(self):
        return self.response(401, message=str(NOT_SIGNED_IN))

    def response_403(self):
        return self.response(403, message=str(FORBIDDEN))

    def response_404(self):
        return self.response(404, message=str(NOT_FOUND))

    def response_422(self, message=None):
        """FAB answers 422 for schema errors; LEC answers 400, with Thai messages per field."""
        return self.response_400(message=message)


PAGES = {name: {"type": "integer", "minimum": 0} for name in ("page", "page_size")}
RISON_SCHEMAS = {
    "get_list": {**get_list_schema, "properties": {**get_list_schema["properties"], **PAGES}},
    "get": get_item_schema,
    "info": get_info_schema,
}
# Each schema checked once, here: jsonschema.validate (and FAB's rison decorator) checks the schema
# itself again on every call.
RISON_CHECKS = {name: jsonschema.validators.validator_for(schema)(schema) for name, schema in RISON_SCHEMAS.items()}
for _check in RISON_CHECKS.values():
    _check.check_schema(_check.schema)


def reads_q(endpoint):
    """FAB's ``rison`` decorator without its second reading of ``q``: the endpoint gets the
    arguments ``LecModelApi.refuse_bad_query`` read and checked before it."""

    def with_q(self, *args, **kwargs):
        return endpoint(self, *args, rison=getattr(request, "lec_q", {}), **kwargs)

    return functools.update_wrapper(with_q, endpoint)


COUNT = {
    "type": "integer",
    "description": "The rows in the user's area under the filters: exact up to LEC_LIST_COUNT_CAP (10,000) "
    "rows; beyond it an estimate (count_is_estimate), never fewer than the rows up to this page's end",
}
COUNT_IS_ESTIMATE = {
    "type": "boolean",
    "description": "True when the rows exceed LEC_LIST_COUNT_CAP and count is an estimate: the database "
    "planner's (PostgreSQL) or the cap plus one (SQLite); to read them all, page until a page comes back short",
}


def model_api_spec(name):
    """The OpenAPI operations of a LecModelApi named ``name``, as LEC answers them (FAB's own
    document says ids are strings, 422 for bad input, and no 403 or 409)."""
    schema = "#/components/schemas/%s." % name
    item = {"type": "object"}
    return {
        "get_list": {"get": {"responses": {
            "200": api_response(
                "Rows in the user's area", ids={"type": "array", "items": {"type": "integer"}},
                count=COUNT, count_is_estimate=COUNT_IS_ESTIMATE,
                result={"type": "array", "items": {"$ref": schema + "get_list"}},
                label_columns=item, list_columns={"type": "array"}, order_columns={"type": "array"},
                description_columns=item, list_title={"type": "string"},
            ),
            **REFUSALS,
        }}},
        "get": {"get": {"responses": {
            "200": api_response(
                "The row", id={"type": "integer"}, result={"$ref": schema + "get"}, label_columns=item,
                show_columns={"type": "array"}, description_columns=item, show_title={"type": "string"},
            ),
            **REFUSALS,
        }}},
        "info": {"get": {"responses": {
            "200": api_response(
                "What the forms of this resource take", add_columns={"type": "array", "items": item},
                edit_columns={"type": "array", "items": item}, filters=item, permissions={"type": "array"},
                add_title={"type": "string"}, edit_title={"type": "string"},
            ),
            **REFUSALS,
        }}},
        "post": {"post": {"responses": {
            "201": api_response("Added", id={"type": "integer"}, result={"$ref": schema + "post"}),
            **REFUSALS,
        }}},
        "put": {"put": {"responses": {
            "200": api_response("Changed", result={"$ref": schema + "put"}),
            **REFUSALS,
        }}},
        "delete": {"delete": {"responses": {"200": api_response("Deleted", message={"type": "string"}), **REFUSALS}}},
    }  # fmt: skip


class LecModelApi(LecApi, ModelRestApi):
    """A REST resource under /api/v1/. Bad input is a 400 that names the field, in Thai: a key
    that is no row's (404), a ``q`` that is not a rison object of FAB's shape, a relation that is
    not the id of a row in the user's area, a number beyond its column, unstorable text."""

    allow_browser_login = True
    add_model_schema = PerThreadSchema()
    edit_model_schema = PerThreadSchema()
    model2schemaconverter = LecSchemaConverter
    base_order = ("id", "asc")

    def __init__(self):
        super().__init__()
        self.datamodel.edits(self.edit_columns)

    @property
    def openapi_spec_methods(self):
        return model_api_spec(type(self).__name__)

    @before_request(only=list(RISON_SCHEMAS))
    def refuse_bad_query(self):
        """FAB's ``rison`` decorator fails with a server error on some text that is not rison
        (``q=5.79e+16``), and answers in English; read ``q`` as it does, and refuse in Thai. The
        arguments read are the request's (``reads_q``): ``q`` is read and checked once."""
        value = request.args.get("q")
        request.lec_q = {}
        if not value:
            return None
        try:
            args = prison.loads(value)
        except Exception:
            try:
                args = json.loads(urllib.parse.parse_qs("q=" + value)["q"][0])
            except Exception:
                args = None
        if not isinstance(args, dict):
            return self.response(400, message={"q": str(BAD_QUERY)})
        error = jsonschema.exceptions.best_match(RISON_CHECKS[request.endpoint.rsplit(".", 1)[-1]].iter_errors(args))
        if error is not None:
            where = "/".join(map(str, error.absolute_path)) or "q"
            return self.response(400, message={"q": str(BAD_QUERY_VALUE) % {"where": where}})
        where = next(self._unstorable_in_query(args), None)
        if where:
            return self.response(400, message={"q": str(BAD_QUERY_VALUE) % {"where": where}})
        request.lec_q = args
        return None

    def _unstorable_in_query(self, args):
        """Where ``q`` holds text no column stores, or a filter value its column's key cannot hold
        (PostgreSQL casts it to the column's type and fails)."""
        if unreadable(args) is not None:
            yield "q"
        filters = args.get("filters")
        for number, flt in enumerate(filters if isinstance(filters, list) else []):
            name = flt.get("col") if isinstance(flt, dict) else None
            if not isinstance(name, str):
                continue
            if self.datamodel.is_relation(name):
                kind = self.datamodel.get_pk(self.datamodel.get_related_model(name)).type
            else:
                kind = getattr(self.datamodel.list_columns.get(name), "type", None)
            if isinstance(kind, Integer) and whole_number(flt.get("value"), kind) is None:
                yield "filters/%d/value" % number

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @reads_q
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs):
        key = whole_number(pk)
        return self.get_headless(key, **kwargs) if key is not None else self.response_404()

    get.__doc__ = ModelRestApi.get.__doc__  # FAB's operation, any key: one that is no row's is a 404, not a 405

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @reads_q
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs):
        return self.get_list_headless(**kwargs)

    get_list.__doc__ = ModelRestApi.get_list.__doc__

    @expose("/_info", methods=["GET"])
    @protect()
    @safe
    @reads_q
    @permission_name("info")
    @merge_response_func(BaseApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_field_info, API_ADD_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_field_info, API_EDIT_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_search_filters, API_FILTERS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_title, API_ADD_TITLE_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_title, API_EDIT_TITLE_RIS_KEY)
    def info(self, **kwargs):
        return self.info_headless(**kwargs)

    info.__doc__ = ModelRestApi.info.__doc__

    def _label_columns_json(self, cols=None):
        """The labels of these columns in the request's language: FAB translates each on every call."""
        key = (frozenset(cols or ()), str(get_locale()))
        return kept(self, "labels", key, lambda: super(LecModelApi, self)._label_columns_json(cols))

    def pre_get_list(self, data):
        """The count is exact up to ``LEC_LIST_COUNT_CAP`` rows; beyond it, an estimate (at least the
        rows up to the page's), which ``count_is_estimate`` says."""
        data["count_is_estimate"] = isinstance(data["count"], ApproximateCount)
        data["count"] = int(data["count"])

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        """FAB translates a missing description as gettext(""), which is the catalog's header."""
        info = super()._get_field_info(field, filter_rel_field, page, page_size)
        description = self.description_columns.get(field.name)
        info["description"] = str(_(description)) if description else ""
        return info

    def pre_add(self, item):
        validate(item)

    def pre_update(self, item):
        validate(item)

    def post_headless(self):
        return self._refusing_in_thai(super().post_headless)

    def put_headless(self, pk):
        """FAB merges the body into the stored row as a dict: a body that is no JSON object would
        fail there as a server error, so it is refused as POST refuses it."""
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message={"_schema": [str(_("Invalid input type."))]})
        return self._refusing_in_thai(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._refusing_in_thai(super().delete_headless, pk)

    def _refusing_in_thai(self, write, *args):
        """FAB's ``safe`` would answer a refusal of a write as a 500: answer it by the one map."""
        try:
            return write(*args)
        except LecError as refusal:
            body, status = api_answer(refusal, sentence=True)
            return self.response(status, **body)
