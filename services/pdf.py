"""PDF generation with fpdf2 (core fonts: text is limited to Latin-1, others become '?')."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def simple_pdf(lines: Sequence[str], title: str | None = None) -> bytes:
    """A one-page A4 PDF: an optional title, then one paragraph per line."""
    pdf = FPDF(format="A4")
    pdf.set_creator("Espace")
    pdf.set_compression(False)  # stable bytes; documents are small
    pdf.add_page()
    if title:
        pdf.set_font("Helvetica", style="B", size=16)
        pdf.multi_cell(0, 10, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
