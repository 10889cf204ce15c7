"""Generated interior photos for demo spaces (Pillow; no downloads).

Each image is drawn from a seed, so the same seed always gives the same picture and a
re-run of the seed finds the files already there.
"""

from __future__ import annotations

import io

import random

from PIL import Image, ImageDraw, ImageFilter

PHOTO_SIZE = (960, 640)
THUMB_SIZE = (400, 267)

WALLS = [(236, 232, 224), (214, 223, 230), (229, 220, 205), (200, 210, 200), (60, 64, 72),
         (245, 243, 238), (180, 190, 200), (222, 205, 190)]
FLOORS = [(150, 110, 80), (120, 90, 70), (170, 160, 150), (90, 90, 95), (190, 170, 140)]
ACCENTS = [(0, 150, 136), (230, 120, 60), (70, 110, 200), (200, 60, 90), (240, 190, 50),
           (90, 160, 90)]


def _shade(color: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * k))) for c in color)  # type: ignore[return-value]


def draw_interior(seed: int, kind: str = "open_space") -> Image.Image:
    """A simple one-point-perspective office interior."""
    rnd = random.Random(seed)
    w, h = PHOTO_SIZE
    wall, floor, accent = rnd.choice(WALLS), rnd.choice(FLOORS), rnd.choice(ACCENTS)
    img = Image.new("RGB", (w, h), wall)
    d = ImageDraw.Draw(img)
    # Back wall rectangle and vanishing geometry.
    bx0, by0 = int(w * rnd.uniform(0.25, 0.33)), int(h * rnd.uniform(0.2, 0.28))
    bx1, by1 = w - bx0 + rnd.randint(-40, 40), int(h * rnd.uniform(0.58, 0.64))
    d.polygon([(0, h), (w, h), (bx1, by1), (bx0, by1)], fill=floor)  # floor
    d.polygon([(0, 0), (w, 0), (bx1, by0), (bx0, by0)], fill=_shade(wall, 1.06))  # ceiling
    d.polygon([(0, 0), (bx0, by0), (bx0, by1), (0, h)], fill=_shade(wall, 0.9))  # left wall
    d.polygon([(w, 0), (bx1, by0), (bx1, by1), (w, h)], fill=_shade(wall, 0.82))  # right wall
    d.rectangle([bx0, by0, bx1, by1], fill=wall)
    # Floor boards.
    for i in range(1, 12):
        x = int(i * w / 12)
        d.line([(x, h), (bx0 + (bx1 - bx0) * i / 12, by1)], fill=_shade(floor, 0.85), width=2)
    # Windows on the back wall with daylight.
    n_win = rnd.randint(2, 4)
    span = (bx1 - bx0) / n_win
    sky = rnd.choice([(170, 205, 235), (200, 220, 240), (235, 200, 160)])
    for i in range(n_win):
        x0 = int(bx0 + span * i + span * 0.15)
        x1 = int(bx0 + span * (i + 1) - span * 0.15)
        d.rectangle([x0, by0 + 18, x1, by1 - 40], fill=sky, outline=(70, 70, 70), width=4)
        d.line([((x0 + x1) // 2, by0 + 18), ((x0 + x1) // 2, by1 - 40)], fill=(70, 70, 70), width=3)
    # Pendant lamps.
    for i in range(rnd.randint(2, 5)):
        x = int(w * (i + 1) / 6 + rnd.randint(-30, 30))
        y = int(by0 * rnd.uniform(0.6, 1.2))
        d.line([(x, 0), (x, y)], fill=(40, 40, 40), width=2)
        d.polygon([(x - 22, y + 20), (x + 22, y + 20), (x + 10, y), (x - 10, y)], fill=accent)
        d.ellipse([x - 8, y + 16, x + 8, y + 28], fill=(255, 240, 190))
    # Desks in rows with monitors and chairs.
    rows = rnd.randint(2, 3) if kind != "meeting_room" else 1
    for r in range(rows):
        t = (r + 1) / (rows + 1)
        y = int(by1 + (h - by1) * t)
        scale = 0.55 + 0.6 * t
        desk_w, desk_h = int(260 * scale), int(18 * scale)
        count = rnd.randint(2, 3)
        for c in range(count):
            cx = int(w * (c + 1) / (count + 1)) + rnd.randint(-20, 20)
            top = (cx - desk_w // 2, y - desk_h, cx + desk_w // 2, y)
            d.rectangle(top, fill=(235, 235, 230), outline=(120, 120, 120))
            leg = int(60 * scale)
            d.rectangle([top[0] + 8, y, top[0] + 14, y + leg], fill=(80, 80, 80))
            d.rectangle([top[2] - 14, y, top[2] - 8, y + leg], fill=(80, 80, 80))
            mw, mh = int(70 * scale), int(45 * scale)
            d.rectangle([cx - mw, y - desk_h - mh, cx - 8, y - desk_h - 6], fill=(30, 30, 35))
            d.rectangle([cx + 8, y - desk_h - mh, cx + mw, y - desk_h - 6], fill=(30, 30, 35))
            chair = _shade(accent, rnd.uniform(0.8, 1.1))
            d.rounded_rectangle(
                [cx - int(30 * scale), y + int(10 * scale), cx + int(30 * scale), y + int(70 * scale)],
                radius=int(10 * scale), fill=chair,
            )
    # Plants in the corners.
    for x in (int(w * 0.06), int(w * 0.94)):
        if rnd.random() < 0.7:
            d.rectangle([x - 22, h - 110, x + 22, h - 40], fill=(110, 80, 60))
            for _ in range(9):
                ox, oy = rnd.randint(-45, 45), rnd.randint(-90, -20)
                d.ellipse([x + ox - 24, h - 110 + oy - 24, x + ox + 24, h - 110 + oy + 24],
                          fill=(50 + rnd.randint(0, 40), 120 + rnd.randint(0, 50), 60))
    return img.filter(ImageFilter.SMOOTH)


def write_photo(storage, seed: int, key: str, thumb_key: str, kind: str = "open_space") -> None:
    """Store the full-size JPEG and its thumbnail through the app's storage (local or S3)."""
    img = draw_interior(seed, kind)
    full, small = io.BytesIO(), io.BytesIO()
    img.save(full, "JPEG", quality=82, optimize=True)
    thumb = img.copy()
    thumb.thumbnail(THUMB_SIZE)
    thumb.save(small, "JPEG", quality=80, optimize=True)
    storage.save(key, full.getvalue())
    storage.save(thumb_key, small.getvalue())
