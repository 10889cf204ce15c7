"""/owner (my spaces), /owner/spaces/[space_id] (the editor) and
/owner/spaces/[space_id]/preview (the public page as guests will see it)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from coworking_app.settings import get_settings
from pages.components import empty_state, named_upload, section
from pages.layout import map_frame, page_frame
from pages.not_found import not_found_content
from pages.space import details, gallery, photo_viewer
from state.owner import (
    DAYS,
    KIND_LABELS,
    UNIT_LABELS,
    OwnerSpaceRow,
    OwnerState,
    PhotoView,
    PlaceOption,
    ResourceView,
    SpaceEditorState,
    SpacePreviewState,
    TariffView,
)
from state.space import SpaceState
from state.views import Option
from state.owner_rules import (
    GRACE_CHOICES,
    BookingRulesState,
    ClosedBookingRow,
    ClosureRow,
    ClosuresState,
    GuestOfferState,
)
from state.lang import t, tc

STATUS_COLORS = {"draft": "gray", "pending_review": "amber", "published": "green", "hidden": "red"}


def _space_row(row: OwnerSpaceRow) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.vstack(rx.text(row.name, weight="bold"),
                          rx.text(row.address, size="2", color=rx.color("gray", 11)), spacing="1"),
                rx.spacer(),
                rx.badge(row.status_label,
                         color_scheme=rx.match(row.status, *STATUS_COLORS.items(), "gray")),
                align="center", width="100%",
            ),
            width="100%",
        ),
        href="/owner/spaces/" + row.id.to_string(), underline="none", width="100%",
        custom_attrs={"data-testid": "owner-space"},
    )


def _suggestion(state, option: PlaceOption) -> rx.Component:
    return rx.button(
        rx.icon(option.icon, size=16, color=rx.color("accent", 10), flex_shrink="0"),
        rx.vstack(rx.text(option.label, size="2", weight="medium", color=rx.color("gray", 12)),
                  rx.text(option.detail, size="1", color=rx.color("gray", 11)),
                  spacing="0", align="start", min_width="0"),
        variant="ghost", color_scheme="gray", width="100%", height="auto", padding="6px 8px",
        justify_content="flex-start", text_align="left", white_space="normal", margin="0",
        on_click=state.choose_place(option.index), role="option", type="button",
        custom_attrs={"data-testid": "place-suggestion"},
    )


def _suggestions(state) -> rx.Component:
    return rx.cond(
        state.suggestions.length() > 0,
        rx.box(
            rx.vstack(rx.foreach(state.suggestions, lambda o: _suggestion(state, o)), spacing="1", width="100%"),
            role="listbox", aria_label=t("Подсказки адреса"), width="100%", padding="4px",
            border=f"1px solid {rx.color('gray', 6)}", border_radius="var(--radius-3)",
            background=rx.color("gray", 1), box_shadow="0 4px 12px rgba(0, 0, 0, 0.08)",
            custom_attrs={"data-testid": "place-suggestions"},
        ),
    )


def _readonly(label: str, value, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.input(value=value, read_only=True, variant="soft", color_scheme="gray", size="1", width="100%",
                 aria_label=label + t(" (по точке на карте)"), tab_index=-1,
                 custom_attrs={"data-testid": test_id}),
        spacing="1", width="100%", min_width="0",
    )


def pin_picker(state, map_id: str, *errors: rx.Component) -> rx.Component:
    """The pin on a pickable map (coworking_app/maps.py): a click moves it, the marker drags;
    the frame posts the point to the hidden input "<map_id>-pick" (assets/map-pick.js).
    Under it what follows from the point, read-only: city and district, coordinates, the
    city's time zone. `errors`: the form's own messages about the point."""
    return rx.vstack(
        map_frame(state.map_url, rx.breakpoints(initial="240px", md="280px"), map_id),
        rx.el.input(type="text", aria_hidden="true", tab_index=-1, style={"display": "none"},
                    on_change=state.pick_point, custom_attrs={"data-testid": f"{map_id}-pick"}),
        rx.script(src="/map-pick.js"),
        rx.text(t("Нажмите на карту или перетащите метку, чтобы уточнить, где вход."), size="1",
                color=rx.color("gray", 11)),
        rx.cond(state.pin_error != "", rx.text(state.pin_error, size="1", color=rx.color("red", 11), role="alert",
                                                custom_attrs={"data-testid": "pin-error"})),
        *errors,
        rx.hstack(
            rx.icon("map-pin", size=14, color=rx.color("accent", 10), flex_shrink="0"),
            rx.text(rx.cond(state.place != "", state.place, t("Точка ещё не выбрана")), size="2",
                    custom_attrs={"data-testid": "editor-place"}),
            align="center", spacing="1",
        ),
        rx.grid(
            _readonly(t("Широта"), state.lat, "edit-lat"),
            _readonly(t("Долгота"), state.lon, "edit-lon"),
            _readonly(t("Часовой пояс города"), state.timezone_label, "edit-timezone"),
            columns=rx.breakpoints(initial="2", sm="3"), gap="8px", width="100%",
        ),
        rx.cond(state.pin_moved & (state.pin_error == ""),
                rx.text(t("Точка перенесена — сохраните, чтобы гости увидели её."), size="1",
                        color=rx.color("amber", 11), custom_attrs={"data-testid": "pin-moved"})),
        spacing="2", width="100%",
    )


def _new_space_form() -> rx.Component:
    s = OwnerState
    return section(
        t("Новое пространство"),
        rx.form(
            rx.vstack(
                rx.vstack(
                    rx.text(t("Название"), size="2", weight="medium"),
                    rx.input(placeholder=t("Например, Лофт «Кирпич»"), value=s.new_name, width="100%",
                             aria_label=t("Название"), on_change=lambda v: s.set_new("new_name", v),
                             custom_attrs={"data-testid": "new-name"}),
                    spacing="1", width="100%",
                ),
                rx.vstack(
                    rx.text(t("Адрес"), size="2", weight="medium"),
                    rx.input(placeholder=t("Улица и дом, метро или район"), value=s.new_address, width="100%",
                             aria_label=t("Адрес"), auto_complete="off",
                             on_change=lambda v: [s.set_new("new_address", v), s.suggest(v)],
                             custom_attrs={"data-testid": "new-address"}),
                    _suggestions(s),
                    rx.text(t("Начните вводить и выберите подсказку — точка встанет на карту."), size="1",
                            color=rx.color("gray", 11)),
                    spacing="1", width="100%",
                ),
                pin_picker(s, "new-map"),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle_alert", color_scheme="red",
                                                  width="100%", custom_attrs={"data-testid": "owner-error"})),
                rx.button(rx.cond(s.creating, rx.spinner(size="2"), rx.icon("plus", size=16)),
                          t("Создать черновик"), type="submit", disabled=s.creating,
                          custom_attrs={"data-testid": "create-space"}),
                spacing="3", width="100%",
            ),
            on_submit=s.create, reset_on_submit=False, width="100%",
        ),
    )


def owner_page() -> rx.Component:
    s = OwnerState
    return page_frame(
        rx.flex(
            rx.heading(t("Мои пространства"), size="6"), rx.spacer(),
            rx.link(rx.button(rx.icon("calendar-check", size=16), t("Брони гостей"), variant="soft"),
                    href="/owner/bookings"),
            rx.link(rx.button(rx.icon("wallet", size=16), t("Финансы"), variant="soft"),
                    href="/owner/finance", custom_attrs={"data-testid": "owner-finance-link"}),
            width="100%", align="center", spacing="2", wrap="wrap", margin_bottom="16px",
        ),
        rx.grid(
            rx.vstack(
                rx.cond(
                    s.spaces.length() > 0,
                    rx.vstack(rx.foreach(s.spaces, _space_row), width="100%", spacing="2"),
                    empty_state("building", t("Пока нет пространств"),
                                rx.text(t("Создайте первое: оно останется черновиком, пока вы не отправите его на модерацию."), size="2", text_align="center")),
                ),
                width="100%",
            ),
            _new_space_form(),
            columns=rx.breakpoints(initial="1", md="2"), gap="16px", width="100%",
        ),
    )


# --- editor ----------------------------------------------------------------------------


def _notice(scope) -> rx.Component:
    """The outcome of an action, said next to the part of the editor it was about."""
    s = SpaceEditorState
    return rx.fragment(
        rx.cond((s.error != "") & (s.error_field == scope),
                rx.callout(s.error, icon="triangle_alert", color_scheme="red", size="1", width="100%",
                           role="alert", custom_attrs={"data-testid": "editor-error"})),
        rx.cond((s.message != "") & (s.message_scope == scope),
                rx.callout(s.message, icon="check", color_scheme="green", high_contrast=True, size="1", width="100%",
                           custom_attrs={"data-testid": "editor-message"})),
    )


def _field_error(name: str) -> rx.Component:
    s = SpaceEditorState
    return rx.cond((s.error != "") & (s.error_field == name),
                   rx.text(s.error, size="1", color=rx.color("red", 11), role="alert",
                           custom_attrs={"data-testid": "editor-error"}))


def _input(label: str, name: str, **props) -> rx.Component:
    s = SpaceEditorState
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(value=getattr(s, name), on_change=lambda v: s.set_field(name, v), width="100%",
                 aria_label=label, color_scheme=rx.cond(s.error_field == name, "red", "gray"),
                 custom_attrs={"data-testid": f"edit-{name}"}, **props),
        _field_error(name),
        spacing="1", width="100%", min_width="0",
    )


def _hours_row(day: tuple[str, str]) -> rx.Component:
    s = SpaceEditorState
    code, label = day[0], t(day[1])
    return rx.hstack(
        rx.text(label, width="28px", size="2"),
        rx.input(value=s.hours_open.get(code, ""), size="1", width="72px", placeholder="09:00", max_length=5,
                 input_mode="numeric", auto_complete="off", aria_label=label + t(": открытие, ЧЧ:ММ"),
                 on_change=lambda v: s.set_hours(code, "open", v),
                 custom_attrs={"data-testid": f"hours-open-{code}"}),
        rx.text("—"),
        rx.input(value=s.hours_close.get(code, ""), size="1", width="72px", placeholder="21:00", max_length=5,
                 input_mode="numeric", auto_complete="off", aria_label=label + t(": закрытие, ЧЧ:ММ"),
                 on_change=lambda v: s.set_hours(code, "close", v),
                 custom_attrs={"data-testid": f"hours-close-{code}"}),
        align="center", wrap="wrap",
    )


def _amenity(option: Option) -> rx.Component:
    s = SpaceEditorState
    return rx.checkbox(option.label, checked=s.amenities.contains(option.value), size="2",
                       on_change=lambda c: s.toggle_amenity(option.value, c))


def _english() -> rx.Component:
    """The name and description for English readers, folded away until wanted (docs/i18n.md)."""
    s = SpaceEditorState
    return rx.el.details(
        rx.el.summary(t("По-английски: название и описание для англоязычных гостей"),
                      style={"cursor": "pointer", "fontWeight": 500, "fontSize": "14px"}),
        rx.vstack(
            rx.text(t("Если не заполнить, англоязычные гости увидят русский текст."), size="1",
                    color=rx.color("gray", 11)),
            _input(t("Название по-английски"), "name_en"),
            rx.text_area(value=s.description_en, rows="4", width="100%", aria_label=t("Описание по-английски"),
                         placeholder=t("Описание по-английски"), on_change=lambda v: s.set_field("description_en", v),
                         custom_attrs={"data-testid": "edit-description_en"}),
            _field_error("description_en"),
            spacing="2", width="100%", padding_top="8px",
        ),
        open=(s.name_en != "") | (s.description_en != ""),
        width="100%",
    )


def _details() -> rx.Component:
    s = SpaceEditorState
    return section(
        t("Описание и место"),
        rx.form(
            rx.vstack(
                _input(t("Название"), "name"),
                rx.vstack(rx.text(t("Описание"), size="2", weight="medium"),
                          rx.text_area(value=s.description, rows="5", width="100%", aria_label=t("Описание"),
                                       on_change=lambda v: s.set_field("description", v),
                                       custom_attrs={"data-testid": "edit-description"}),
                          _field_error("description"),
                          spacing="1", width="100%"),
                _english(),
                rx.vstack(
                    rx.text(t("Адрес"), size="2", weight="medium"),
                    rx.input(value=s.address, width="100%", aria_label=t("Адрес"), auto_complete="off",
                             placeholder=t("Улица и дом, метро или район"),
                             color_scheme=rx.cond(s.error_field == "address", "red", "gray"),
                             on_change=lambda v: [s.set_field("address", v), s.suggest(v)],
                             custom_attrs={"data-testid": "edit-address"}),
                    _suggestions(s),
                    _field_error("address"),
                    rx.text(t("Гости увидят адрес как он написан. Выберите подсказку — точка встанет на карту."),
                            size="1", color=rx.color("gray", 11)),
                    spacing="1", width="100%",
                ),
                pin_picker(s, "editor-map", _field_error("lat"), _field_error("lon"), _field_error("timezone")),
                rx.vstack(
                    rx.text(t("Часы работы"), size="2", weight="medium"),
                    rx.text(t("Время как 09:00 или 21:30, с шагом 30 минут; пустой день — выходной; закрытие 00:00 — в полночь."),
                            size="1", color=rx.color("gray", 10)),
                    rx.hstack(rx.switch(checked=s.round_the_clock, on_change=s.set_round_the_clock,
                                        aria_label=t("Круглосуточно, без выходных"),
                                        custom_attrs={"data-testid": "hours-24-7"}),
                              rx.text(t("Круглосуточно, без выходных"), size="2"), align="center"),
                    rx.vstack(*[_hours_row(d) for d in DAYS], spacing="1"),
                    _field_error("opening_hours"),
                    spacing="2", width="100%", custom_attrs={"data-testid": "editor-hours"},
                ),
                rx.text(t("Удобства"), size="2", weight="medium"),
                rx.grid(rx.foreach(s.amenity_options, _amenity),
                        columns=rx.breakpoints(initial="1", sm="2"), gap="6px", width="100%"),
                _field_error("amenities"),
                _notice("details"),
                rx.button(t("Сохранить"), type="submit", custom_attrs={"data-testid": "save-space"}),
                spacing="3", width="100%",
            ),
            on_submit=s.save, reset_on_submit=False, width="100%",
        ),
    )


def _tariff(tariff: TariffView) -> rx.Component:
    return rx.badge(tariff.label, rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost",
                                            aria_label=t("Удалить цену"),
                                            on_click=SpaceEditorState.ask_delete("tariff", tariff.id)),
                    variant="soft", size="2", custom_attrs={"data-testid": "tariff"})


def _resource(r: ResourceView) -> rx.Component:
    s = SpaceEditorState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.text(r.name, weight="bold"),
                          rx.text(r.details, size="1", color=rx.color("gray", 10)), spacing="0", min_width="0"),
                rx.spacer(),
                rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", aria_label=t("Удалить место"),
                               color_scheme="red", on_click=s.ask_delete("resource", r.id)),
                width="100%",
            ),
            rx.flex(rx.foreach(r.tariffs, _tariff), gap="6px", wrap="wrap"),
            rx.form(
                rx.flex(
                    rx.el.input(type="hidden", name="resource_id", value=r.id.to_string()),
                    rx.select.root(
                        rx.select.trigger(aria_label=t("Единица цены")),
                        rx.select.content(*[rx.select.item(tc("unit", "за ") + t(label), value=unit)
                                            for unit, label in UNIT_LABELS.source().items()]),
                        default_value="hour", name="unit", size="1",
                    ),
                    rx.input(name="price", placeholder=t("Цена, ₽"), size="1", input_mode="decimal", width="110px",
                             aria_label=t("Цена, ₽"), on_change=s.clear_error("tariff-" + r.id.to_string()),
                             custom_attrs={"data-testid": "tariff-price"}),
                    rx.button(t("Задать цену"), size="1", type="submit",
                              custom_attrs={"data-testid": "tariff-submit"}),
                    align="center", wrap="wrap", spacing="2",
                ),
                on_submit=s.set_tariff, reset_on_submit=True,
            ),
            _notice("tariff-" + r.id.to_string()),
            spacing="2", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "editor-resource"},
    )


def _resources() -> rx.Component:
    s = SpaceEditorState
    clear = s.clear_error("resource")
    return section(
        t("Места и тарифы"),
        rx.vstack(rx.foreach(s.resources, _resource), width="100%", spacing="2"),
        rx.form(
            rx.flex(
                rx.select.root(
                    rx.select.trigger(placeholder=t("Тип"), aria_label=t("Тип места")),
                    rx.select.content(*[rx.select.item(t(label), value=kind)
                                        for kind, label in KIND_LABELS.source().items()]),
                    name="kind", default_value="hot_desk",
                ),
                rx.input(name="name", placeholder=t("Название"), aria_label=t("Название места"), on_change=clear,
                         flex="1 1 140px", custom_attrs={"data-testid": "resource-name"}),
                rx.input(name="capacity", placeholder=t("Мест"), aria_label=t("Мест"), input_mode="numeric", width="80px",
                         on_change=clear, custom_attrs={"data-testid": "resource-capacity"}),
                rx.input(name="min_hours", placeholder=t("Мин., ч"), input_mode="decimal", width="90px", on_change=clear,
                         aria_label=t("Минимальная бронь, часов (по умолчанию 1)"),
                         title=t("Минимальная бронь, часов (по умолчанию 1)")),
                rx.input(name="max_days", placeholder=t("Макс., дн"), input_mode="decimal", width="90px", on_change=clear,
                         aria_label=t("Максимальная бронь, дней (по умолчанию 31)"),
                         title=t("Максимальная бронь, дней (по умолчанию 31)")),
                rx.button(rx.icon("plus", size=14), t("Добавить"), type="submit",
                          custom_attrs={"data-testid": "resource-submit"}),
                wrap="wrap", align="center", spacing="2", width="100%",
            ),
            on_submit=s.add_resource, reset_on_submit=True, width="100%",
        ),
        _notice("resource"),
    )


def _photo(photo: PhotoView, index: int) -> rx.Component:
    s = SpaceEditorState
    return rx.box(
        rx.image(src=photo.thumb, width="100%", height="96px", object_fit="cover", alt=t("Фото пространства"),
                 border_radius="var(--radius-2)", custom_attrs={"data-testid": "editor-photo"}),
        rx.hstack(
            rx.cond(index == 0, rx.badge(t("обложка"), size="1"),
                    rx.icon_button(rx.icon("star", size=12), size="1", variant="ghost",
                                   title=t("Сделать обложкой"), aria_label=t("Сделать обложкой"),
                                   on_click=s.make_cover(photo.id))),
            rx.icon_button(rx.icon("arrow-left", size=12), size="1", variant="ghost", aria_label=t("Раньше"),
                           on_click=s.move_photo(photo.id, -1)),
            rx.icon_button(rx.icon("arrow-right", size=12), size="1", variant="ghost", aria_label=t("Позже"),
                           on_click=s.move_photo(photo.id, 1)),
            rx.icon_button(rx.icon("trash-2", size=12), size="1", variant="ghost", color_scheme="red",
                           aria_label=t("Удалить фото"), on_click=s.ask_delete("photo", photo.id)),
            spacing="1", justify="center", width="100%",
        ),
    )


def _refusals(rejected) -> rx.Var:
    """react-dropzone's rejected files as ["name|code,code", ...]: the browser's File objects
    do not reach the server, their names and reasons do (SpaceEditorState.photos_rejected)."""

    def one(record) -> rx.Var:
        record = record.to(ObjectVar, dict[str, dict[str, Any]])
        file = record["file"].to(ObjectVar, dict[str, Any])
        errors = record["errors"].to(ArrayVar, list[dict[str, Any]])
        return f"{file['name']}|{errors.map(lambda e: e['code']).join(',')}"

    return rejected.to(ArrayVar).map(one)


def _photos() -> rx.Component:
    s = SpaceEditorState
    return section(
        t("Фотографии (до 10, JPEG или PNG до 5 МБ)"),
        rx.grid(rx.foreach(s.photos, _photo), columns=rx.breakpoints(initial="2", sm="3"),
                gap="8px", width="100%"),
        named_upload(t("Добавить фото"), rx.upload(
            rx.vstack(rx.icon("image-plus", size=24, color=rx.color("accent", 9)),
                      rx.text(t("Перетащите фото или нажмите, чтобы выбрать"), size="2", text_align="center"),
                      align="center", spacing="1"),
            id="photos", multiple=True, max_files=10, max_size=get_settings().max_upload_bytes,
            accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
            on_drop_rejected=lambda rejected: s.photos_rejected(_refusals(rejected)),
            border=f"1px dashed {rx.color('accent', 8)}", padding="16px", width="100%",
            border_radius="var(--radius-3)",
        )),
        rx.flex(
            rx.foreach(rx.selected_files("photos"), lambda f: rx.badge(f, variant="outline")),
            wrap="wrap", spacing="1",
        ),
        _notice("photos"),
        rx.button(rx.cond(s.uploading, rx.spinner(size="2"), rx.icon("upload", size=14)),
                  t("Загрузить"), disabled=s.uploading,
                  on_click=[s.upload(rx.upload_files(upload_id="photos")),
                            rx.clear_selected_files("photos")],
                  custom_attrs={"data-testid": "upload-photos"}),
        test_id="editor-photos",
    )


def _readiness() -> rx.Component:
    """What moderation needs that the space lacks: the owner sees it before pressing the button."""
    s = SpaceEditorState
    return rx.cond(
        (s.status == "draft") | (s.status == "hidden"),
        rx.card(rx.vstack(
            rx.cond(
                s.gaps.length() > 0,
                rx.vstack(
                    rx.text(t("Чтобы отправить на модерацию, осталось:"), size="2", weight="medium"),
                    rx.foreach(s.gaps, lambda g: rx.hstack(
                        rx.icon("circle-alert", size=14, color=rx.color("amber", 10), flex_shrink="0"),
                        rx.text(g, size="2"), align="start", spacing="2",
                        custom_attrs={"data-testid": "editor-gap"})),
                    spacing="1", width="100%"),
                rx.hstack(rx.icon("circle-check", size=16, color=rx.color("green", 10)),
                          rx.text(t("Всё готово: можно отправлять на модерацию."), size="2"), align="center"),
            ),
            spacing="2", width="100%"), width="100%", custom_attrs={"data-testid": "editor-readiness"}),
    )


def _delete_dialog() -> rx.Component:
    s = SpaceEditorState
    what = rx.match(s.confirm_kind, ("resource", t("это место со всеми его ценами")), ("tariff", t("эту цену")),
                    ("photo", t("это фото")), t("это"))
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(t("Удалить "), what, "?"),
        rx.alert_dialog.description(t("Вернуть не получится."), size="2"),
        rx.flex(
            rx.alert_dialog.cancel(rx.button(t("Не удалять"), variant="soft", color_scheme="gray",
                                             on_click=s.cancel_delete)),
            rx.alert_dialog.action(rx.button(t("Удалить"), color_scheme="red", on_click=s.confirm_delete,
                                             custom_attrs={"data-testid": "delete-confirm"})),
            spacing="3", justify="end", margin_top="16px",
        ),
    ), open=s.confirm_kind != "")


def space_editor_page() -> rx.Component:
    s = SpaceEditorState
    return page_frame(
        rx.cond(
            s.not_found,
            empty_state("search-x", t("Пространство не найдено"),
                        rx.link(t("К моим пространствам"), href="/owner")),
            rx.vstack(
                rx.flex(
                    rx.link(rx.hstack(rx.icon("chevron-left", size=16), t("Мои пространства")),
                            href="/owner", size="2"),
                    rx.spacer(),
                    rx.flex(
                        rx.badge(s.status_label, size="2", custom_attrs={"data-testid": "editor-status"}),
                        rx.link(rx.button(rx.icon("eye", size=16), t("Как увидят гости"), variant="soft",
                                          color_scheme="gray"),
                                href="/owner/spaces/" + s.editing_id.to_string() + "/preview",
                                custom_attrs={"data-testid": "editor-preview"}),
                        rx.link(rx.button(rx.icon("chart-candlestick", size=16), t("Рынок рядом"), variant="soft",
                                          color_scheme="gray"),
                                href="/owner/spaces/" + s.editing_id.to_string() + "/market",
                                custom_attrs={"data-testid": "editor-market"}),
                        rx.link(rx.button(rx.icon("ticket", size=16), t("Абонементы"), variant="soft",
                                          color_scheme="gray"),
                                href="/owner/spaces/" + s.editing_id.to_string() + "/plans",
                                custom_attrs={"data-testid": "editor-plans"}),
                        rx.cond((s.status == "draft") | (s.status == "hidden"),
                                rx.button(t("На модерацию"), variant="soft", on_click=s.submit_for_review,
                                          disabled=~s.can_submit, custom_attrs={"data-testid": "submit-space"})),
                        spacing="2", align="center", wrap="wrap",
                    ),
                    width="100%", align="center", spacing="2", wrap="wrap",
                ),
                rx.heading(s.name, size="6", custom_attrs={"data-testid": "editor-title"}),
                rx.cond(s.moderation_note != "", rx.callout(
                    t("Модератор: ") + s.moderation_note + t(". Исправьте и отправьте на модерацию снова."),
                    icon="shield-alert", color_scheme="amber", width="100%",
                    custom_attrs={"data-testid": "editor-moderation-note"})),
                rx.cond(s.awaiting_review, rx.callout(
                    t("Изменения описания или фото видны гостям сразу и ждут проверки модератора."),
                    icon="info", color_scheme="blue", size="1", width="100%")),
                _readiness(),
                rx.cond(s.status == "pending_review", rx.callout(
                    t("Пространство на модерации: модератор проверит его, о решении придёт уведомление."),
                    icon="hourglass", color_scheme="blue", size="1", width="100%",
                    custom_attrs={"data-testid": "editor-pending"})),
                _notice("submit"),
                _notice(""),
                rx.grid(
                    _details(),
                    rx.vstack(_resources(), booking_rules(), closures(), guest_offer(), _photos(), spacing="4",
                              width="100%", min_width="0"),
                    columns=rx.breakpoints(initial="1", lg="2"), gap="16px", width="100%",
                ),
                _delete_dialog(),
                spacing="3", width="100%",
            ),
        ),
    )


def booking_rules() -> rx.Component:
    """The editor's "Booking" card (state/owner_rules.py)."""
    r = BookingRulesState

    return rx.card(rx.vstack(
        rx.heading(t("Бронирование"), size="4"),
        rx.form(rx.vstack(
            rx.hstack(rx.switch(checked=r.instant_book, on_change=lambda v: r.set_choice("instant_book", v),
                                aria_label=t("Мгновенное бронирование")),
                      rx.text(t("Мгновенное бронирование (иначе вы подтверждаете каждую оплаченную бронь)"),
                              size="2"), align="center"),
            rx.text(t("Условия отмены"), size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(width="100%", aria_label=t("Условия отмены")),
                rx.select.content(rx.select.item(t("Гибкие"), value="flexible"),
                                  rx.select.item(t("Умеренные"), value="moderate"),
                                  rx.select.item(t("Строгие"), value="strict")),
                value=r.policy, on_change=lambda v: r.set_choice("policy", v),
            ),
            rx.foreach(r.policy_terms, lambda t: rx.text("• ", t, size="1", color=rx.color("gray", 11))),
            rx.hstack(
                rx.text(t("НДС, %"), size="2"),
                rx.input(name="vat_percent", default_value=r.vat_percent, key=r.vat_percent, width="80px",
                         aria_label=t("НДС, %"), on_change=r.clear_error),
                rx.switch(checked=r.vat_included, on_change=lambda v: r.set_choice("vat_included", v),
                          aria_label=t("Цены уже с НДС")),
                rx.text(t("цены уже с НДС"), size="2"),
                align="center", wrap="wrap",
            ),
            rx.hstack(rx.switch(checked=r.no_show_release, on_change=lambda v: r.set_choice("no_show_release", v),
                                aria_label=t("Снимать бронь, если гость не отметился"),
                                custom_attrs={"data-testid": "rules-no-show-release"}),
                      rx.text(t("Снимать бронь, если гость не отметился о приходе (QR-код или геопозиция) за"),
                              size="2"),
                      rx.select.root(rx.select.trigger(aria_label=t("Сколько ждать гостя, минут"), width="80px"),
                                     rx.select.content(*[rx.select.item(m, value=m) for m in GRACE_CHOICES]),
                                     value=r.grace, on_change=lambda v: r.set_choice("grace", v)),
                      rx.text(t("мин после начала — места уйдут листу ожидания"), size="2"),
                      align="center", wrap="wrap"),
            rx.button(t("Сохранить правила"), type="submit", variant="soft"),
            spacing="2", width="100%"), on_submit=r.save, reset_on_submit=False, width="100%"),
        rx.separator(size="4"),
        rx.text(t("Дополнительные опции"), size="2", weight="medium"),
        rx.text(t("Что гость может добавить к брони: монитор, парковку, шкафчик. То же название ещё раз меняет цену опции."), size="1", color=rx.color("gray", 11)),
        rx.foreach(r.addons, lambda a: rx.hstack(
            rx.text(a.name, size="2", weight="medium"), rx.text(a.label, size="2", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="red",
                           on_click=r.remove_addon(a.code), aria_label=t("Отключить опцию «") + a.name + t("»")),
            width="100%", align="center", wrap="wrap", custom_attrs={"data-testid": "addon-row"})),
        rx.form(rx.flex(
            rx.input(name="name", placeholder=t("Название"), flex="1 1 160px", min_width="0",
                     aria_label=t("Название опции"), on_change=r.clear_error,
                     custom_attrs={"data-testid": "addon-name"}),
            rx.input(name="price", placeholder=t("Цена, ₽"), width="96px", aria_label=t("Цена опции, ₽"),
                     input_mode="decimal", on_change=r.clear_error, custom_attrs={"data-testid": "addon-price"}),
            rx.select.root(rx.select.trigger(aria_label=t("Как считается цена опции")),
                           rx.select.content(rx.select.item(t("за бронь"), value="booking"),
                                             rx.select.item(t("в час"), value="hour"),
                                             rx.select.item(t("за место"), value="seat")),
                           name="unit", default_value="booking"),
            rx.button(t("Добавить"), type="submit", variant="soft", custom_attrs={"data-testid": "addon-submit"}),
            spacing="2", wrap="wrap", width="100%", align="center"), on_submit=r.add_addon, reset_on_submit=True,
            width="100%"),
        rx.cond(r.error != "", rx.text(r.error, size="2", color=rx.color("red", 11), role="alert",
                                       custom_attrs={"data-testid": "rules-error"})),
        rx.cond(r.message != "", rx.text(r.message, size="2", color=rx.color("green", 11),
                                         custom_attrs={"data-testid": "rules-message"})),
        spacing="3", width="100%"), width="100%", custom_attrs={"data-testid": "booking-rules"})


def guest_offer() -> rx.Component:
    """The editor's "Предложение гостям" card (state/owner_rules.py, services/messaging/offers.py)."""
    o = GuestOfferState

    def field_error(name: str) -> rx.Component:
        return rx.cond((o.error != "") & (o.error_field == name),
                       rx.text(o.error, size="1", color=rx.color("red", 11), role="alert"))

    return rx.card(rx.vstack(
        rx.heading(t("Предложение гостям"), size="4"),
        rx.cond(
            o.available,
            rx.vstack(
                rx.text(t("Письмо и уведомление получат гости, которые уже бывали в этом пространстве и согласились получать предложения — сейчас их "), o.recipients.to_string(),
                        t(". Не чаще одного предложения в неделю."), size="2", color=rx.color("gray", 11),
                        custom_attrs={"data-testid": "offer-reach"}),
                rx.cond(
                    o.next_at != "",
                    rx.callout(t("Предложение на этой неделе уже отправлено; следующее — с ") + o.next_at + ".",
                               icon="clock", size="1", width="100%", custom_attrs={"data-testid": "offer-wait"}),
                    rx.vstack(
                        rx.input(placeholder=t("Заголовок, например «Минус 20 % в декабре»"), value=o.title,
                                 aria_label=t("Заголовок предложения"), width="100%",
                                 on_change=lambda v: o.set_field("title", v)),
                        field_error("title"),
                        rx.text_area(placeholder=t("Текст предложения"), value=o.text, rows="3", width="100%",
                                     aria_label=t("Текст предложения"), on_change=lambda v: o.set_field("text", v)),
                        field_error("text"),
                        rx.input(placeholder=t("Промокод (необязательно)"), value=o.promo, width="100%",
                                 aria_label=t("Промокод"), on_change=lambda v: o.set_field("promo", v)),
                        field_error("promo"),
                        rx.cond((o.error != "") & (o.error_field == ""),
                                rx.callout(o.error, icon="triangle-alert", color_scheme="red", size="1",
                                           width="100%")),
                        rx.button(rx.cond(o.sending, rx.spinner(size="2"), rx.icon("send", size=14)),
                                  t("Отправить гостям"), variant="soft", on_click=o.send,
                                  disabled=o.sending | (o.recipients == 0),
                                  custom_attrs={"data-testid": "offer-send"}),
                        spacing="2", width="100%",
                    ),
                ),
                spacing="2", width="100%",
            ),
            rx.text(t("Предложения гостям можно отправлять, когда пространство опубликовано."), size="2",
                    color=rx.color("gray", 11)),
        ),
        spacing="3", width="100%"), width="100%", custom_attrs={"data-testid": "guest-offer"})


# --- closed days ---------------------------------------------------------------------------


def _closed_booking(closure: ClosureRow, b: ClosedBookingRow) -> rx.Component:
    c = ClosuresState
    return rx.flex(
        rx.vstack(
            rx.text(b.label, size="2", weight="medium"),
            rx.text(b.when, " · ", b.refund, size="1", color=rx.color("gray", 11)),
            spacing="0", min_width="0", flex="1 1 200px",
        ),
        rx.cond(b.can_cancel, rx.button(
            t("Отменить с возвратом"), size="1", variant="soft", color_scheme="red", disabled=c.busy,
            on_click=c.ask_cancel(closure.id, b.id), custom_attrs={"data-testid": "closure-cancel-booking"})),
        gap="8px", align="center", wrap="wrap", width="100%",
        padding_y="6px", border_top=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "closure-booking"},
    )


def _closure(closure: ClosureRow) -> rx.Component:
    c = ClosuresState
    return rx.box(
        rx.flex(
            rx.icon("calendar-x", size=16, color=rx.color("accent", 10), flex_shrink="0"),
            rx.vstack(rx.text(closure.period, size="2", weight="bold"),
                      rx.text(closure.reason, size="2", color=rx.color("gray", 11)),
                      spacing="0", min_width="0", flex="1"),
            rx.button(t("Открыть дни"), size="1", variant="ghost", on_click=c.ask_open(closure.id),
                      aria_label=t("Открыть дни ") + closure.period + t(" для бронирования"),
                      custom_attrs={"data-testid": "closure-open"}),
            gap="8px", align="start", width="100%",
        ),
        rx.cond(closure.bookings.length() > 0, rx.vstack(
            rx.callout(t("На эти дни уже есть брони. Отмените их — гостям вернётся вся оплаченная сумма, они получат уведомление с причиной."), icon="triangle_alert", color_scheme="amber",
                       size="1", width="100%"),
            rx.foreach(closure.bookings, lambda b: _closed_booking(closure, b)),
            spacing="1", width="100%", margin_top="8px",
        )),
        padding="10px", border=f"1px solid {rx.color('gray', 5)}", border_radius="var(--radius-3)",
        width="100%", custom_attrs={"data-testid": "closure"},
    )


def _date_input(label: str, name: str, value) -> rx.Component:
    """A date typed as people write it here, дд.мм.гггг, whatever the browser's locale (a
    native date field would show the browser's own format)."""
    c = ClosuresState
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.input(value=value, on_change=lambda v: c.set_field(name, v), aria_label=label + t(", дд.мм.гггг"),
                 placeholder=t("дд.мм.гггг"), input_mode="numeric", max_length=10, auto_complete="off",
                 color_scheme=rx.cond(c.error_field == name, "red", "gray"), width="100%",
                 custom_attrs={"data-testid": f"closure-{name.replace('_', '-')}"}),
        spacing="1", flex="1 1 140px", min_width="0",
    )


def closures() -> rx.Component:
    """The editor's "Закрытые дни" (state/owner_rules.py ClosuresState)."""
    c = ClosuresState
    return rx.card(rx.vstack(
        rx.heading(t("Закрытые дни"), size="4"),
        rx.text(t("Праздники, ремонт, санитарный день: в эти дни пространство нельзя забронировать."),
                size="2", color=rx.color("gray", 11)),
        rx.form(rx.vstack(
            rx.flex(
                _date_input(t("Первый день"), "first_day", c.first_day),
                _date_input(t("Последний день"), "last_day", c.last_day),
                gap="8px", wrap="wrap", width="100%",
            ),
            rx.text(t("Чтобы закрыть один день, оставьте последний пустым."), size="1", color=rx.color("gray", 11)),
            rx.vstack(
                rx.text(t("Причина — её увидят гости"), size="1", color=rx.color("gray", 11)),
                rx.input(value=c.reason, on_change=lambda v: c.set_field("reason", v), width="100%",
                         placeholder=t("Например, «Новогодние праздники»"), aria_label=t("Причина"),
                         color_scheme=rx.cond(c.error_field == "reason", "red", "gray"),
                         custom_attrs={"data-testid": "closure-reason"}),
                spacing="1", width="100%",
            ),
            rx.cond(c.error != "", rx.text(c.error, size="2", color=rx.color("red", 11), role="alert",
                                           custom_attrs={"data-testid": "closure-error"})),
            rx.button(rx.icon("calendar-x", size=14), t("Закрыть дни"), type="submit", variant="soft",
                      disabled=c.busy, custom_attrs={"data-testid": "closure-submit"}),
            spacing="2", width="100%"), on_submit=c.close_days, reset_on_submit=False, width="100%"),
        rx.cond(c.message != "", rx.text(c.message, size="2", color=rx.color("green", 11),
                                         custom_attrs={"data-testid": "closure-message"})),
        rx.cond(c.closures.length() > 0,
                rx.vstack(rx.foreach(c.closures, _closure), spacing="2", width="100%"),
                rx.text(t("Закрытых дней нет."), size="2", color=rx.color("gray", 10))),
        rx.alert_dialog.root(rx.alert_dialog.content(
            rx.alert_dialog.title(rx.cond(c.confirm_kind == "open", t("Открыть дни для бронирования?"),
                                          t("Отменить бронь и вернуть деньги?"))),
            rx.alert_dialog.description(c.confirm_text, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("Не сейчас"), variant="soft", color_scheme="gray",
                                                 on_click=c.dismiss)),
                rx.alert_dialog.action(rx.button(rx.cond(c.confirm_kind == "open", t("Открыть"), t("Отменить бронь")),
                                                 color_scheme=rx.cond(c.confirm_kind == "open", "teal", "red"),
                                                 on_click=c.confirm,
                                                 custom_attrs={"data-testid": "closure-confirm"})),
                spacing="3", justify="end", margin_top="16px",
            ),
        ), open=c.confirm_kind != ""),
        spacing="3", width="100%"), width="100%", custom_attrs={"data-testid": "closures"})


# --- preview -------------------------------------------------------------------------------


def space_preview_page() -> rx.Component:
    """The space's public page as guests will see it (pages/space.py's parts, SpaceState filled
    by SpacePreviewState), under a banner; booking opens once it is published."""
    p, s = SpacePreviewState, SpaceState
    return page_frame(
        rx.cond(
            s.loading,
            rx.vstack(rx.skeleton(height="40px", width="60%"), rx.skeleton(height="360px"),
                      width="100%", spacing="3"),
            rx.cond(
                s.found,
                rx.vstack(
                    rx.callout(
                        rx.flex(
                            rx.text(rx.text.strong(t("Так пространство увидят гости. ")),
                                    t("Статус: "), p.status_label, t(". Бронирование и вопросы владельцу откроются после публикации."), size="2"),
                            rx.link(rx.hstack(rx.icon("pencil", size=14), t("Вернуться к редактору"), align="center",
                                              spacing="1"),
                                    href="/owner/spaces/" + p.editing_id.to_string(), size="2",
                                    color_scheme="gray", high_contrast=True, underline="always",
                                    custom_attrs={"data-testid": "preview-back"}),
                            direction="column", gap="4px",
                        ),
                        icon="eye", color_scheme="blue", high_contrast=True, width="100%",
                        custom_attrs={"data-testid": "preview-banner"},
                    ),
                    rx.heading(s.name, size=rx.breakpoints(initial="6", md="8"),
                               custom_attrs={"data-testid": "space-name"}),
                    rx.hstack(rx.icon("map-pin", size=16, color=rx.color("gray", 10)),
                              rx.text(s.place, size="2", color=rx.color("gray", 11)),
                              align="center", spacing="1"),
                    gallery(),
                    details(),
                    photo_viewer(),
                    spacing="3", width="100%",
                ),
                not_found_content(t("Пространство не найдено"),
                                  t("Возможно, оно удалено или ссылка неверна.")),
            ),
        ),
    )
