"""From a fetched page to the contract's items: schema.org JSON-LD (microdata and RDFa as the
fallback) and a CSS source's selectors. Pure functions over parsel selectors (no Scrapy
engine, no network), so they run on a string of HTML in a test.

What is extracted is raw: prices go out as `{"text": ...}` or `{"amount", "currency",
"unit_code"}` and the API reads them (services/market/normalize.py). The only changes made
to text are the ones every field of the API requires: runs of ASCII white space (line breaks,
tabs) become one space, control characters go, and over-long values are cut (LIMITS).
Non-breaking and thin spaces are kept as they are: the normaliser reads them.

Structured data (`extract_structured`):
- every `<script type="application/ld+json">` block, `@graph` and lists included; `{"@id"}`
  references are resolved within the page. A block that is not JSON is a page error.
- listings are nodes of LISTING_TYPES, found anywhere except inside another listing, an
  ItemList (its entries' URLs are returned as links to follow instead: they are summaries)
  or the site's own publisher/author/provider; a node another listing refers to (a Place's
  `containedInPlace`) is not a listing of its own.
- prices: `offers`/`makesOffer` (Offer, AggregateOffer), their `priceSpecification`
  (UnitPriceSpecification, CompoundPriceSpecification's components) with `unitCode` (else
  `unitText`, `referenceQuantity`, `eligibleQuantity`); a price that is not a plain number goes
  out as text; `priceRange` as text only when nothing else states a price.
- the external id: `identifier` (text or PropertyValue), `sku`, `productID`, `@id`, the
  listing's own same-site `url`, else the page's canonical URL (`#2`, `#3` for further
  listings of one page without any of these).
- microdata (`itemscope`/`itemprop`) and RDFa (`typeof`/`property`) become the same nodes,
  read only when the page's JSON-LD has no listing.

CSS (`extract_css`): each field's selector in Scrapy's syntax. With `::text` or `::attr(x)`
it returns what Scrapy returns (one value per text node or attribute); a selector without a
pseudo-element takes each matched element's whole text (`.cost` reads "от 500 ₽/час" out of
`<div class="cost">от <b>500</b> ₽/час</div>`, where `.cost::text` would lose the 500). Every
value of `price` is one price text; the other fields join their values with a space; the
external id and the coordinates take the first.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector

# Longest value sent per field (the API refuses over-long text; these stay well inside).
LIMITS = {"external_id": 200, "url": 2000, "name": 300, "address": 500, "terms": 2000,
          "min_duration": 200, "price_text": 300, "amenity": 100}
MAX_PRICES = 20
MAX_AMENITIES = 50
MAX_LINKS = 500  # links a page's markup may name (ItemList entries)

LISTING_TYPES = frozenset({
    "LocalBusiness", "CoworkingSpace", "Place", "Product", "Service", "Accommodation", "Room",
    "MeetingRoom", "LodgingBusiness", "Hotel", "ProfessionalService", "RealEstateListing",
    "OfficeSpace",
})
LIST_TYPES = frozenset({"ItemList", "OfferCatalog"})
SKIPPED_TYPES = frozenset({"BreadcrumbList", "WebSite", "SearchAction"})
# Properties naming someone else than the listing (the site's own business in every page's
# header), never searched for listings.
SKIPPED_KEYS = frozenset({
    "publisher", "author", "creator", "provider", "brand", "manufacturer", "seller",
    "breadcrumb", "isPartOf", "potentialAction", "sourceOrganization", "copyrightHolder",
    "parentOrganization", "subOrganization", "logo", "image",
})

NO_PRICE = "На странице нет цены"
NO_NAME = "На странице нет названия объекта"

_RUNS = re.compile(r"[ \t\r\n\f\v]+")
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_PSEUDO = re.compile(r"::(?:text|attr\([^)]*\))\s*$")


@dataclass(frozen=True)
class PageError:
    """A reason (Russian) for the run's error list; `key` names what it is about when the same
    problem may show on many pages (one listing without a price in every page's sidebar), so
    the crawl reports it once."""

    reason: str
    key: tuple[Any, ...] | None = None


@dataclass
class PageResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[PageError] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # absolute URLs the markup names (ItemList)


# --- text ------------------------------------------------------------------------------------


def clean_text(value: Any, limit: int) -> str | None:
    """One line of text as the API takes it, or None when nothing is left."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = _BAD.sub("", _RUNS.sub(" ", value)).strip()
    return text[:limit].rstrip() or None


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _http_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).hostname)


def site_key(url: str) -> tuple[str, int | None]:
    """Host without a leading "www." and the explicit port: http and https of one host are
    one site, another port is another."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host, (None if port == default else port)


def same_site(url: str, other: str) -> bool:
    return site_key(url) == site_key(other)


def without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def canonical_url(sel: Selector, page_url: str) -> str:
    """The page's `<link rel="canonical">` when it is on the same site, else the page's URL."""
    for href in sel.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]"
                          "/@href").getall():
        url = without_fragment(urljoin(page_url, href.strip()))
        if _http_url(url) and same_site(url, page_url):
            return url
    return without_fragment(page_url)


def make_item(*, external_id: Any, url: str, name: Any, prices: list[dict[str, Any]],
              address: Any = None, lat: float | None = None, lon: float | None = None,
              terms: Any = None, min_duration: Any = None, amenities: Iterable[Any] = ()) -> dict[str, Any]:
    """A listing in the contract's shape (every key present, null when unknown)."""
    names = []
    for amenity in amenities:
        text = clean_text(amenity, LIMITS["amenity"])
        if text and text not in names:
            names.append(text)
    return {
        "external_id": clean_text(external_id, LIMITS["external_id"]),
        "url": url[:LIMITS["url"]],
        "name": clean_text(name, LIMITS["name"]),
        "address": clean_text(address, LIMITS["address"]),
        "lat": lat, "lon": lon,
        "prices": prices[:MAX_PRICES],
        "terms": clean_text(terms, LIMITS["terms"]),
        "min_duration": clean_text(min_duration, LIMITS["min_duration"]),
        "amenities": names[:MAX_AMENITIES],
    }


def coordinate(value: Any, bound: float) -> float | None:
    value = _first(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


# --- JSON-LD ---------------------------------------------------------------------------------


def _strip_wrappers(text: str) -> str:
    text = text.strip()
    for prefix in ("<!--", "//<![CDATA[", "<![CDATA["):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    for suffix in ("-->", "//]]>", "]]>", ";"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
    return text


def jsonld_documents(sel: Selector) -> tuple[list[Any], list[PageError]]:
    """The parsed JSON-LD blocks of a page and an error per block that is not JSON."""
    documents, errors = [], []
    scripts = sel.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]")
    for script in scripts:
        text = _strip_wrappers(script.xpath("string(.)").get() or "")
        if not text:
            continue
        try:
            documents.append(json.loads(text, strict=False))
        except json.JSONDecodeError as exc:
            errors.append(PageError(f"Некорректная разметка JSON-LD (строка {exc.lineno}, позиция {exc.colno})"))
        except (ValueError, RecursionError):
            errors.append(PageError("Некорректная разметка JSON-LD"))
    return documents, errors


def types_of(node: dict[str, Any]) -> set[str]:
    """Schema.org type names of a node: "LocalBusiness" from "LocalBusiness",
    "https://schema.org/LocalBusiness" or "schema:LocalBusiness"."""
    return {re.split(r"[/#:]", value.strip())[-1] for value in _as_list(node.get("@type"))
            if isinstance(value, str) and value.strip()}


class _Graph:
    """The nodes of a page's documents with their `@id`s, to resolve `{"@id": ...}` references."""

    def __init__(self, documents: list[Any]):
        self.ids: dict[str, dict[str, Any]] = {}
        self.top: list[dict[str, Any]] = []
        for document in documents:
            self.top += self._top_nodes(document)
        seen: set[int] = set()
        for node in self.top:
            self._index(node, seen, 0)

    def _top_nodes(self, document: Any) -> list[dict[str, Any]]:
        if isinstance(document, list):
            return [node for item in document for node in self._top_nodes(item)]
        if isinstance(document, dict):
            if "@graph" in document:
                return self._top_nodes(document["@graph"])
            return [document]
        return []

    def _index(self, value: Any, seen: set[int], depth: int) -> None:
        if depth > 30:
            return
        if isinstance(value, list):
            for item in value:
                self._index(item, seen, depth + 1)
        elif isinstance(value, dict) and id(value) not in seen:
            seen.add(id(value))
            node_id = value.get("@id")
            if isinstance(node_id, str) and set(value) - {"@id", "@context"}:
                self.ids.setdefault(node_id, value)
            for item in value.values():
                self._index(item, seen, depth + 1)

    def deref(self, value: Any) -> Any:
        if isinstance(value, dict) and not set(value) - {"@id", "@context"}:
            return self.ids.get(value.get("@id"), value) if isinstance(value.get("@id"), str) else value
        return value

    def get(self, node: Any, key: str) -> list[Any]:
        """A property's values, references resolved."""
        if not isinstance(node, dict):
            return []
        return [self.deref(value) for value in _as_list(node.get(key))]

    def one(self, node: Any, key: str) -> Any:
        values = self.get(node, key)
        return values[0] if values else None


def _find(graph: _Graph, value: Any, listings: list[dict[str, Any]], links: list[str],
          seen: set[int], depth: int = 0) -> None:
    value = graph.deref(value)
    if depth > 30:
        return
    if isinstance(value, list):
        for item in value:
            _find(graph, item, listings, links, seen, depth + 1)
        return
    if not isinstance(value, dict) or id(value) in seen:
        return
    seen.add(id(value))
    types = types_of(value)
    if types & SKIPPED_TYPES:
        return
    if types & LIST_TYPES:
        for element in graph.get(value, "itemListElement"):
            target = graph.one(element, "item") if isinstance(element, dict) else element
            url = target if isinstance(target, str) else (
                graph.one(target, "url") or (graph.one(element, "url") if isinstance(element, dict) else None))
            if isinstance(url, str) and len(links) < MAX_LINKS:
                links.append(url)
        return
    if types & LISTING_TYPES:
        listings.append(value)
        return
    for key, item in value.items():
        if not key.startswith("@") and key not in SKIPPED_KEYS:
            _find(graph, item, listings, links, seen, depth + 1)


# Properties by which a listing names the place it is in or the business behind it: a node
# named so (a room's building) is not a listing of its own.
CONTEXT_KEYS = frozenset({"containedInPlace", "location", "provider", "parentOrganization",
                          "branchOf", "seller", "availableAtOrFrom"})


def _references(value: Any, found: set[str], seen: set[int], depth: int = 0) -> None:
    """The `@id`s a listing names through CONTEXT_KEYS, at any depth (an offer's place too)."""
    if depth > 30:
        return
    if isinstance(value, list):
        for item in value:
            _references(item, found, seen, depth + 1)
    elif isinstance(value, dict) and id(value) not in seen:
        seen.add(id(value))
        for key, item in value.items():
            if key in CONTEXT_KEYS:
                found.update(ref["@id"] for ref in _as_list(item)
                             if isinstance(ref, dict) and isinstance(ref.get("@id"), str))
            if not key.startswith("@"):
                _references(item, found, seen, depth + 1)


def find_listings(documents: list[Any]) -> tuple[_Graph, list[dict[str, Any]], list[str]]:
    """The listing nodes of a page's documents and the URLs its item lists name."""
    graph = _Graph(documents)
    listings: list[dict[str, Any]] = []
    links: list[str] = []
    seen: set[int] = set()
    for node in graph.top:
        _find(graph, node, listings, links, seen)
    referenced: set[str] = set()
    for node in listings:
        _references(node, referenced, set())
    listings = [node for node in listings if node.get("@id") not in referenced]
    return graph, listings, links


def _text(graph: _Graph, node: Any, key: str, limit: int = 2000) -> str | None:
    for value in graph.get(node, key):
        if isinstance(value, dict):
            value = value.get("@value", value.get("name"))
        text = clean_text(value, limit)
        if text:
            return text
    return None


def _identifier(graph: _Graph, node: dict[str, Any]) -> str | None:
    for key in ("identifier", "sku", "productID"):
        for value in graph.get(node, key):
            if isinstance(value, dict):
                value = value.get("value", value.get("@value"))
            text = clean_text(_first(value), LIMITS["external_id"])
            if text:
                return text
    node_id = node.get("@id")
    if isinstance(node_id, str) and node_id.strip() and not node_id.startswith("_:"):
        return clean_text(node_id, LIMITS["external_id"])
    return None


def _places(graph: _Graph, node: dict[str, Any]) -> list[Any]:
    """The listing itself, then what it says it is at (a Service's provider, an Offer's place)."""
    return [node] + graph.get(node, "location") + graph.get(node, "containedInPlace") + graph.get(node, "provider")


def _address(graph: _Graph, node: dict[str, Any]) -> str | None:
    for holder in _places(graph, node):
        value = graph.one(holder, "address")
        if isinstance(value, str):
            return clean_text(value, LIMITS["address"])
        if isinstance(value, dict):
            locality = _text(graph, value, "addressLocality")
            street = _text(graph, value, "streetAddress")
            if locality and street and locality.lower() in street.lower():
                locality = None
            parts = [part for part in (locality, street) if part] or [
                part for part in (_text(graph, value, "addressRegion"), _text(graph, value, "name")) if part]
            if parts:
                return clean_text(", ".join(parts), LIMITS["address"])
    return None


def _geo(graph: _Graph, node: dict[str, Any]) -> tuple[float | None, float | None]:
    for place in _places(graph, node):
        for holder in [place] + graph.get(place, "geo"):
            if not isinstance(holder, dict):
                continue
            lat = coordinate(holder.get("latitude"), 90)
            lon = coordinate(holder.get("longitude"), 180)
            if lat is not None and lon is not None:
                return lat, lon
    return None, None


def _unit(graph: _Graph, holder: dict[str, Any]) -> str | None:
    for place in [holder] + graph.get(holder, "referenceQuantity") + graph.get(holder, "eligibleQuantity"):
        if isinstance(place, dict):
            unit = _text(graph, place, "unitCode", 50) or _text(graph, place, "unitText", 50)
            if unit:
                return unit
    return None


def _price(amount: Any, currency: str | None, unit: str | None) -> dict[str, Any] | None:
    amount = _first(amount)
    if isinstance(amount, dict):
        amount = amount.get("@value")
    if isinstance(amount, bool) or amount is None:
        return None
    if isinstance(amount, (int, float)):
        if not math.isfinite(amount):
            return None
        return {"amount": str(amount), "currency": currency, "unit_code": unit}
    text = clean_text(amount, LIMITS["price_text"])
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return {"amount": text, "currency": currency, "unit_code": unit}
    return {"text": text}  # "от 500 ₽/час" in Offer.price: the API reads the text


def _spec_prices(graph: _Graph, spec: Any, currency: str | None, depth: int) -> list[dict[str, Any]]:
    if not isinstance(spec, dict) or depth > 3:
        return []
    components = graph.get(spec, "priceComponent")
    currency = _text(graph, spec, "priceCurrency", 10) or currency
    if components:
        return [p for c in components for p in _spec_prices(graph, c, currency, depth + 1)]
    amount = spec.get("price") if spec.get("price") is not None else spec.get("minPrice")
    price = _price(amount, currency, _unit(graph, spec))
    return [price] if price else []


def _offer_prices(graph: _Graph, offer: Any, currency: str | None, depth: int = 0) -> list[dict[str, Any]]:
    if depth > 3:
        return []
    if isinstance(offer, str):
        text = clean_text(offer, LIMITS["price_text"])
        return [{"text": text}] if text else []
    if not isinstance(offer, dict):
        return []
    currency = _text(graph, offer, "priceCurrency", 10) or currency
    prices: list[dict[str, Any]] = []
    for inner in graph.get(offer, "offers"):  # AggregateOffer
        prices += _offer_prices(graph, inner, currency, depth + 1)
    for spec in graph.get(offer, "priceSpecification"):
        prices += _spec_prices(graph, spec, currency, 0)
    if not prices:
        amount = offer.get("price") if offer.get("price") is not None else offer.get("lowPrice")
        price = _price(amount, currency, _unit(graph, offer))
        if price:
            prices.append(price)
    return prices


def _prices(graph: _Graph, node: dict[str, Any]) -> list[dict[str, Any]]:
    prices: list[dict[str, Any]] = []
    for offer in graph.get(node, "offers") + graph.get(node, "makesOffer"):
        prices += _offer_prices(graph, offer, None)
    if not prices:
        text = _text(graph, node, "priceRange", LIMITS["price_text"])
        if text:
            prices.append({"text": text})
    unique: list[dict[str, Any]] = []
    for price in prices:
        if price not in unique:
            unique.append(price)
    return unique[:MAX_PRICES]


def _min_duration(graph: _Graph, node: dict[str, Any]) -> str | None:
    for offer in graph.get(node, "offers") + graph.get(node, "makesOffer") + [node]:
        for value in graph.get(offer, "eligibleDuration"):
            if isinstance(value, str):
                return clean_text(value, LIMITS["min_duration"])
            if isinstance(value, dict):
                text = _text(graph, value, "name") or _text(graph, value, "description")
                unit = _text(graph, value, "unitText", 50)
                if not text and unit:
                    low, exact = _first(value.get("minValue")), _first(value.get("value"))
                    if low is not None:
                        text = f"от {low} {unit}"
                    elif exact is not None:
                        text = f"{exact} {unit}"
                if text:
                    return clean_text(text, LIMITS["min_duration"])
    return None


def _terms(graph: _Graph, node: dict[str, Any]) -> str | None:
    for holder in [node] + graph.get(node, "offers"):
        for key in ("cancellationPolicy", "termsOfService"):
            text = _text(graph, holder, key, LIMITS["terms"])
            if text and not _http_url(text):
                return text
    return None


def _amenities(graph: _Graph, node: dict[str, Any]) -> list[str]:
    names = []
    for feature in graph.get(node, "amenityFeature"):
        if isinstance(feature, dict):
            value = _first(feature.get("value"))
            if value is False or (isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "нет")):
                continue
            feature = _text(graph, feature, "name", LIMITS["amenity"])
        if isinstance(feature, str) and feature.strip():
            names.append(feature)
    return names


def listing_from_node(graph: _Graph, node: dict[str, Any], *, page_url: str, canonical: str,
                      position: int) -> tuple[dict[str, Any] | None, PageError | None]:
    """A contract item from a listing node, or the reason it is not one."""
    name = _text(graph, node, "name", LIMITS["name"])
    address = _address(graph, node)
    if not name:
        return None, PageError(NO_NAME)
    prices = _prices(graph, node)
    if not prices:
        return None, PageError(NO_PRICE, ("no-price", name, address))
    own_url = _text(graph, node, "url", LIMITS["url"])
    own_url = without_fragment(urljoin(page_url, own_url)) if own_url else None
    url = own_url if own_url and _http_url(own_url) and same_site(own_url, page_url) else canonical
    external_id = _identifier(graph, node) or (url if url != canonical else None) or (
        canonical if position == 0 else f"{canonical}#{position + 1}")
    lat, lon = _geo(graph, node)
    return make_item(external_id=external_id, url=url, name=name, address=address, lat=lat, lon=lon,
                     prices=prices, terms=_terms(graph, node), min_duration=_min_duration(graph, node),
                     amenities=_amenities(graph, node)), None


# --- microdata and RDFa ------------------------------------------------------------------------

_URL_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
                   "embed": "src", "iframe": "src", "source": "src", "track": "src", "video": "src",
                   "object": "data", "data": "value", "meter": "value"}


def _element_value(element: Any, *, rdfa: bool) -> str:
    if element.get("content") is not None:
        return element.get("content")
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if rdfa:
        for attribute in ("href", "src", "resource"):
            if element.get(attribute) is not None:
                return element.get(attribute)
    elif tag in _URL_ATTRIBUTES:
        return element.get(_URL_ATTRIBUTES[tag]) or ""
    if tag == "time" and element.get("datetime"):
        return element.get("datetime")
    return element.text_content()


def _property_elements(scope: Any, prop: str, typ: str) -> list[Any]:
    """Descendants of `scope` holding `prop` whose nearest scope is `scope` (a nested scope's
    properties are its own), in document order."""
    found: list[Any] = []

    def walk(element: Any, depth: int) -> None:
        if depth > 60:
            return
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.get(prop) is not None:
                found.append(child)
            if child.get(typ) is not None:
                continue
            walk(child, depth + 1)

    walk(scope, 0)
    return found


def _scoped_node(element: Any, *, rdfa: bool, depth: int = 0) -> dict[str, Any]:
    prop, typ = ("property", "typeof") if rdfa else ("itemprop", "itemscope")
    types = (element.get("typeof") if rdfa else element.get("itemtype")) or ""
    node: dict[str, Any] = {"@type": types.split()}
    node_id = element.get("resource") if rdfa else element.get("itemid")
    if node_id:
        node["@id"] = node_id
    values: dict[str, list[Any]] = {}
    for child in _property_elements(element, prop, typ):
        if child.get(typ) is not None and depth < 10:
            value: Any = _scoped_node(child, rdfa=rdfa, depth=depth + 1)
        else:
            value = _element_value(child, rdfa=rdfa)
        for name in child.get(prop).split():
            values.setdefault(re.split(r"[/#:]", name)[-1], []).append(value)
    for name, items in values.items():
        node[name] = items[0] if len(items) == 1 else items
    return node


def microdata_documents(sel: Selector) -> list[dict[str, Any]]:
    """Top-level microdata items (itemscope without itemprop) as JSON-LD-like nodes."""
    return [_scoped_node(element, rdfa=False)
            for element in sel.root.xpath("//*[@itemscope and not(@itemprop)]")]


def rdfa_documents(sel: Selector) -> list[dict[str, Any]]:
    """Top-level RDFa nodes (typeof without property) as JSON-LD-like nodes."""
    return [_scoped_node(element, rdfa=True)
            for element in sel.root.xpath("//*[@typeof and not(@property)]")]


def extract_structured(sel: Selector, page_url: str) -> PageResult:
    """Listings of a page from its JSON-LD, else from its microdata and RDFa."""
    result = PageResult()
    documents, result.errors = jsonld_documents(sel)
    graph, listings, links = find_listings(documents)
    if not listings and sel.root is not None and hasattr(sel.root, "xpath"):
        fallback_graph, listings, more = find_listings(microdata_documents(sel) + rdfa_documents(sel))
        if listings:
            graph = fallback_graph
        links += more
    result.links = [without_fragment(urljoin(page_url, link.strip())) for link in links]
    canonical = canonical_url(sel, page_url)
    for position, node in enumerate(listings):
        item, error = listing_from_node(graph, node, page_url=page_url, canonical=canonical, position=position)
        if item:
            result.items.append(item)
        if error:
            result.errors.append(error)
    return result


# --- CSS selectors ---------------------------------------------------------------------------


def css_values(sel: Selector, query: str, *, default: str = "text") -> list[str]:
    """The non-empty values a selector finds: Scrapy's for `::text` / `::attr(x)`, else each
    element's whole text (or, with default="href", its href)."""
    if _PSEUDO.search(query):
        values = sel.css(query).getall()
    elif default == "href":
        values = [element.attrib.get("href", "") for element in sel.css(query)]
    else:
        values = [element.xpath("string(.)").get() or "" for element in sel.css(query)]
    return [text for text in (clean_text(value, 5000) for value in values) if text]


def check_selector(query: str) -> bool:
    """True when Scrapy can use the selector."""
    try:
        Selector(text="<html></html>").css(query)
    except Exception:  # cssselect's SelectorError, or ValueError from parsel: any refusal
        return False
    return True


def extract_css(sel: Selector, page_url: str, item_selectors: dict[str, str]) -> PageResult:
    """A detail page's listing from the source's `item` selectors."""
    result = PageResult()

    def values(key: str) -> list[str]:
        query = item_selectors.get(key)
        return css_values(sel, query) if isinstance(query, str) and query.strip() else []

    def joined(key: str) -> str | None:
        return " ".join(values(key)) or None

    name = joined("name")
    address = joined("address")
    if not name:
        result.errors.append(PageError(f"{NO_NAME}: селектор «name» ({item_selectors.get('name')}) ничего не нашёл"))
        return result
    prices = [{"text": text[:LIMITS["price_text"]]} for text in values("price")]
    if not prices:
        result.errors.append(PageError(f"{NO_PRICE}: селектор «price» ({item_selectors.get('price')}) ничего не нашёл",
                                       ("no-price", name, address)))
        return result
    canonical = canonical_url(sel, page_url)
    ids = values("external_id")
    lat = coordinate(values("lat")[:1], 90)
    lon = coordinate(values("lon")[:1], 180)
    if lat is None or lon is None:
        lat = lon = None
    result.items.append(make_item(
        external_id=ids[0] if ids else canonical, url=canonical, name=name, address=address,
        lat=lat, lon=lon, prices=prices, terms=joined("terms"), min_duration=joined("min_duration"),
        amenities=values("amenities")))
    return result
