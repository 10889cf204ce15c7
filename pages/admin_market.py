"""/admin/market: competitors' market data for operators: crawl sources, their runs and the
listings they brought (state/admin_market.py)."""

from __future__ import annotations

import reflex as rx

from pages.admin import admin_nav, no_access
from pages.components import empty_state, pager
from pages.layout import map_frame, page_frame
from state.admin_market_keys import KeyRow, MarketKeysState
from state.admin_market import (
    ListingRow,
    MarketListingsState,
    MarketRunsState,
    MarketSourcesState,
    RunRow,
    SourceRow,
)
from state.lang import t

GRAY = rx.color("gray", 11)
# (form field, label, placeholder, hint) of a css source's selectors.
SELECTOR_FIELDS = [
    ("sel_link", t("Ссылки на объявления"), ".listing a::attr(href)", t("На странице списка: ссылки на карточки")),
    ("sel_next", t("Следующая страница"), "a.next::attr(href)", t("Необязательно: ссылка на следующую страницу списка")),
    ("sel_external_id", t("ID объявления"), ".object::attr(data-id)", t("Постоянный номер на сайте, не меняется")),
    ("sel_name", t("Название"), "h1.title::text", t("Название коворкинга")),
    ("sel_price", t("Цена"), ".cost::text", t("Текст цены, например «от 500 ₽/час»")),
    ("sel_address", t("Адрес"), ".addr::text", t("Необязательно: по нему найдём место на карте")),
    ("sel_lat", t("Широта"), "[data-lat]::attr(data-lat)", t("Необязательно: координаты точнее адреса")),
    ("sel_lon", t("Долгота"), "[data-lon]::attr(data-lon)", t("Необязательно, вместе с широтой")),
    ("sel_terms", t("Условия"), ".terms::text", t("Необязательно: отмена, минимальный срок")),
]
RUN_COLOURS = (("queued", "gray"), ("running", "blue"), ("finished", "green"), ("failed", "red"))


def _scroll(table: rx.Component) -> rx.Component:
    """A table that scrolls sideways inside its own box on a phone (the page does not)."""
    return rx.box(table, overflow_x="auto", width="100%")


def _table(headers: list[str], body: rx.Component, test_id: str, numeric: tuple[str, ...] = ()) -> rx.Component:
    return _scroll(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(
            h, white_space="nowrap", text_align="right" if str(h) in {str(n) for n in numeric} else "left") for h in headers])),
        rx.table.body(body), size="1", variant="surface", width="100%",
        custom_attrs={"data-testid": test_id}))


def _error(message) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red", size="1",
                                             width="100%", role="alert"))


def _run_badge(status, label) -> rx.Component:
    return rx.badge(rx.cond(status == "running", rx.spinner(size="1"), rx.fragment()), label,
                    color_scheme=rx.match(status, *RUN_COLOURS, "gray"), variant="soft", high_contrast=True,
                    custom_attrs={"data-testid": "run-status"})


# --- sources --------------------------------------------------------------------------------


def _source_row(row: SourceRow) -> rx.Component:
    s = MarketSourcesState
    busy = s.busy_id == row.id
    return rx.table.row(
        rx.table.cell(rx.vstack(
            rx.text(row.name, weight="bold", size="2"),
            rx.link(row.start_url, href=row.start_url, is_external=True, size="1", color_scheme="gray",
                    max_width=rx.breakpoints(initial="180px", md="280px"), overflow="hidden",
                    text_overflow="ellipsis", white_space="nowrap", display="block", title=row.start_url),
            spacing="0", min_width="150px")),
        rx.table.cell(row.kind, white_space="nowrap"),
        rx.table.cell(row.schedule, white_space="nowrap"),
        rx.table.cell(rx.badge(rx.cond(row.enabled, t("включён"), t("выключен")),
                               color_scheme=rx.cond(row.enabled, "green", "gray"), variant="soft", high_contrast=True)),
        rx.table.cell(rx.vstack(
            rx.cond(row.last_status == "", rx.text(row.last_label, size="1", color=GRAY),
                    _run_badge(row.last_status, row.last_label)),
            rx.cond(row.last_when != "", rx.text(row.last_when, size="1", color=GRAY)),
            spacing="1", white_space="nowrap")),
        rx.table.cell(rx.hstack(
            rx.button(rx.cond(busy, rx.spinner(size="1"), rx.icon("play", size=12)), t("Обойти сейчас"), size="1",
                      disabled=busy, on_click=s.crawl(row.id), custom_attrs={"data-testid": "source-crawl"}),
            rx.button(rx.icon("flask-conical", size=12), t("Проверить"), size="1", variant="soft",
                      on_click=s.open_test(row.id), custom_attrs={"data-testid": "source-test"}),
            rx.button(rx.icon("pencil", size=12), t("Изменить"), size="1", variant="soft", color_scheme="gray",
                      on_click=s.open_edit(row.id), custom_attrs={"data-testid": "source-edit"}),
            rx.button(rx.icon("trash-2", size=12), t("Удалить"), size="1", variant="soft", color_scheme="red",
                      disabled=busy, on_click=s.ask_delete(row.id), custom_attrs={"data-testid": "source-delete"}),
            spacing="2", justify="end")),
        custom_attrs={"data-testid": "source-row", "data-id": row.id},
    )


def _sources_tab() -> rx.Component:
    s = MarketSourcesState
    return rx.vstack(
        rx.flex(
            rx.text(t("Сайты конкурентов, которые обходит наш обходчик: по расписанию или по кнопке."), size="2",
                    color=GRAY),
            rx.spacer(),
            rx.button(rx.icon("plus", size=14), t("Добавить источник"), on_click=s.open_new,
                      custom_attrs={"data-testid": "source-new"}),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        _error(s.error),
        rx.cond(s.loading, rx.skeleton(height="160px", width="100%"),
                rx.cond(s.rows.length() > 0,
                        _table([t("Источник"), t("Способ"), t("Расписание"), t("Состояние"), t("Последний обход"), ""],
                               rx.foreach(s.rows, _source_row), "sources-table"),
                        empty_state("globe", t("Источников пока нет"),
                                    rx.text(t("Добавьте сайт конкурента: страницу со списком коворкингов и способ чтения — разметку schema.org (JSON-LD) или CSS-селекторы."), size="2",
                                            color=GRAY, text_align="center", max_width="480px")))),
        spacing="3", width="100%",
    )


def _input(name: str, label: str, placeholder: str = "", hint: str = "", **props) -> rx.Component:
    s = MarketSourcesState
    wrong = s.error_field == name
    return rx.vstack(
        rx.el.label(label, html_for=f"source-{name}", style={"font_size": "var(--font-size-2)",
                                                             "font_weight": "500"}),
        rx.input(value=s.form[name], on_change=lambda v: s.set_form(name, v), id=f"source-{name}",
                 placeholder=placeholder, size="2", width="100%", color_scheme=rx.cond(wrong, "red", "gray"),
                 custom_attrs={"data-testid": f"source-{name}", "aria-invalid": rx.cond(wrong, "true", "false"),
                               "aria-describedby": f"source-{name}-note"}, **props),
        rx.cond(wrong,
                rx.text(s.form_error, size="1", color=rx.color("red", 11), id=f"source-{name}-note", role="alert",
                        custom_attrs={"data-testid": "source-field-error", "data-field": name}),
                rx.cond(hint != "", rx.text(hint, size="1", color=GRAY, id=f"source-{name}-note"))),
        spacing="1", width="100%", min_width="0",
    )


def _kind_choice() -> rx.Component:
    s = MarketSourcesState
    return rx.vstack(
        rx.text(t("Как читать страницы"), size="2", weight="medium", id="source-kind-label"),
        rx.radio_group.root(
            rx.flex(
                *[rx.text(rx.flex(rx.radio_group.item(value=value), label, spacing="2", align="center"),
                          as_="label", size="2")
                  for value, label in (("jsonld", t("Разметка schema.org (JSON-LD)")), ("css", t("CSS-селекторы")))],
                spacing="4", wrap="wrap"),
            value=s.form["kind"], on_change=lambda v: s.set_form("kind", v),
            custom_attrs={"aria-labelledby": "source-kind-label", "data-testid": "source-kind"}),
        rx.cond(s.form["kind"] == "jsonld",
                rx.text(t("Обходчик пройдёт по ссылкам сайта и прочитает карточки с разметкой LocalBusiness, Place или Product с ценами Offer."), size="1", color=GRAY)),
        spacing="2", width="100%",
    )


def _selectors() -> rx.Component:
    s = MarketSourcesState
    return rx.vstack(
        rx.heading(t("Селекторы"), size="3"),
        rx.text(t("CSS в синтаксисе Scrapy: ::text берёт текст, ::attr(href) — атрибут. Ссылки и следующая страница ищутся на страницах списка, остальные поля — на странице объявления. Обязательны ссылки, ID, название и цена."), size="1", color=GRAY),
        rx.cond(s.error_field == "selectors",
                rx.callout(s.form_error, icon="triangle-alert", color_scheme="red", size="1", width="100%",
                           role="alert", custom_attrs={"data-testid": "source-field-error",
                                                       "data-field": "selectors"})),
        rx.grid(*[_input(name, label, placeholder, hint, font_family="var(--code-font-family)")
                  for name, label, placeholder, hint in SELECTOR_FIELDS],
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        spacing="2", width="100%", padding_top="8px", border_top=f"1px solid {rx.color('gray', 5)}",
        custom_attrs={"data-testid": "source-selectors"},
    )


def _source_form() -> rx.Component:
    s = MarketSourcesState
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(s.editing > 0, t("Источник: изменить"), t("Новый источник"))),
        rx.dialog.description(t("Сайт, где конкуренты публикуют цены. Обходчик соблюдает robots.txt и не торопит сайт."), size="2", color=GRAY),
        rx.vstack(
            _input("name", t("Название"), t("Коворкинги на example.ru")),
            _input("start_url", t("Начальная страница"), "https://example.ru/coworkings",
                   t("Полный адрес страницы со списком, с http:// или https://"), input_mode="url"),
            _kind_choice(),
            rx.flex(
                rx.vstack(
                    rx.el.label(t("Расписание"), html_for="source-schedule",
                                style={"font_size": "var(--font-size-2)", "font_weight": "500"}),
                    rx.select.root(
                        rx.select.trigger(id="source-schedule", aria_label=t("Расписание"),
                                          custom_attrs={"data-testid": "source-schedule"}),
                        rx.select.content(rx.select.item(t("Нет, только вручную"), value="none"),
                                          rx.select.item(t("Ежедневно"), value="daily"),
                                          rx.select.item(t("Еженедельно"), value="weekly")),
                        value=s.form["schedule"], on_change=lambda v: s.set_form("schedule", v)),
                    spacing="1"),
                rx.text(rx.flex(rx.switch(checked=s.enabled, on_change=s.set_enabled,
                                          custom_attrs={"data-testid": "source-enabled"}),
                                t("Включён: обходить по расписанию"), spacing="2", align="center"),
                        as_="label", size="2"),
                spacing="4", align="end", wrap="wrap", width="100%",
            ),
            rx.cond(s.form["kind"] == "css", _selectors()),
            rx.cond((s.form_error != "") & (s.error_field == ""),
                    rx.callout(s.form_error, icon="triangle-alert", color_scheme="red", size="1", width="100%",
                               role="alert", custom_attrs={"data-testid": "source-form-error"})),
            rx.flex(
                rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.close_form),
                rx.button(rx.cond(s.saving, rx.spinner(size="2"), rx.fragment()), t("Сохранить"), disabled=s.saving,
                          on_click=s.save, custom_attrs={"data-testid": "source-save"}),
                spacing="3", justify="end", width="100%",
            ),
            spacing="4", width="100%", margin_top="12px",
        ),
        max_width="680px", custom_attrs={"data-testid": "source-form"},
    ), open=s.form_open, on_open_change=lambda _open: s.close_form())


def _test_field(field) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(field[0], min_width="130px"),
        rx.data_list.value(rx.text(field[1], size="2", word_break="break-word",
                                   color=rx.cond(field[2] == "1", rx.color("gray", 10), rx.color("gray", 12)),
                                   font_style=rx.cond(field[2] == "1", "italic", "normal"))),
    )


def _test_item(item) -> rx.Component:
    return rx.card(rx.data_list.root(rx.foreach(item, _test_field), size="1",
                                     orientation=rx.breakpoints(initial="vertical", sm="horizontal")),
                   width="100%", custom_attrs={"data-testid": "test-item"})


def _test_dialog() -> rx.Component:
    s = MarketSourcesState
    wrong = s.test_error != ""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(t("Проверка: "), s.test_name),
        rx.dialog.description(t("Обходчик откроет одну страницу с сохранёнными настройками источника и покажет, что нашёл. Ничего не сохраняется."), size="2", color=GRAY),
        rx.vstack(
            rx.el.label(t("Адрес страницы"), html_for="test-url",
                        style={"font_size": "var(--font-size-2)", "font_weight": "500"}),
            rx.flex(
                rx.input(value=s.test_url, on_change=s.set_test_url, id="test-url", input_mode="url",
                         placeholder="https://example.ru/coworkings/1", size="2", flex="1", min_width="200px",
                         color_scheme=rx.cond(wrong, "red", "gray"),
                         custom_attrs={"data-testid": "test-url", "aria-invalid": rx.cond(wrong, "true", "false"),
                                       "aria-describedby": "test-url-error"}),
                rx.button(rx.cond(s.testing, rx.spinner(size="2"), rx.icon("flask-conical", size=14)),
                          t("Проверить"), disabled=s.testing, on_click=s.run_test,
                          custom_attrs={"data-testid": "test-run"}),
                spacing="2", wrap="wrap", width="100%",
            ),
            rx.cond(wrong, rx.callout(s.test_error, icon="triangle-alert", color_scheme="red", size="1",
                                      width="100%", role="alert", id="test-url-error",
                                      custom_attrs={"data-testid": "test-error"})),
            rx.cond(s.testing, rx.text(t("Открываем страницу… это может занять до полуминуты."), size="2",
                                       color=GRAY)),
            rx.cond(s.tested & ~wrong,
                    rx.cond(s.test_items.length() > 0,
                            rx.vstack(rx.text(t("Найдено объявлений: "), s.test_items.length(), size="2",
                                              weight="medium"),
                                      rx.foreach(s.test_items, _test_item), spacing="2", width="100%"),
                            rx.callout(t("На странице не нашлось ни одного объявления: проверьте адрес и селекторы."),
                                       icon="info", size="1", width="100%",
                                       custom_attrs={"data-testid": "test-empty"}))),
            rx.flex(rx.button(t("Закрыть"), variant="soft", color_scheme="gray", on_click=s.close_test),
                    justify="end", width="100%"),
            spacing="3", width="100%", margin_top="12px",
        ),
        max_width="720px", custom_attrs={"data-testid": "test-dialog"},
    ), open=s.test_id > 0, on_open_change=lambda _open: s.close_test())


def _delete_dialog() -> rx.Component:
    s = MarketSourcesState
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(t("Удалить источник «"), s.deleting_name, t("»?")),
        rx.alert_dialog.description(t("Вместе с ним удалятся все его запуски и собранные объявления; владельцы перестанут видеть эти цены в «Рынке рядом»."), size="2"),
        rx.flex(
            rx.alert_dialog.cancel(rx.button(t("Не удалять"), variant="soft", color_scheme="gray",
                                             on_click=s.cancel_delete)),
            rx.alert_dialog.action(rx.button(t("Удалить"), color_scheme="red", on_click=s.delete,
                                             custom_attrs={"data-testid": "source-delete-confirm"})),
            spacing="3", justify="end", margin_top="16px", wrap="wrap",
        ),
    ), open=s.deleting > 0)


# --- runs -----------------------------------------------------------------------------------


def _number(value) -> rx.Component:
    return rx.table.cell(value, text_align="right")


def _run_row(row: RunRow) -> rx.Component:
    r = MarketRunsState
    return rx.table.row(
        rx.table.cell(row.id),
        rx.table.cell(rx.text(row.source, weight="medium"), min_width="140px"),
        rx.table.cell(rx.vstack(_run_badge(row.status, row.status_label),
                                rx.text(row.trigger, size="1", color=GRAY), spacing="1")),
        _number(row.pages), _number(row.found), _number(row.stored),
        rx.table.cell(rx.cond(
            row.errors > 0,
            rx.button(row.errors, rx.icon(rx.cond(r.chosen == row.id, "chevron-up", "chevron-down"), size=12),
                      size="1", variant=rx.cond(r.chosen == row.id, "solid", "soft"), color_scheme="red",
                      on_click=r.choose(row.id), aria_label=t("Показать ошибки запуска № ") + row.id.to_string(),
                      custom_attrs={"data-testid": "run-errors"}),
            rx.text("0", color=GRAY)), text_align="right"),
        rx.table.cell(rx.cond(row.started == "—",
                              rx.vstack(rx.text(row.created), rx.text(t("поставлен в очередь"), size="1", color=GRAY),
                                        spacing="0"),
                              rx.text(row.started)), white_space="nowrap"),
        rx.table.cell(rx.vstack(rx.text(row.finished), rx.cond(row.duration != "", rx.text(
            row.duration, size="1", color=GRAY)), spacing="0"), white_space="nowrap"),
        rx.table.cell(rx.text(row.reason, size="1", color=rx.color("red", 11)), min_width="160px",
                      max_width="320px"),
        custom_attrs={"data-testid": "run-row", "data-id": row.id, "data-status": row.status},
    )


def _run_errors() -> rx.Component:
    r = MarketRunsState
    return rx.cond(r.chosen > 0, rx.card(rx.vstack(
        rx.heading(r.chosen_title, size="3"),
        _table([t("Страница"), t("Что не так")], rx.foreach(r.chosen_errors, lambda e: rx.table.row(
            rx.table.cell(rx.link(e[0], href=e[0], is_external=True, size="1", word_break="break-all"),
                          min_width="200px", max_width="420px"),
            rx.table.cell(e[1], min_width="200px"),
            custom_attrs={"data-testid": "run-error"})), "run-errors-table"),
        rx.cond(r.chosen_more > 0, rx.text(t("И ещё "), r.chosen_more, t(" — в списке хранятся первые 200."), size="1",
                                           color=GRAY)),
        spacing="2", width="100%"), width="100%", custom_attrs={"data-testid": "run-errors-card"}))


def _runs_tab() -> rx.Component:
    r = MarketRunsState
    return rx.vstack(
        rx.flex(
            rx.text(t("Последние обходы. Время московское."), size="2", color=GRAY),
            rx.cond(r.active, rx.badge(rx.spinner(size="1"), t("обновляется сам, пока обход в очереди или идёт"),
                                       variant="soft", color_scheme="blue", high_contrast=True,
                                       custom_attrs={"data-testid": "runs-live"})),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), t("Обновить"), variant="soft", size="2", on_click=r.refresh),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        _error(r.error),
        rx.cond(r.loading, rx.skeleton(height="160px", width="100%"),
                rx.cond(r.rows.length() > 0,
                        _table(["№", t("Источник"), t("Статус"), t("Страниц"), t("Найдено"), t("Сохранено"), t("Ошибок"), t("Начат"),
                                t("Завершён"), t("Причина сбоя")], rx.foreach(r.rows, _run_row), "runs-table",
                               numeric=(t("Страниц"), t("Найдено"), t("Сохранено"), t("Ошибок"))),
                        empty_state("activity", t("Обходов ещё не было"),
                                    rx.text(t("Нажмите «Обойти сейчас» у источника на вкладке «Источники»."), size="2",
                                            color=GRAY, text_align="center")))),
        _run_errors(),
        spacing="3", width="100%",
    )


# --- listings -------------------------------------------------------------------------------


def _listing_row(row: ListingRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row.name, href=row.url, is_external=True, weight="medium", size="2"),
                      min_width="180px", max_width="300px"),
        rx.table.cell(row.source, white_space="nowrap"),
        rx.table.cell(row.price, white_space="nowrap", font_weight="bold"),
        rx.table.cell(row.address, min_width="180px", max_width="280px"),
        rx.table.cell(row.district, white_space="nowrap"),
        rx.table.cell(row.cancellation, white_space="nowrap"),
        rx.table.cell(row.seen, white_space="nowrap"),
        custom_attrs={"data-testid": "listing-row", "data-id": row.id},
    )


def _choice(label: str, value, choices, on_change, test_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=label, aria_label=label, custom_attrs={"data-testid": test_id}),
        rx.select.content(rx.select.item(label, value="all"),
                          rx.foreach(choices, lambda c: rx.select.item(c[1], value=c[0]))),
        value=rx.cond(value == "", "all", value), on_change=on_change, size="2",
    )


def _listings_tab() -> rx.Component:
    ls = MarketListingsState
    filtered = (ls.source != "") | (ls.city != "")
    return rx.vstack(
        rx.flex(
            _choice(t("Все источники"), ls.source, ls.source_choices, ls.set_source, "listings-source"),
            _choice(t("Все города"), ls.city, ls.city_choices, ls.set_city, "listings-city"),
            rx.spacer(),
            rx.button(rx.cond(ls.exporting, rx.spinner(size="1"), rx.icon("file-spreadsheet", size=14)), "Excel",
                      variant="soft", size="2", disabled=ls.exporting | (ls.total == 0), on_click=ls.export,
                      custom_attrs={"data-testid": "listings-export"}),
            spacing="2", align="center", wrap="wrap", width="100%",
        ),
        _error(ls.error),
        rx.cond(ls.loading, rx.skeleton(height="240px", width="100%"), rx.cond(
            ls.total > 0,
            rx.vstack(
                _table([t("Название"), t("Источник"), t("Цена от"), t("Адрес"), t("Район"), t("Отмена"), t("Виден")],
                       rx.foreach(ls.rows, _listing_row), "listings-table"),
                rx.flex(rx.text(t("Найдено: "), ls.total, size="2", color=GRAY,
                                custom_attrs={"data-testid": "listings-total"}),
                        rx.spacer(), pager(ls.page, ls.pages, ls.go_page),
                        spacing="3", align="center", wrap="wrap", width="100%"),
                rx.card(rx.vstack(
                    rx.heading(t("На карте"), size="3"),
                    rx.cond(ls.map_url != "",
                            rx.vstack(map_frame(ls.map_url, rx.breakpoints(initial="320px", md="440px"),
                                                "listings-map"),
                                      rx.text(ls.map_note, size="1", color=GRAY), spacing="2", width="100%"),
                            rx.text(t("У этих объявлений нет координат: на сайтах не было ни точки, ни адреса, который мы узнали."), size="2", color=GRAY)),
                    spacing="2", width="100%"), width="100%", custom_attrs={"data-testid": "listings-map-card"}),
                spacing="3", width="100%",
            ),
            empty_state("store", t("Объявлений нет"),
                        rx.text(rx.cond(filtered, t("Под эти фильтры ничего не подходит: измените их."),
                                        t("Они появятся после первого обхода источника.")),
                                size="2", color=GRAY, text_align="center")),
        )),
        spacing="3", width="100%",
    )


# --- the page -------------------------------------------------------------------------------


# --- service keys ----------------------------------------------------------------------------


def _key_row(row: KeyRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.name, weight="medium")),
        rx.table.cell(rx.code(row.prefix, variant="ghost")),
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(row.used, white_space="nowrap"),
        rx.table.cell(rx.cond(
            row.revoked, rx.badge(t("отозван"), color_scheme="gray", variant="soft", high_contrast=True),
            rx.button(t("Отозвать"), size="1", variant="soft", color_scheme="red",
                      on_click=MarketKeysState.revoke(row.id),
                      aria_label=t("Отозвать ключ ") + row.name, custom_attrs={"data-testid": "key-revoke"}))),
        custom_attrs={"data-testid": "key-row"},
    )


def _keys_tab() -> rx.Component:
    s = MarketKeysState
    return rx.vstack(
        rx.text(t("Ключ нужен обходчику, запущенному на другой машине: с ним он отправляет найденные объявления в наш API (POST /api/v1/market/listings/batch, заголовок Authorization: Bearer …). Обходы, запущенные отсюда, получают свой ключ сами."), size="2", color=GRAY),
        rx.flex(
            rx.input(value=s.name, on_change=s.set_name, placeholder=t("Название, например «Обходчик на сервере Б»"),
                     max_length=100, aria_label=t("Название ключа"), width="100%",
                     custom_attrs={"data-testid": "key-name"}),
            rx.button(rx.icon("key-round", size=16), t("Создать ключ"), on_click=s.create,
                      custom_attrs={"data-testid": "key-create"}),
            spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
        ),
        _error(s.error),
        rx.cond(s.new_key != "", rx.callout(
            rx.vstack(
                rx.text(t("Ключ «"), s.new_key_name, t("» создан. Скопируйте его сейчас: больше он показан не будет."),
                        size="2"),
                rx.code(s.new_key, size="2", word_break="break-all", custom_attrs={"data-testid": "key-value"}),
                spacing="2"),
            icon="key-round", color_scheme="green", width="100%")),
        rx.cond(s.rows.length() > 0,
                _table([t("Название"), t("Начало ключа"), t("Создан"), t("Последний раз"), ""],
                       rx.foreach(s.rows, _key_row), "key-table"),
                rx.text(t("Ключей пока нет."), size="2", color=GRAY)),
        spacing="3", width="100%",
    )


def market_admin_page() -> rx.Component:
    allowed = MarketSourcesState.allowed & MarketRunsState.allowed & MarketListingsState.allowed
    return page_frame(rx.vstack(
        admin_nav("/admin/market"),
        rx.hstack(rx.heading(t("Рынок"), size="6"),
                  rx.text(t("цены конкурентов: источники, обходы, объявления, ключи"), size="2", color=GRAY),
                  align="baseline", spacing="3", wrap="wrap"),
        rx.cond(
            allowed,
            rx.tabs.root(
                rx.box(rx.tabs.list(
                    rx.tabs.trigger(t("Источники"), value="sources", custom_attrs={"data-testid": "tab-sources"}),
                    rx.tabs.trigger(rx.hstack(rx.text(t("Запуски")), rx.cond(MarketRunsState.active,
                                                                         rx.spinner(size="1")),
                                              align="center", spacing="2"),
                                    value="runs", custom_attrs={"data-testid": "tab-runs"}),
                    rx.tabs.trigger(t("Объявления"), value="listings", custom_attrs={"data-testid": "tab-listings"}),
                    rx.tabs.trigger(t("Ключи"), value="keys", custom_attrs={"data-testid": "tab-keys"}),
                ), overflow_x="auto", width="100%"),
                rx.tabs.content(_sources_tab(), value="sources", padding_top="12px"),
                rx.tabs.content(_runs_tab(), value="runs", padding_top="12px"),
                rx.tabs.content(_listings_tab(), value="listings", padding_top="12px"),
                rx.tabs.content(_keys_tab(), value="keys", padding_top="12px"),
                default_value="sources", width="100%",
            ),
            no_access(),
        ),
        _source_form(),
        _test_dialog(),
        _delete_dialog(),
        spacing="3", width="100%",
    ), wide=True)
