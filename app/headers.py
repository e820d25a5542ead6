"""Security headers on every answer (Flask-Talisman), as a government web scan expects.

LEC loads nothing from elsewhere (fonts, Plotly and FAB's scripts are served by the app), so the
Content-Security-Policy allows the app's own origin only. Scripts run from the app's files or from
an inline block carrying the request's nonce (`csp_nonce()`, which FAB's `baselib.get_nonce()`
reads); inline event handlers and `javascript:` links are refused, so LEC has none. Styles allow
'unsafe-inline': FAB's and LEC's templates carry `style=` attributes, and select2, the date picker
and Plotly set styles as they draw; a style cannot run code. Framing is refused (clickjacking).

With LEC_HTTPS=1 (behind a TLS-terminating load balancer) the session and remember cookies are
Secure and HTTPS answers carry HSTS. The app never redirects to HTTPS itself: the load balancer
does that, and its health checks reach /health over plain HTTP."""

from flask_talisman import Talisman

SELF = "'self'"
POLICY = {
    "default-src": SELF,
    "script-src": SELF,  # plus the request's nonce
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:"],  # Bootstrap's and select2's small icons are data: URLs
    "font-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def install(app):
    https = bool(app.config.get("LEC_HTTPS"))
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=https,
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        content_security_policy=POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )
