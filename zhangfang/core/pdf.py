"""PDF documents with correct Chinese text (contracts, statements of account).

The Chinese font is Adobe's standard ``STSong-Light`` CID font whose metrics ship inside the
``reportlab`` package; every PDF reader supplies the glyphs for it, so no font file lives in this
repository and none has to be installed on the server. The text stays real text (it can be
searched, copied and checked in tests), not pictures of characters.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"


@cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _style(size: float, *, leading: float | None = None, align: int = 0) -> ParagraphStyle:
    return ParagraphStyle(
        f"zf-{size}-{align}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.5,
        alignment=align,
        # CJK wrapping breaks between any two characters, as Chinese text is set.
        wordWrap="CJK",
    )


class PdfDocument:
    """A simple flowing A4 document: a title, headings, paragraphs and tables, in that order."""

    def __init__(self, title: str, *, author: str = "") -> None:
        _register_font()
        self.title = title
        self.author = author
        self._story: list = [Paragraph(escape(title), _style(16, align=1)), Spacer(1, 6 * mm)]

    def heading(self, text: str) -> PdfDocument:
        self._story.append(Paragraph(escape(text), _style(12, leading=20)))
        return self

    def paragraph(self, text: str, *, size: float = 10.5) -> PdfDocument:
        """One paragraph per line of ``text``; line breaks in the source are kept."""
        for line in text.splitlines() or [""]:
            self._story.append(Paragraph(escape(line) or "&nbsp;", _style(size)))
        return self

    def spacer(self, height_mm: float = 4) -> PdfDocument:
        self._story.append(Spacer(1, height_mm * mm))
        return self

    def table(
        self,
        rows: Sequence[Sequence[str]],
        *,
        widths_mm: Sequence[float] | None = None,
        header: bool = True,
        align_right: Sequence[int] = (),
    ) -> PdfDocument:
        """A ruled table; ``align_right`` lists the columns of figures."""
        cell = _style(9.5)
        cell_right = _style(9.5, align=2)
        data = [
            [
                Paragraph(escape(str(value)), cell_right if i in align_right else cell)
                for i, value in enumerate(row)
            ]
            for row in rows
        ]
        table = Table(
            data,
            colWidths=[w * mm for w in widths_mm] if widths_mm else None,
            repeatRows=1 if header else 0,
        )
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style))
        self._story.append(table)
        return self

    def signatures(self, left: str, right: str) -> PdfDocument:
        """Two signature blocks side by side (甲方 / 乙方), kept on one page."""
        block = Table(
            [[Paragraph(escape(left), _style(10.5)), Paragraph(escape(right), _style(10.5))]],
            colWidths=[85 * mm, 85 * mm],
        )
        self._story.append(KeepTogether([Spacer(1, 8 * mm), block]))
        return self

    def render(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            author=self.author,
        )
        document.build(self._story, onFirstPage=_page_number, onLaterPages=_page_number)
        return buffer.getvalue()


def _page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(A4[0] / 2, 10 * mm, f"— {document.page} —")
    canvas.restoreState()


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """Serve a PDF; ``filename`` may be Chinese (RFC 5987 encoding is done by Django)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response
