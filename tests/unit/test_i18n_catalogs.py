"""The message catalogs (docs/i18n.md): every text people read is marked in the code, and
both catalogs hold every marked text, the English one with a translation that keeps the
placeholders. Russian is the source language: the ru catalog lists every id with the text
itself standing for the translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"tr": None, "N_": None, "t": None, "tc": ((1, "c"), 2), "plural": (2, 4), "plural_word": (2, 4)}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")
MARKERS = {"tr", "N_", "t", "tc", "plural", "plural_word"}
# Calls whose Cyrillic arguments are not text for people: log lines for operators.
NOT_TEXT_CALLS = {"debug", "info", "warning", "exception", "critical", "log"}
# Places holding Russian on purpose, not as text for people: parsing Russian listings and
# addresses, the Russian legal amount in words on invoices, letter tables, regexes.
NOT_TEXT_FILES = {"coworking_app/services/market/normalize.py", "coworking_app/services/finance/requisites.py"}


def _extracted() -> dict[tuple[str | None, str], tuple]:
    found = {}
    method_map = [("coworking_app/**.py", "python"), ("state/**.py", "python"), ("pages/**.py", "python"),
                  ("jobs/**.py", "python")]
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS):
        key = message[0] if isinstance(message, tuple) else message
        found[(context, key)] = message
    return found


def _catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m
                for m in read_po(handle, locale=language) if m.id}


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_marked_text_is_in_the_catalog(extracted, language):
    catalog = _catalog(language)
    missing = sorted(f"{ctx or ''}|{msg}" for ctx, msg in extracted if (ctx, msg) not in catalog)
    assert not missing, f"not in locales/{language} (run `make messages`):\n" + "\n".join(missing[:40])


def test_every_text_has_an_english_translation_keeping_its_placeholders(extracted):
    catalog = _catalog("en")
    problems = []
    for key, message in extracted.items():
        entry = catalog.get(key)
        if entry is None:
            continue
        ids = message if isinstance(message, tuple) else (message,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"untranslated: {key[1]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {key[1]!r} -> {text!r}")
            if CYRILLIC.search(text) and not CYRILLIC.search("".join(wanted)):
                problems.append(f"Russian left in the English: {key[1]!r} -> {text!r}")
    assert not problems, "\n".join(problems[:40])


def _unmarked(path: Path) -> list[str]:
    """Cyrillic string literals of a module that no marker wraps (docstrings and log lines aside)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            skip.add(id(node.body[0].value))
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in MARKERS or (name in NOT_TEXT_CALLS and "toast" not in ast.unparse(node.func)):
                skip.update(id(inner) for inner in ast.walk(node))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and CYRILLIC.search(node.value)]


ALLOWED = {  # module: why its remaining Cyrillic literals are not text for people
    "coworking_app/services/catalog/places.py": "ё read as е when names are compared (and in SQL)",
    "coworking_app/services/catalog/owner_spaces.py": "the transliteration table of add-on codes",
    "coworking_app/services/accounts/passwords.py": "letter classes of the password strength",
    "pages/components.py": "the date input's script holds both languages' month names",
    "coworking_app/observability.py": "the mark of a scrubbed header in error reports",
    "coworking_app/services/reviews/reviews.py": "the link and profanity patterns reviews are checked with",
    "coworking_app/i18n.py": "each language's name in itself (the switcher)",
    "coworking_app/settings.py": "defaults of the platform's legal details (configuration)",
}


@pytest.mark.parametrize("place", ["pages", "state", "coworking_app", "jobs"])
def test_no_text_for_people_is_left_out_of_the_catalogs(place):
    """A user-visible literal added to a page, a state or a service without t()/tr()/N_()
    fails here (Russian is the source language, so such a literal is Cyrillic)."""
    hits = []
    for path in sorted((ROOT / place).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel in NOT_TEXT_FILES or rel in ALLOWED or rel.startswith(("coworking_app/market/", "coworking_app/demo/")):
            continue
        hits += _unmarked(path)
    assert not hits, "texts outside the catalogs (wrap them in t()/tr()/N_()):\n" + "\n".join(hits)


_SENTENCE = re.compile(r"[A-Za-z]{2,}[ ,]+[a-z]{2,}")


def test_pages_hold_no_english_sentences_either():
    """An English text typed straight into a component (rx.text("Book now")) would show in
    both languages: page texts are Russian in t() and English in the catalog."""
    hits = []
    for path in sorted((ROOT / "pages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func).startswith("rx.")) \
                    or ast.unparse(node.func) == "rx.code":  # a command to type, as it is
                continue
            texts = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            texts += [k.value for k in node.keywords if k.arg in ("placeholder", "aria_label", "title")
                      and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
            hits += [f"{path.relative_to(ROOT)}:{a.lineno} {a.value!r}" for a in texts
                     if _SENTENCE.search(a.value) and not a.value.startswith(("http", "/", "#", "@"))
                     and not re.fullmatch(r"[a-z0-9 -]+", a.value)]  # CSS classes
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize(("setting", "chosen", "header", "language"), [
    ("en", "ru", "ru-RU", "en"),  # signed in: the person's setting wins
    (None, "en", "ru-RU,ru;q=0.9", "en"),  # the switch's cookie before the browser
    (None, "", "de-DE,en;q=0.7,ru;q=0.5", "en"),  # the browser's preference among ours
    (None, "xx", "fr-FR", "ru"),  # nothing usable: Russian
    (None, None, "en;q=0, ru;q=0.1", "ru"),  # q=0 means "not this one"
])
def test_which_language_a_page_speaks(setting, chosen, header, language):
    from coworking_app import i18n

    assert i18n.choose(setting, chosen, header) == language
