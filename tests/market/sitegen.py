"""A generated jsonld fixture site of any size, for the speed check of issue 19 ("a crawl of a
500-page fixture site finishes and is ingested within 60 s"):

    python -m tests.market.sitegen OUT_DIR [--pages 500] [--per-page 20]

writes exactly `pages` HTML pages: index pages (index.html, list-2.html, ... chained by
rel=next) each linking `per_page` detail pages, every detail page one LocalBusiness with an
identifier, an address, coordinates and two prices (hour, month), plus a robots.txt. Serve it
with tests.market.servers.SiteServer and crawl http://127.0.0.1:PORT/index.html.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GeneratedSite:
    root: Path
    index_pages: int
    detail_pages: int

    @property
    def pages(self) -> int:
        return self.index_pages + self.detail_pages


def _index_name(number: int) -> str:
    return "index.html" if number == 1 else f"list-{number}.html"


def generate_site(root: Path, *, pages: int = 500, per_page: int = 20) -> GeneratedSite:
    root = Path(root)
    (root / "spaces").mkdir(parents=True, exist_ok=True)
    index_pages = math.ceil(pages / (per_page + 1))
    details = pages - index_pages
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    for number in range(1, index_pages + 1):
        first = (number - 1) * per_page + 1
        links = "\n".join(f'    <li><a href="/spaces/s{n}.html">Коворкинг № {n}</a></li>'
                          for n in range(first, min(first + per_page, details + 1)))
        nxt = f'<a rel="next" href="/{_index_name(number + 1)}">Дальше</a>' if number < index_pages else ""
        (root / _index_name(number)).write_text(
            f'<!doctype html>\n<html lang="ru"><head><meta charset="utf-8"><title>Каталог, страница {number}</title>'
            f'</head>\n<body>\n  <ul>\n{links}\n  </ul>\n  {nxt}\n</body></html>\n', encoding="utf-8")
    for n in range(1, details + 1):
        data = {
            "@context": "https://schema.org", "@type": "LocalBusiness", "identifier": f"s{n}",
            "name": f"Коворкинг № {n}",
            "address": {"@type": "PostalAddress", "addressLocality": "Москва", "streetAddress": f"ул. Тестовая, {n}"},
            "geo": {"@type": "GeoCoordinates", "latitude": round(55.70 + n * 0.0003, 6),
                    "longitude": round(37.55 + n * 0.0002, 6)},
            "offers": {"@type": "Offer", "priceCurrency": "RUB", "priceSpecification": [
                {"@type": "UnitPriceSpecification", "price": 300 + n % 400, "unitCode": "HUR"},
                {"@type": "UnitPriceSpecification", "price": 9000 + 10 * n, "unitCode": "MON"}]},
        }
        (root / "spaces" / f"s{n}.html").write_text(
            f'<!doctype html>\n<html lang="ru"><head><meta charset="utf-8"><title>Коворкинг № {n}</title>\n'
            f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script></head>\n'
            f'<body><h1>Коворкинг № {n}</h1><a href="/index.html">Каталог</a></body></html>\n', encoding="utf-8")
    return GeneratedSite(root, index_pages, details)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--per-page", type=int, default=20)
    args = parser.parse_args()
    site = generate_site(args.out, pages=args.pages, per_page=args.per_page)
    print(f"{site.pages} pages ({site.index_pages} index, {site.detail_pages} listings) in {site.root}")


if __name__ == "__main__":
    main()
