"""What every page draws the same in one language: the style sheets and scripts, FAB's confirm and
alert boxes, the footer (app/templates/lec/chrome/). Each is drawn once per process and language
instead of on every page (two dozen addresses through the router, a dozen translations), with a
mark where the request's CSP nonce goes; while templates reload (debug), on every page."""

from flask import current_app, render_template, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from ..caches import kept_for
from ..notifications import unread_count

NONCE_MARK = "lec-nonce-8c1f2e"  # stands for the request's nonce in a drawn piece
DRAWN = {}  # (template, language) → the piece's HTML with NONCE_MARK


def drawn_once(template):
    """The piece ``template`` draws in the current language, with this request's nonce."""
    key = (template, str(get_locale()))
    html = DRAWN.get(key)
    if html is None or current_app.jinja_env.auto_reload:
        html = DRAWN[key] = render_template(template, appbuilder=current_app.appbuilder, csp_nonce=lambda: NONCE_MARK)
    return Markup(html.replace(NONCE_MARK, request_nonce()))


def request_nonce():
    """This request's CSP nonce as a script tag carries it (Talisman's ``csp_nonce``; empty without it)."""
    nonce = current_app.jinja_env.globals.get("csp_nonce")
    return str(escape(nonce())) if nonce else ""


NAVBARS = {}  # (language, reader, what the bar shows of them) → (expires, the bar's HTML)
NAVBARS_KEPT = 1000


def navbar_drawn():
    """The menu bar as this reader sees it. Everything it shows is in the key (the menu as drawn for
    their role set, which a permission change draws anew; their name and unread count; the language
    and the language chosen), so a change to any of them draws the bar anew at once."""
    user = current_user
    reader = None
    if user.is_authenticated:
        reader = (user.id, user.get_full_name(), unread_count(user.id))
    key = (str(get_locale()), session.get("locale"), current_app.appbuilder.sm.menu_html(), reader)

    def draw():
        return Markup(render_template("lec/chrome/navbar.html", appbuilder=current_app.appbuilder))

    lifetime = current_app.config["LEC_PERMISSION_CACHE_SECONDS"]
    if current_app.jinja_env.auto_reload:
        return draw()
    return kept_for(NAVBARS, key, lifetime, draw, limit=NAVBARS_KEPT)
