"""The PDF base every document shares (fpdf2): A4 with DejaVu Sans, regular and bold,
embedded so that Cyrillic prints (receipts, credit notes, invoices, payout statements)."""

from __future__ import annotations

from fpdf import FPDF

from coworking_app.settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
FONT = "DejaVu"


class DejaVuPdf(FPDF):
    """An A4 document with the DejaVu family ("DejaVu", styles "" and "B") loaded and
    automatic page breaks; no page added yet."""

    def __init__(self, orientation: str = "P", *, bottom_margin: float = 15) -> None:
        super().__init__(orientation=orientation, format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=bottom_margin)
