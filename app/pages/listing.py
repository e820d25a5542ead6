"""A list page's widget (app/templates/appbuilder/general/widgets/list.html), drawn in Python: what
the user may do on it, its header (pages, page size, Add, actions, Back, count), its column heads
and its rows. FAB's base_list.html and lib.html draw the same HTML piece by piece through a dozen
macros and filters, each asking the security manager and building a URL through the router again;
on a list page that was a third of the app's time. The template keeps the page's structure."""

import math
import urllib.parse
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup, escape

from .chrome import request_nonce


@dataclass(frozen=True)
class Allowed:
    """What the signed-in user may do on a list, asked once per page: FAB's is_item_visible."""

    add: bool
    show: bool
    edit: bool
    delete: bool
    actions: dict  # name → action: those the user may run on several rows (FAB's get_actions_on_list)


def view_named(name):
    views = current_app.extensions.setdefault("lec_views_by_name", {})
    if not views:
        views.update((type(view).__name__, view) for view in current_app.appbuilder.baseviews)
    return views.get(name)


def list_allowed(view_name, actions):
    view, sm = view_named(view_name), current_app.appbuilder.sm

    def may(permission):
        return permission in view.base_permissions and sm.has_access(permission, view.class_permission_name)

    def may_method(method):
        return may(PERMISSION_PREFIX + view.get_method_permission(method))

    shown = {name: action for name, action in (actions or {}).items()
             if action.multiple and may(view.get_action_permission_name(name))}  # fmt: skip
    return Allowed(may_method("add"), may_method("show"), may_method("edit"), may_method("delete"), shown)


class Links:
    """The list's own address with one argument changed (a page, a page size, an order), as FAB's
    link_page, link_page_size and link_order filters make it, with the router asked once."""

    def __init__(self):
        self.base = url_for(request.endpoint, **request.view_args)
        self.args = request.args.to_dict()

    def to(self, **changed):
        query = urllib.parse.urlencode({**self.args, **changed}, quote_via=urllib.parse.quote)
        return escape(self.base + ("?" + query if query else ""))


PAGES_AROUND = 3  # page links either side of the current one, as FAB's render_pagination


def _pagination(links, view, page, pages):
    low, high = page - PAGES_AROUND, page + PAGES_AROUND + 1
    if low < 0:
        high -= low
    if high >= pages:
        low -= high - pages
    low, high = max(low, 0), min(high, pages)
    key = "page_" + view

    def item(text, target, disabled=False):
        if disabled:
            return '<li class="disabled"><a href="#">%s</a></li>' % text
        return '<li><a href="%s">%s</a></li>' % (links.to(**{key: target}), text)

    html = ['<ul class="pagination pagination-sm" style="display:inherit;">']
    html.append(item("&laquo;", 0, disabled=low <= 0))
    html.append(item("&lt;", page - 1, disabled=page <= 0))
    for number in range(low, high):
        if number == page:
            html.append('<li class="active"><a href="#">%d</a></li>' % (number + 1))
        else:
            html.append(item(str(number + 1), number))
    html.append(item("&gt;", page + 1, disabled=page + 1 >= pages))
    html.append(item("&raquo;", pages - 1, disabled=high >= pages))
    html.append("</ul>")
    return "".join(html)


def _page_sizes(links, view, page, page_size, count):
    html = ['<div class="btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle" '
            'data-toggle="dropdown">%s<span class="caret"></span></button><ul class="dropdown-menu" role="menu">'
            % escape(_("Page size"))]  # fmt: skip
    for size in range(25, 125, 25):
        if page * size <= count:
            active = ' class="active"' if size == page_size else ""
            html.append('<li%s><a href="%s">%d</a></li>' % (active, links.to(**{"psize_" + view: size}), size))
    html.append("</ul></div>")
    return "".join(html)


def _actions(actions, nonce):
    items, handlers = [], []
    for action in actions.values():
        name = escape(action.name)
        items.append('<li><a href="#" class="%s_menu_item"><i class="fa %s"></i> %s</a></li>'
                     % (name, escape(action.icon), escape(_(action.text))))  # fmt: skip
        confirmation = "'%s'" % escape(action.confirmation) if action.confirmation else "false"
        handlers.append("$('.%s_menu_item').on('click', function(){return modelActions.execute_multiple('%s', %s);});"
                        % (name, name, confirmation))  # fmt: skip
    return "".join([
        '<div class="btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle" '
        'data-toggle="dropdown">%s<span class="caret"></span></button><ul class="dropdown-menu" role="menu">'
        % escape(_("Actions")),
        *items,
        '</ul><script nonce="%s">$(document).ready(function() {%s});</script></div>' % (nonce, "".join(handlers)),
    ])  # fmt: skip


def _count_text(count):
    if getattr(count, "more_than", None):
        return _("more than %(count)s", count="{:,}".format(count.more_than))
    if getattr(count, "approximate", False):
        return _("about %(count)s", count="{:,}".format(count))
    return "{:,}".format(count)


@pass_context
def list_header(context, allowed):
    """Pages and page sizes (when there is more than one page), Add (not while the user's own
    organisation is locked: add_refused), the actions, Back and the count ("about N" for the
    database's estimate of a large scope, app/pages/base.py ApproximateCount)."""
    get = context.get
    view, count, page_size = get("modelview_name"), get("count"), get("page_size")
    page = get("page") or 0
    pages = math.ceil(count / page_size) if page_size else 0
    links, html = Links(), []
    if pages > 1:
        html += [_pagination(links, view, page, pages), _page_sizes(links, view, page, page_size, count)]
    path = allowed.add and not get("add_refused") and context.environment.filters["safe_url_for"](view + ".add")
    if path:
        filters = get("filters")
        if filters:
            path = context.environment.filters["set_link_filters"](path, filters)
        html.append('<a href="%s" class="btn btn-sm btn-primary" data-toggle="tooltip" rel="tooltip" title="%s">'
                    '<span class="sr-only">%s</span><i class="fa fa-plus"></i></a>'
                    % (escape(path), escape(_("Add a new record")), escape(_("Add"))))  # fmt: skip
    if allowed.actions:
        html.append(_actions(allowed.actions, request_nonce()))
    html.append('<a href="%s" class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip" title="%s">'
                '<span class="sr-only">%s</span><i class="fa fa-arrow-left"></i></a>'
                % (url_for("UtilView.back"), escape(_("Back")), escape(_("Back"))))  # fmt: skip
    html.append('<div class="pull-right"><strong>%s:</strong> %s</div>'
                % (escape(_("Record Count")), escape(_count_text(count))))  # fmt: skip
    return Markup("\n".join(html))  # the buttons apart, as FAB's template laid them out


ORDER_ICON = {"asc": "fa-chevron-up", "desc": "fa-chevron-down"}


@pass_context
def list_head(context, allowed):
    """The column heads; a sortable column links to the list ordered by it (ascending first, then
    the other way), with the arrow of the order shown."""
    get = context.get
    view, labels, orderable = get("modelview_name"), get("label_columns"), get("order_columns") or ()
    links = Links()
    ordered_by, direction = request.args.get("_oc_" + view), request.args.get("_od_" + view)
    html = ["<thead><tr>"]
    if allowed.actions:
        html.append('<th class="action_checkboxes"><input id="check_all" class="action_check_all" '
                    'name="check_all" type="checkbox"></th>')  # fmt: skip
    if allowed.show or allowed.edit or allowed.delete:
        html.append('<th class="col-md-1 col-lg-1 col-sm-1"></th>')
    for name in get("include_columns"):
        label = escape(labels.get(name))
        if name in orderable:
            current = ordered_by == name
            icon = ORDER_ICON.get(direction, "fa-chevron-down") if current else "fa-arrows-v"
            flip = "desc" if current and direction == "asc" else "asc"
            href = links.to(**{"_oc_" + view: name, "_od_" + view: flip})
            html.append('<th class="lec-cell-%s"><a href="%s">%s <i class="fa %s pull-right"></i></a></th>'
                        % (escape(name), href, label, icon))  # fmt: skip
        else:
            html.append('<th class="lec-cell-%s">%s</th>' % (escape(name), label))
    html.append("</tr></thead>")
    return Markup("".join(html))


PK_MARK = "__pk__"  # where a row's key goes in a button drawn once for the page
ROW_BUTTONS = [  # (kind, Allowed's field, title, text for screen readers, icon)
    ("show", "show", _l("Show record"), _l("Show"), "fa-search"),
    ("edit", "edit", _l("Edit record"), _l("Edit"), "fa-edit"),
]
BUTTON = (
    '<a href="{path}" class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip" title="{title}">'
    '<span class="sr-only">{text}</span><i class="fa {icon}"></i></a>'
)
LOCKED_BUTTON = (
    '<span class="btn btn-sm btn-default disabled lec-locked" data-toggle="tooltip" rel="tooltip" title="{why}">'
    '<span class="sr-only">{why}</span><i class="fa fa-lock"></i></span>'
)
DELETE_BUTTON = (
    '<a id="btn-delete-{path}" href="#" class="btn btn-sm btn-default confirm" rel="tooltip" title="{title}">'
    '<span class="sr-only">{text}</span><i class="fa fa-trash"></i></a><script nonce="{nonce}">'
    'document.getElementById("btn-delete-{path}").addEventListener("click", function () {{'
    "return new AdminActions().execute_single_delete('{path}','{question}');}})</script>"
)


@pass_context
def list_rows(context, allowed):
    """The rows, with their buttons (a row the user may not change now shows why in place of Edit:
    ``locked``), the row just added marked (``added``), and each cell naming its column
    (lec-cell-…), so a phone hides the less needed ones (lec.css). A value shown twice on the page
    is escaped, and translated, once."""
    get = context.get
    view, filters = get("modelview_name"), get("filters")
    url = context.environment.filters["safe_url_for"]
    link_filters = str(escape(context.environment.filters["set_link_filters"]("", filters))) if filters else ""
    buttons = []  # (kind, the button's HTML split where its row's key goes)
    for kind, field, title, text, icon in ROW_BUTTONS:
        path = getattr(allowed, field) and url(view + "." + kind, pk=PK_MARK)
        if path:
            drawn = BUTTON.format(path=str(escape(path)) + link_filters, title=escape(title), text=escape(text),
                                  icon=icon)  # fmt: skip
            buttons.append((kind, drawn.split(PK_MARK)))
    path = allowed.delete and url(view + ".delete", pk=PK_MARK)
    if path:
        drawn = DELETE_BUTTON.format(
            path=escape(path), title=escape(_("Delete record")), text=escape(_("Delete")),
            question=escape(_("Are you sure you want to delete this item?")), nonce=request_nonce(),
        )  # fmt: skip
        buttons.append(("delete", drawn.split(PK_MARK)))
    locked, added = get("locked") or {}, get("added")
    formatters = get("formatters_columns") or {}
    columns = [('<td class="lec-cell-%s">' % escape(name), name, formatters.get(name))
               for name in get("include_columns")]  # fmt: skip
    shown = {}  # (column, value) → the cell's text, escaped

    def cell(name, formatter, value):
        key = (name, value)
        try:
            return shown[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key is not kept
            key = None
        text = str(escape(formatter(value) if formatter else "" if value is None else value))
        if key is not None:
            shown[key] = text
        return text

    html = ["<tbody>"]
    for pk, item in zip(get("pks"), get("value_columns"), strict=True):
        key = escape(pk)
        html.append('<tr id="added" class="lec-added">' if pk == added else "<tr>")
        if allowed.actions:
            html.append('<td><input id="%s" class="action_check" name="rowid" value="%s" type="checkbox"></td>'
                        % (key, key))  # fmt: skip
        if buttons:
            html.append('<td><center><div class="btn-group btn-group-xs" style="display: flex;">')
            in_path = urllib.parse.quote(str(pk))
            for kind, parts in buttons:
                if kind == "edit" and pk in locked:
                    html.append(LOCKED_BUTTON.format(why=escape(locked[pk])))
                else:
                    html.append(in_path.join(parts))
            html.append("</div></center></td>")
        for opening, name, formatter in columns:
            html.append(opening + cell(name, formatter, item[name]) + "</td>")
        html.append("</tr>")
    html.append("</tbody>")
    return Markup("".join(html))
