"""Thai in PDFs: the Sarabun font, shaped paragraphs, and a text layer that reads back as Thai.

reportlab places Thai vowels and tone marks correctly only when HarfBuzz shapes the text
(DESIGN.md §3). Shaping picks positioned variants of the marks (e.g. ``uni0E48.small`` for a tone
mark above an upper vowel); reportlab gives such glyphs private-use code points, so copying or
extracting the text would yield U+E000… instead of the tone mark. ``makeToUnicodeCMap`` is
wrapped so each variant maps back to the character its glyph name says it draws. HarfBuzz also
draws SARA AM (ำ) as NIKHAHIT + SARA AA; shaping is wrapped so such a cluster reads back as the
characters it was shaped from, and a search for จำนวน finds it."""

import re
from functools import cache
from pathlib import Path

import fontpkg_sarabun
import uharfbuzz
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as canvas_module
from reportlab.platypus import Paragraph
from reportlab.platypus import paragraph as paragraph_module

FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
REGULAR, BOLD = "Sarabun", "Sarabun-Bold"
FONT_FILES = {REGULAR: "Sarabun-Regular.ttf", BOLD: "Sarabun-Bold.ttf"}
_VARIANT = re.compile(r"^uni([0-9A-F]{4})\.")
_SOURCE = re.compile(r"^lec\.\d+\.((?:[0-9A-F]{4})*)$")
_SARA_AM = "\u0e33"
_reportlab_cmap = ttfonts.makeToUnicodeCMap
_reportlab_shape = ttfonts.shapeFragWord


def register_fonts():
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / FONT_FILES[REGULAR])))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / FONT_FILES[BOLD])))


def style(size, bold=False, leading=None):
    """A paragraph style in Sarabun that HarfBuzz shapes."""
    return ParagraphStyle(
        "lec", fontName=BOLD if bold else REGULAR, fontSize=size, leading=leading or size * 1.25, shaping=1
    )


THAI_CONSONANTS = [chr(code) for code in range(0x0E01, 0x0E2F)]  # ก … ฮ
UPPER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37"  # ั ิ ี ึ ื
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b\u0e4c"  # ่ ้ ๊ ๋ ์
LOWER_VOWELS = "\u0e38\u0e39\u0e3a"  # ุ ู ฺ
THAI_STACKS = [c + v + t for c in THAI_CONSONANTS for v in UPPER_VOWELS for t in TONE_MARKS]
THAI_TAILS = [c + v for c in THAI_CONSONANTS for v in LOWER_VOWELS] + ["\u0e24", "\u0e26"]  # and ฤ ฦ


@cache
def thai_reach(font_name=REGULAR):
    """How far shaped Thai reaches, in em: up to the top of the highest tone mark over an upper vowel
    (HarfBuzz lifts a mark above the font's bounding box: ษึ์), down to the bottom of the deepest lower
    vowel (ฏู). Every consonant with every such mark, shaped as reportlab shapes them."""
    font = uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(FONT_DIR / FONT_FILES[font_name]))))
    top = bottom = 0
    for text in THAI_STACKS + THAI_TAILS:
        shaped = uharfbuzz.Buffer()
        shaped.add_str(text)
        shaped.guess_segment_properties()
        uharfbuzz.shape(font, shaped)
        for glyph, position in zip(shaped.glyph_infos, shaped.glyph_positions, strict=True):
            extents = font.get_glyph_extents(glyph.codepoint)
            top = max(top, position.y_offset + extents.y_bearing)
            bottom = min(bottom, position.y_offset + extents.y_bearing + extents.height)
    return top / font.face.upem, -bottom / font.face.upem


def thai_leading(size, font_name=REGULAR):
    """Line spacing at which two lines of Thai never touch: a tone mark of one line stays below the
    deepest vowel of the line above, about 1.85 × the size in Sarabun. reportlab's usual 1.2 × puts
    the marks into the line above, where they read as part of another word."""
    top, depth = thai_reach(font_name)
    return size * (top + depth)


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
                source = _SOURCE.match(glyph)
                variant = _VARIANT.match(glyph)
                if source:
                    real[private] = source.group(1)
                elif variant:
                    real[private] = variant.group(1)
    cmap = _reportlab_cmap(fontname, subset).split("\n")
    begin = cmap.index("%d beginbfchar" % len(subset)) + 1
    cmap[begin:begin + len(subset)] = ["<%02X> <%s>" % (i, real.get(code, "%04X" % code))
                                        for i, code in enumerate(subset)]  # fmt: skip
    return "\n".join(cmap)


def _shape_keeping_source(word, *args, **kwargs):
    """Shape, then make each glyph cluster holding SARA AM read back as the characters it was shaped
    from: HarfBuzz draws ำ as NIKHAHIT + SARA AA, which would read back as U+0E4D U+0E32, so a
    search for จำนวน would find nothing. The cluster's widest glyph gets a code of its own that
    reads back as the cluster's source text, its other glyphs codes that read back as nothing."""
    shaped = _reportlab_shape(word, *args, **kwargs)
    if shaped is word or not isinstance(shaped, list):
        return shaped
    source = "".join(s for f, s in word[1:] if not hasattr(f, "cbDefn"))
    pieces = [(i, piece) for i, piece in enumerate(shaped[1:], 1) if isinstance(piece[1], ttfonts.ShapedStr)]
    glyphs = [(i, j, sd) for i, piece in pieces for j, sd in enumerate(piece[1].__shapeData__)]
    starts = sorted({sd.cluster for _i, _j, sd in glyphs}) + [len(source)]
    ends = dict(zip(starts, starts[1:], strict=False))
    carriers = {}
    for i, j, sd in glyphs:
        best = carriers.get(sd.cluster)
        if best is None or sd.x_advance > best[2]:
            carriers[sd.cluster] = (i, j, sd.x_advance)
    codes = {i: list(piece[1]) for i, piece in pieces}
    for i, j, sd in glyphs:
        text = source[sd.cluster:ends[sd.cluster]]
        if _SARA_AM not in text:
            continue
        font = pdfmetrics.getFont(shaped[i][0].fontName)
        char = ord(codes[i][j])
        gid = font.face.charToGlyph[char]
        reads = "".join("%04X" % ord(c) for c in text) if carriers[sd.cluster][:2] == (i, j) else ""
        codes[i][j] = chr(font.hbAddPrivate("lec.%d.%s" % (gid, reads), gid, font.face.charWidths[char]))
    for i, piece in pieces:
        shaped[i] = (piece[0], ttfonts.ShapedStr("".join(codes[i]), shapeData=piece[1].__shapeData__))
    return shaped

ttfonts.makeToUnicodeCMap = _cmap_with_thai_marks
ttfonts.shapeFragWord = paragraph_module.shapeFragWord = canvas_module.shapeFragWord = _shape_keeping_source
