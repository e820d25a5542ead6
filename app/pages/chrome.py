"""What every page draws the same in one language: the style sheets and scripts, FAB's confirm and
alert boxes, the footer (app/templates/lec/chrome/). Each is drawn once per process and language
instead of on every page (two dozen addresses through the router, a dozen translations), with a
mark where the request's CSP nonce goes; while templates reload (debug), on every page."""

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup, escape

NONCE_MARK = "lec-nonce-8c1f2e"  # stands for the request's nonce in a drawn piece
DRAWN = {}  # (template, language) → the piece's HTML with NONCE_MARK


def drawn_once(template):
    """The piece ``template`` draws in the current language, with this request's nonce."""
    key = (template, str(get_locale()))
    html = DRAWN.get(key)
    if html is None or current_app.jinja_env.auto_reload:
        html = DRAWN[key] = render_template(template, appbuilder=current_app.appbuilder, csp_nonce=lambda: NONCE_MARK)
    nonce = current_app.jinja_env.globals.get("csp_nonce")
    return Markup(html.replace(NONCE_MARK, str(escape(nonce() if nonce else ""))))
