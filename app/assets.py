"""Assets the app serves itself so that it works offline: the Sarabun Thai font (from the
fontpkg-sarabun package, SIL Open Font License), Plotly's JavaScript for the charts (from the
plotly package, MIT; app/charts.py) and LEC's stylesheet."""

from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import fontpkg_sarabun
from flask import Blueprint, abort, send_file, send_from_directory

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
WEB_FONTS = {"Sarabun-Regular.ttf", "Sarabun-Bold.ttf"}
# The built plotly.js inside the installed Python package (not imported: only its file is served).
PLOTLY_JS = Path(find_spec("plotly").origin).parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION = version("plotly")  # in the URL, so that a year's caching ends with an upgrade

assets = Blueprint("lec_assets", __name__, static_folder="static", static_url_path="/lec-static")


@assets.route("/fonts/<name>")
def font(name):
    if name not in WEB_FONTS:
        abort(404)
    return send_from_directory(FONT_DIR, name, max_age=365 * 24 * 3600)


@assets.route("/js/plotly.min.js")
def plotly_js():
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=365 * 24 * 3600)


@assets.app_context_processor
def plotly_version():
    """The version in Plotly's URL, for every template that draws a chart (FAB's too)."""
    return {"plotly_version": PLOTLY_VERSION}
