"""QR codes: one home for making them (the authenticator app's enrolment, the Telegram bot's
link, a booking's check-in). SVG, so the code stays sharp at any size and needs no image
library; the module matrix for PDFs."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    """`text` (a URL, an otpauth URI) as a QR code in SVG."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()


def qr_matrix(text: str) -> list[list[bool]]:
    """`text` as a QR code's modules, row by row (True: dark), with the quiet border: for
    drawing it where SVG does not go (a PDF)."""
    code = qrcode.QRCode(border=2)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def svg_data_uri(svg: str) -> str:
    """An SVG as a `data:` URI for an <img src> (the page CSP allows `data:` images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def qr_data_uri(text: str) -> str:
    """`text` as a QR code, ready for an <img src>."""
    return svg_data_uri(qr_svg(text))
