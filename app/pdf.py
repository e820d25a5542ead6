"""Thai in PDFs: the Sarabun font, shaped paragraphs, and a text layer that reads back as Thai.

reportlab places Thai vowels and tone marks correctly only when HarfBuzz shapes the text
(DESIGN.md §3). Shaping picks positioned variants of the marks (e.g. ``uni0E48.small`` for a tone
mark above an upper vowel); reportlab gives such glyphs private-use code points, so copying or
extracting the text would yield U+E000… instead of the tone mark. ``makeToUnicodeCMap`` is
wrapped so each variant maps back to the character its glyph name says it draws."""

import re
from pathlib import Path

import fontpkg_sarabun
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
REGULAR, BOLD = "Sarabun", "Sarabun-Bold"
_VARIANT = re.compile(r"^uni([0-9A-F]{4})\.")
_reportlab_cmap = ttfonts.makeToUnicodeCMap


def register_fonts():
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "Sarabun-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "Sarabun-Bold.ttf")))


def style(size, bold=False, leading=None):
    """A paragraph style in Sarabun that HarfBuzz shapes."""
    return ParagraphStyle(
        "lec", fontName=BOLD if bold else REGULAR, fontSize=size, leading=leading or size * 1.25, shaping=1
    )


class Shaped(Paragraph):
    """A paragraph that HarfBuzz shapes afresh at every wrap. reportlab shapes a paragraph's words in
    place on the first wrap; a second wrap (a table cell, a list item, a heading kept with the next
    block) shapes them again and draws a tone mark above an upper vowel (ที่, นี้) as an empty box.
    It is never split across pages: a piece would start from already-shaped words."""

    def __init__(self, text, style, **options):
        self._source = (text, style, options)
        super().__init__(text, style, **options)

    def wrap(self, available_width, available_height):
        text, style, options = self._source
        super().__init__(text, style, **options)
        return super().wrap(available_width, available_height)

    def split(self, available_width, available_height):
        return []


def paragraph(c, text, x, y_top, width, paragraph_style, max_height=1000):
    """Draw shaped text whose first line starts at ``y_top``; returns the height used."""
    shaped = Shaped(text, paragraph_style)
    _width, height = shaped.wrap(width, max_height)
    shaped.drawOn(c, x, y_top - height)
    return height


def _cmap_with_thai_marks(fontname, subset):
    real = {}
    for font in (pdfmetrics.getFont(REGULAR), pdfmetrics.getFont(BOLD)):
        if fontname.endswith("+" + font.face.name.decode()):
            for glyph, private in getattr(font, "_TTFont__hbUnis", {}).items():
                match = _VARIANT.match(glyph)
                if match:
                    real[private] = int(match.group(1), 16)
    return _reportlab_cmap(fontname, [real.get(code, code) for code in subset])


ttfonts.makeToUnicodeCMap = _cmap_with_thai_marks
