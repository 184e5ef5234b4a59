"""Constants and helpers shared by the UI tests (a uniquely named module, importable from tests/ui)."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTICLE_ID = "article-alibaba-ai-rally"
PDF_SENTENCE = ("The Zephyr Lantern project will open a tidal energy laboratory in Reykjavik in March 2027.")
PDF_QUESTION = "Where will the Zephyr Lantern project open its tidal energy laboratory?"


def make_pdf(path: Path, sentence: str = PDF_SENTENCE) -> Path:
    """A two-page PDF (fpdf2) whose second page holds ``sentence``."""
    from fpdf import FPDF

    pdf = FPDF()
    kw = dict(new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Zephyr Lantern Project Briefing", **kw)
    pdf.multi_cell(0, 8, "This briefing covers internal planning for the next two years.", **kw)
    pdf.add_page()
    pdf.multi_cell(0, 8, sentence + " The laboratory will employ forty engineers.", **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
