"""PDF generation with fpdf2 (core fonts: text is limited to Latin-1, others become '?').

fpdf2 is imported when a PDF is first made, not with this module: it brings Pillow and
fontTools, about 30 MB of every serving process that never makes a PDF
(performance/README.md, memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def simple_pdf(lines: Sequence[str], title: str | None = None) -> bytes:
    """A one-page A4 PDF: an optional title, then one paragraph per line."""
    from fpdf import FPDF

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


@dataclass(frozen=True)
class EnrollmentFacts:
    """What the generated documents of an enrollment say, gathered by services.documents."""

    reference: str
    course_code: str
    course_title: str
    duration_days: Decimal
    starts_on: date
    ends_on: date
    city: str
    seats: int
    net_price_total: Decimal
    registrant_name: str
    registrant_email: str
    trainees: Sequence[str] = ()
    company_name: str = ""
    establishment_name: str = ""
    establishment_siret: str = ""
    establishment_address: str = ""
    issued_on: date = field(default_factory=date.today)


ORGANISATION = "Espace Formation"


def _new_pdf(title: str) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("Espace")
    pdf.set_title(_latin1(title))
    pdf.set_compression(False)
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 10, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _paragraphs(pdf: FPDF, lines: Sequence[str], *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", style="B" if bold else "", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, _latin1(line), new_x="LMARGIN", new_y="NEXT")


def _client(facts: EnrollmentFacts) -> list[str]:
    if facts.establishment_name:
        lines = [f"{facts.company_name} - {facts.establishment_name}".strip(" -")]
        if facts.establishment_siret:
            lines.append(f"SIRET {facts.establishment_siret}")
        if facts.establishment_address:
            lines.append(facts.establishment_address)
        return lines
    return [f"{facts.registrant_name or facts.registrant_email} (individual customer)"]


def _dates(facts: EnrollmentFacts) -> str:
    return f"from {facts.starts_on.isoformat()} to {facts.ends_on.isoformat()} in {facts.city}"


def training_agreement_pdf(facts: EnrollmentFacts) -> bytes:
    """The training agreement (convention de formation) between us and the client."""
    pdf = _new_pdf(f"Training agreement {facts.reference}")
    pdf.add_page()
    _heading(pdf, "Training agreement")
    _paragraphs(pdf, [f"Reference: {facts.reference}", f"Issued on {facts.issued_on.isoformat()}"])
    pdf.ln(4)
    _paragraphs(pdf, ["Between"], bold=True)
    _paragraphs(pdf, [f"{ORGANISATION}, the training organisation,"])
    _paragraphs(pdf, ["and"], bold=True)
    _paragraphs(pdf, _client(facts))
    _paragraphs(pdf, [f"represented by {facts.registrant_name or facts.registrant_email}."])
    pdf.ln(4)
    _paragraphs(pdf, ["Course"], bold=True)
    _paragraphs(
        pdf,
        [
            f"{facts.course_title} ({facts.course_code})",
            f"{facts.duration_days} day(s), {_dates(facts)}",
            f"Seats: {facts.seats}",
            f"Price excluding VAT: {facts.net_price_total} EUR",
        ],
    )
    pdf.ln(4)
    _paragraphs(pdf, ["Trainees"], bold=True)
    _paragraphs(pdf, [f"- {name}" for name in facts.trainees] or ["To be named by the client."])
    pdf.ln(8)
    _paragraphs(pdf, ["Signed for the client:", "", "Signed for the training organisation:"])
    return bytes(pdf.output())


def certificate_of_attendance_pdf(facts: EnrollmentFacts) -> bytes:
    """The certificate of attendance (attestation de stage): one page per trainee."""
    pdf = _new_pdf(f"Certificate of attendance {facts.reference}")
    for name in facts.trainees or [facts.registrant_name or facts.registrant_email]:
        pdf.add_page()
        _heading(pdf, "Certificate of attendance")
        _paragraphs(
            pdf,
            [
                f"{ORGANISATION} certifies that",
                "",
                name,
                "",
                f"attended the course {facts.course_title} ({facts.course_code}), "
                f"{facts.duration_days} day(s), {_dates(facts)}.",
                "",
                *(_client(facts) if facts.establishment_name else []),
                f"Enrollment reference: {facts.reference}",
                f"Issued on {facts.issued_on.isoformat()}",
            ],
        )
    return bytes(pdf.output())
