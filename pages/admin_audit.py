"""/admin/audit and /admin/reports."""

from __future__ import annotations

import reflex as rx

from pages.admin import admin_nav, no_access
from pages.components import date_range, empty_state, pager
from pages.layout import page_frame
from state.admin_audit import ACTION_LABELS, AuditRow, AuditState, ReportRow, ReportsState
from state.lang import t


def _change(change) -> rx.Component:
    return rx.flex(
        rx.text(change[0] + ":", size="1", weight="bold", white_space="nowrap"),
        rx.text(change[1], size="1", color=rx.color("red", 11), text_decoration="line-through",
                word_break="break-word"),
        rx.icon("arrow-right", size=12, color=rx.color("gray", 9), flex_shrink="0"),
        rx.text(change[2], size="1", color=rx.color("green", 11), word_break="break-word"),
        spacing="2", align="center", wrap="wrap", width="100%",
    )


def _entry(row: AuditRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.badge(row.action, color_scheme=row.color, variant="soft"),
                rx.text(row.entity, weight="bold", size="2"),
                rx.spacer(),
                rx.text(row.actor, size="1", color=rx.color("gray", 11)),
                rx.text(row.at, size="1", color=rx.color("gray", 10)),
                spacing="2", wrap="wrap", align="center", width="100%",
            ),
            rx.vstack(rx.foreach(row.changes, _change), spacing="1", width="100%",
                      custom_attrs={"data-testid": "audit-diff"}),
            rx.cond(row.summary != "", rx.text(row.summary, size="1", color=rx.color("gray", 11),
                                               word_break="break-word")),
            rx.cond(row.where != "", rx.text(row.where, size="1", color=rx.color("gray", 9))),
            spacing="2", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "audit-entry"},
    )


def _audit_filters() -> rx.Component:
    s = AuditState
    return rx.flex(
        rx.select.root(
            rx.select.trigger(placeholder=t("Все сущности"), aria_label=t("Что менялось")),
            rx.select.content(rx.select.item(t("Все сущности"), value="all"),
                              rx.foreach(s.entity_choices, lambda c: rx.select.item(c[1], value=c[0]))),
            value=rx.cond(s.entity == "", "all", s.entity), on_change=lambda v: s.set_filter("entity", v), size="2"),
        rx.input(placeholder=t("ID записи"), value=s.entity_id, on_change=lambda v: s.set_filter("entity_id", v),
                 debounce_timeout=400, size="2", width="110px", input_mode="numeric"),
        rx.input(placeholder=t("ID автора"), value=s.actor_id, on_change=lambda v: s.set_filter("actor_id", v),
                 debounce_timeout=400, size="2", width="110px", input_mode="numeric"),
        rx.select.root(
            rx.select.trigger(placeholder=t("Все действия"), aria_label=t("Действие")),
            rx.select.content(rx.select.item(t("Все действия"), value="all"),
                              *[rx.select.item(t(label), value=code) for code, label in ACTION_LABELS.source().items()]),
            value=rx.cond(s.action == "", "all", s.action), on_change=lambda v: s.set_filter("action", v), size="2"),
        date_range(s.date_from, s.date_to, lambda v: s.set_filter("date_from", v),
                   lambda v: s.set_filter("date_to", v)),
        spacing="2", wrap="wrap", align="center", width="100%",
    )


def audit_page() -> rx.Component:
    s = AuditState
    return page_frame(rx.vstack(
        admin_nav("/admin/audit"),
        rx.heading(t("Журнал аудита"), size="6"),
        rx.text(t("Каждое изменение пространств, ресурсов, тарифов, услуг, промокодов, броней, платежей и пользователей. Записи нельзя изменить или удалить."), size="2", color=rx.color("gray", 11)),
        rx.cond(
            s.allowed,
            rx.vstack(
                _audit_filters(),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1")),
                rx.text(t("Записей: "), s.total, size="2", color=rx.color("gray", 11)),
                rx.cond(s.loading, rx.skeleton(height="240px", width="100%"),
                        rx.cond(s.rows.length() > 0,
                                rx.vstack(rx.foreach(s.rows, _entry), spacing="2", width="100%"),
                                empty_state("history", t("Записей нет"),
                                            rx.text(t("Измените фильтры."), size="2", color=rx.color("gray", 11))))),
                pager(s.page, s.pages, s.go_page),
                spacing="3", width="100%",
            ),
            no_access(),
        ),
        spacing="3", width="100%", max_width="1000px",
    ))


def _report(r: ReportRow) -> rx.Component:
    s = ReportsState
    return rx.card(
        rx.flex(
            rx.icon(rx.cond(r.fmt == "PDF", "file-text", "file-spreadsheet"), size=20, color=rx.color("accent", 10)),
            rx.vstack(
                rx.text(r.title, weight="medium", size="2"),
                rx.text(r.kind, " · ", r.fmt, " · ", r.when, rx.cond(r.rows > 0, t(" · строк: ") + r.rows.to_string(), ""),
                        size="1", color=rx.color("gray", 10)),
                rx.cond((r.status == "queued") | (r.status == "running"),
                        rx.hstack(rx.progress(value=r.progress, max=100, width="200px"),
                                  rx.text(r.progress, " %", size="1"), align="center",
                                  custom_attrs={"data-testid": "report-progress"})),
                rx.cond(r.error != "", rx.text(r.error, size="1", color=rx.color("red", 11))),
                spacing="1", min_width="0", flex="1",
            ),
            rx.cond(r.ready, rx.button(rx.icon("download", size=14), t("Скачать"), size="2", variant="soft",
                                       on_click=s.download(r.id), custom_attrs={"data-testid": "report-download"}),
                    rx.cond(r.status == "failed", rx.badge(t("Ошибка"), color_scheme="red"),
                            rx.badge(t("Готовится"), color_scheme="amber"))),
            spacing="3", align="center", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "report"},
    )


def reports_page() -> rx.Component:
    s = ReportsState
    return page_frame(rx.vstack(
        admin_nav("/admin/reports"),
        rx.heading(t("Отчёты и выгрузки"), size="6"),
        rx.text(t("Ежедневный, еженедельный и ежемесячный отчёты по сети формируются автоматически; большие выгрузки таблиц готовятся здесь же."), size="2", color=rx.color("gray", 11)),
        rx.cond(
            s.allowed,
            rx.cond(s.loading, rx.skeleton(height="200px", width="100%"),
                    rx.cond(s.reports.length() > 0,
                            rx.vstack(rx.foreach(s.reports, _report), spacing="2", width="100%"),
                            empty_state("file-spreadsheet", t("Отчётов пока нет"),
                                        rx.text(t("Первый ежедневный отчёт появится после полуночи."), size="2",
                                                color=rx.color("gray", 11))))),
            no_access(),
        ),
        spacing="3", width="100%", max_width="900px",
    ))
