"""Assets the app serves itself so that it works offline: the Sarabun Thai font (from the
fontpkg-sarabun package, SIL Open Font License) and LEC's stylesheet."""

from pathlib import Path

import fontpkg_sarabun
from flask import Blueprint, abort, send_from_directory

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
WEB_FONTS = {"Sarabun-Regular.ttf", "Sarabun-Bold.ttf"}

assets = Blueprint("lec_assets", __name__, static_folder="static", static_url_path="/lec-static")


@assets.route("/fonts/<name>")
def font(name):
    if name not in WEB_FONTS:
        abort(404)
    return send_from_directory(FONT_DIR, name, max_age=365 * 24 * 3600)
