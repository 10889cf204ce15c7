"""Uploads that carry every kind of metadata, and a reader for the segments of a JPEG."""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageCms, PngImagePlugin

SCRIPT = b"<script>alert('meta')</script>"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description><dc:creator>SpyCam XMP</dc:creator>'
       b"</rdf:Description></rdf:RDF></x:xmpmeta>")
# Segments a re-encoded JPEG may hold: start/end, JFIF header (APP0: version and pixel
# density only), quantisation and Huffman tables, frame, restart interval, scan.
ALLOWED_MARKERS = {0xD8, 0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA}


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def hostile_jpeg(size=(320, 200)) -> bytes:
    """A JPEG with a comment (COM), EXIF with GPS (APP1), XMP (APP1), an ICC profile (APP2)
    and a Photoshop block (APP13), each holding text a browser must never see as markup."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {2: (55.0, 45.0, 0.0)}  # GPS
    photoshop = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10" + SCRIPT[:16]
    app13 = b"\xff\xed" + struct.pack(">H", len(photoshop) + 2) + photoshop
    out = io.BytesIO()
    Image.new("RGB", size, (40, 150, 140)).save(
        out, "JPEG", exif=exif, comment=SCRIPT, xmp=XMP, icc_profile=_srgb_icc(), extra=app13)
    return out.getvalue()


def hostile_png(size=(320, 200)) -> bytes:
    """A PNG with a text chunk named "comment" (Pillow would carry it into a JPEG comment),
    XMP in an iTXt chunk, an eXIf chunk and an ICC profile."""
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", SCRIPT.decode())
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG", pnginfo=info, exif=exif,
                                                icc_profile=_srgb_icc())
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The marker of every segment up to the start of the scan (SOS), in order."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = [0xD8], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length
    raise AssertionError("no scan in the JPEG")


def assert_no_metadata(data: bytes) -> None:
    markers = jpeg_markers(data)
    extra = [hex(m) for m in markers if m not in ALLOWED_MARKERS]
    assert not extra, f"metadata segments left in the JPEG: {extra}"
    for needle in (b"<script", b"SpyCam", b"xmpmeta", b"ICC_PROFILE", b"Photoshop"):
        assert needle not in data, needle
