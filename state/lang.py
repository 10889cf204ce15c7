"""The language of this tab, and the pages' texts in it (docs/i18n.md).

`LanguageState.lang` is the person's setting when signed in, else the `lang` cookie the
header's switcher sets, else the browser's Accept-Language (`state.auth.AuthState.load_user`
decides; `AuthState.switch_language` switches). The pages are compiled once, so a text in a
component is `t("Найти пространство")`: both languages are in the page and the tab shows the
one `lang` names, switching at once. Texts a handler makes (a refusal, a formatted price) are
worded on the server in the same language: `LanguageMiddleware` makes `lang` the current
language (coworking_app.i18n) of every event the tab sends."""

from __future__ import annotations

import reflex as rx
from reflex.middleware import Middleware

from coworking_app import i18n

YEAR = 365 * 24 * 3600


class LanguageState(rx.State):
    lang: str = i18n.DEFAULT
    # The switcher's choice, for visits without signing in (a year; readable by the page).
    chosen: str = rx.Cookie("", name="lang", max_age=YEAR, same_site="lax", path="/")

    def decide(self, setting: str | None, accept_language: str | None) -> str:
        """The tab's language (the rule: `i18n.choose`), made the current one."""
        self.lang = i18n.choose(setting, self.chosen, accept_language)
        return i18n.set_language(self.lang)


def t(text: str) -> rx.Var:
    """A page's text (Russian, marked for the catalogs) in the tab's language."""
    return _both(i18n.translations("en").gettext(text), text)


def tc(context: str, text: str) -> rx.Var:
    """`t` for a text that reads differently by where it stands ("Выйти": sign out, or leave
    a company): the catalogs hold it under `context` (msgctxt)."""
    return _both(i18n.translations("en").pgettext(context, text), text)


def _both(english: str, russian: str) -> rx.Var:
    """Both texts compiled into the page; the tab shows the one of its language."""
    return rx.cond(LanguageState.lang == "en", english, russian)


def html_lang_script(lang: str):
    """Screen readers and the browser's own translation offer read `<html lang>`."""
    value = "en" if lang == "en" else "ru"
    return rx.call_script(f"document.documentElement.lang = '{value}'")


class LanguageMiddleware(Middleware):
    """Every event a tab sends is handled in the tab's language."""

    async def preprocess(self, app, state, event):
        try:
            language = (await state.get_state(LanguageState)).lang
        except Exception:  # noqa: BLE001  (a state tree without it: Russian)
            language = i18n.DEFAULT
        i18n.set_language(language)
        return None


def given(text: str | rx.Var | None) -> bool:
    """Whether a page helper got a text to show (a `t(...)` is always one: it is a Var)."""
    return isinstance(text, rx.Var) or bool(text)
