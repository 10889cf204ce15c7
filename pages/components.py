"""Pieces shared by several pages."""

from __future__ import annotations

import reflex as rx
from reflex.event import no_args_event_spec, passthrough_event_spec

from state.views import AmenityIcon, CardView
from state.lang import LanguageState, t


def space_card(card: CardView) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.cond(
                    card.thumb != "",
                    rx.image(
                        src=card.thumb, alt=card.name, loading="lazy",
                        width=rx.breakpoints(initial="100%", sm="180px"),
                        height=rx.breakpoints(initial="180px", sm="120px"),
                        object_fit="cover", border_radius="var(--radius-3)", flex_shrink="0",
                    ),
                    rx.center(
                        rx.icon("image", size=32, color=rx.color("gray", 8)),
                        width=rx.breakpoints(initial="100%", sm="180px"),
                        height=rx.breakpoints(initial="180px", sm="120px"),
                        background=rx.color("gray", 3), border_radius="var(--radius-3)",
                        flex_shrink="0",
                    ),
                ),
                rx.vstack(
                    rx.text(card.name, weight="bold", size="3", class_name="space-name",
                            color=rx.color("gray", 12)),
                    rx.text(card.address, size="2", color=rx.color("gray", 11)),
                    rx.hstack(
                        rx.cond(card.place != "", rx.badge(card.place, variant="soft",
                                                           color_scheme="gray")),
                        rx.cond(card.distance != "",
                                rx.badge(rx.icon("map-pin", size=12), card.distance,
                                         variant="soft")),
                        spacing="2", wrap="wrap",
                    ),
                    rx.hstack(
                        rx.foreach(card.amenity_icons, _amenity_icon),
                        spacing="2", custom_attrs={"data-testid": "card-amenities"},
                    ),
                    rx.hstack(
                        rx.text(card.price, weight="bold", color=rx.color("accent", 11), size="3"),
                        rx.spacer(),
                        rx.text(card.seats, size="1", color=rx.color("gray", 10)),
                        width="100%", align="center", wrap="wrap",
                    ),
                    rx.hstack(
                        rx.icon("star", size=14,
                                color=rx.cond(card.has_rating, "#f5a524", rx.color("gray", 8))),
                        rx.text(card.rating, size="1", color=rx.color("gray", 10)),
                        align="center", spacing="1",
                    ),
                    spacing="1", width="100%", min_width="0",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            class_name="space-card",
        ),
        href=card.href,
        underline="none",
        width="100%",
        custom_attrs={"data-testid": "space-card"},
    )


def _amenity_icon(amenity: AmenityIcon) -> rx.Component:
    """An amenity as an icon with its name: a tooltip for the mouse, the accessible name for
    screen readers."""
    return rx.tooltip(
        rx.box(rx.icon(tag=amenity.icon, size=16, color=rx.color("gray", 10), aria_hidden="true"),
               display="flex", role="img", aria_label=amenity.name, title=amenity.name,
               custom_attrs={"data-testid": "amenity-icon"}),
        content=amenity.name,
    )


def section(title: str, *children: rx.Component, test_id: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"),
        width="100%", custom_attrs={"data-testid": test_id} if test_id else {},
    )


def scroll_table(headers: list[str], body, test_id: str, label: str) -> rx.Component:
    """A small table with its header row, scrolling sideways inside its own box on a phone."""
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(body), size="1", variant="surface", width="100%", aria_label=label,
        custom_attrs={"data-testid": test_id},
    ), overflow_x="auto", width="100%")


def empty_state(icon: str, title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 8)),
            rx.heading(title, size="4", text_align="center"),
            *children,
            align="center",
            spacing="3",
        ),
        padding_y="48px",
        width="100%",
    )


def pager(page, pages, go) -> rx.Component:
    """‹ page / pages ›; `go(step)` is the state's event handler taking -1 or +1."""
    return rx.hstack(
        rx.icon_button(rx.icon("chevron-left", size=16), size="1", variant="soft", disabled=page <= 1,
                       on_click=go(-1), aria_label=t("Назад")),
        rx.text(page, " / ", pages, size="2"),
        rx.icon_button(rx.icon("chevron-right", size=16), size="1", variant="soft", disabled=page >= pages,
                       on_click=go(1), aria_label=t("Дальше")),
        align="center", spacing="2",
    )


def date_range(date_from, date_to, on_from, on_to) -> rx.Component:
    """Two date inputs (дд.мм.гггг), "from — to"; the handlers take the new ISO value."""
    return rx.hstack(
        date_input(date_from, on_from, label=t("С"), test_id="period-from", width="9.5rem"),
        rx.text("—", color=rx.color("gray", 10)),
        date_input(date_to, on_to, label=t("По"), test_id="period-to", width="9.5rem"),
        align="center", spacing="2", wrap="wrap",
    )


# Until the page is live (React has hydrated the pre-rendered HTML), a submit button would
# make the browser send the form itself: GET, with every field in the URL (passwords in the
# address bar, history and logs). Private forms post instead (the server answers 405, no
# field leaves the page), and their submit buttons wait for the page to be live.
NOT_LIVE = ~rx.State.is_hydrated


def private_form(*children: rx.Component, **props) -> rx.Component:
    """rx.form for fields that must never reach a URL (passwords, codes, personal data)."""
    return rx.form(*children, method="post", reset_on_submit=False, **props)


def named_upload(name: str, upload: rx.Component) -> rx.Component:
    """rx.upload with an accessible name on its file input (react-dropzone keeps that input
    visually hidden but present for screen readers, and Reflex offers no prop for it)."""
    zone = upload.children[0]
    file_input = zone.children[0]
    file_input.custom_attrs["aria-label"] = name
    return upload


# --- Russian date and time inputs, the hold's countdown ---------------------------------------
#
# A native <input type="date"> or "time" shows the browser's own format (an English browser:
# mm/dd/yyyy and a 12-hour clock, whatever the page's lang says). These show and accept
# Russian formats everywhere: дд.мм.гггг with a calendar of Russian months, and a 24-hour
# чч:мм. The state keeps ISO values ("2026-12-31", "09:30"): the inputs convert on the
# browser's side and send a value only once it is a real date or time ("" when cleared).
# They are small React components compiled into the page (no eval), on Radix's TextField.

_INPUTS_JS = r"""
// The widgets' own words in both languages (the page passes its language as `lang`).
const COSPACE_WORDS = {
  ru: {
    months: ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
             "Ноябрь", "Декабрь"],
    monthsOf: ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
               "ноября", "декабря"],
    week: ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"],
    calendar: "Календарь", previous: "Предыдущий месяц календаря", next: "Следующий месяц календаря",
    datePlaceholder: "дд.мм.гггг", dateInvalid: "Введите дату как дд.мм.гггг",
    timePlaceholder: "чч:мм", timeInvalid: "Введите время как чч:мм, от 00:00 до 23:59",
  },
  en: {
    months: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"],
    monthsOf: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"],
    week: ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
    calendar: "Calendar", previous: "Previous month", next: "Next month",
    datePlaceholder: "dd.mm.yyyy", dateInvalid: "Enter the date as dd.mm.yyyy",
    timePlaceholder: "hh:mm", timeInvalid: "Enter the time as hh:mm, from 00:00 to 23:59",
  },
};
const cospaceWords = (lang) => COSPACE_WORDS[lang === "en" ? "en" : "ru"];
const cospacePad = (n) => String(n).padStart(2, "0");
const cospaceIso = (y, m, d) => `${y}-${cospacePad(m)}-${cospacePad(d)}`;

function cospaceIsoToRu(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${m[3]}.${m[2]}.${m[1]}` : "";
}

// "31.12.2026", "31/12/2026", "31-12-2026", "31122026", "1.2.2026" or a pasted ISO date -> ISO, else "".
function cospaceParseDate(text) {
  const t = (text || "").trim();
  let m = /^(\d{1,2})[.\/\- ](\d{1,2})[.\/\- ](\d{4})$/.exec(t) || /^(\d{2})(\d{2})(\d{4})$/.exec(t);
  let d, mo, y;
  if (m) { d = +m[1]; mo = +m[2]; y = +m[3]; }
  else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t))) { y = +m[1]; mo = +m[2]; d = +m[3]; }
  else return "";
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 2000 || y > 2100 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return "";
  return cospaceIso(y, mo, d);
}

// "9", "930", "0930", "9:30", "9.30", "09 30" -> "09:30"; "24:00" only where allowed; else "".
function cospaceParseTime(text, allow24) {
  const t = (text || "").trim();
  let m = /^(\d{1,2})(?:[:.\- ](\d{2}))?$/.exec(t) || /^(\d{2})(\d{2})$/.exec(t) || /^(\d)(\d{2})$/.exec(t);
  if (!m) return "";
  const h = +m[1], mi = m[2] === undefined ? 0 : +m[2];
  if (mi > 59 || h > 24 || (h === 24 && (mi !== 0 || !allow24))) return "";
  return `${cospacePad(h)}:${cospacePad(mi)}`;
}

function cospaceToday() {
  const now = new Date();
  return cospaceIso(now.getFullYear(), now.getMonth() + 1, now.getDate());
}

function CospaceDateInput({value, onChange, min, max, size, label, invalidText, lang, ...rest}) {
  const words = cospaceWords(lang);
  const [text, setText] = useState(cospaceIsoToRu(value));
  const [invalid, setInvalid] = useState(false);
  const [open, setOpen] = useState(false);
  const [month, setMonth] = useState((value || cospaceToday()).slice(0, 7));
  const sent = useRef(value);
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(cospaceIsoToRu(value));
      setInvalid(false);
      if (value) setMonth(value.slice(0, 7));
    }
  }, [value]);
  const allowed = (iso) => (!min || iso >= min) && (!max || iso <= max);
  const send = (iso) => { sent.current = iso; if (onChange) onChange(iso); };
  const typed = (e) => {
    const t = e.target.value.replace(/[^\d.\/\- ]/g, "").slice(0, 10);
    setText(t);
    if (t.trim() === "") { setInvalid(false); send(""); return; }
    const iso = cospaceParseDate(t);
    if (iso && allowed(iso)) { setInvalid(false); setMonth(iso.slice(0, 7)); send(iso); }
  };
  const left = () => {
    if (text.trim() === "") return;
    const iso = cospaceParseDate(text);
    if (iso && allowed(iso)) { setText(cospaceIsoToRu(iso)); setInvalid(false); }
    else setInvalid(true);
  };
  const pick = (iso) => { setText(cospaceIsoToRu(iso)); setInvalid(false); setOpen(false); send(iso); };
  const [y, mo] = month.split("-").map(Number);
  const shift = (step) => {
    const n = new Date(Date.UTC(y, mo - 1 + step, 1));
    setMonth(`${n.getUTCFullYear()}-${cospacePad(n.getUTCMonth() + 1)}`);
  };
  const first = (new Date(Date.UTC(y, mo - 1, 1)).getUTCDay() + 6) % 7;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const today = cospaceToday();
  const cells = [];
  for (let i = 0; i < first; i++) cells.push(jsx("span", {key: "b" + i}));
  for (let d = 1; d <= days; d++) {
    const iso = cospaceIso(y, mo, d);
    const chosen = iso === value;
    cells.push(jsx(RadixThemesButton, {
      key: iso, type: "button", size: "1", variant: chosen ? "solid" : (iso === today ? "soft" : "ghost"),
      color: chosen || iso === today ? undefined : "gray", disabled: !allowed(iso),
      "aria-label": `${d} ${words.monthsOf[mo - 1]} ${y}`, "aria-pressed": chosen,
      "data-day": iso, onClick: () => pick(iso),
      style: {margin: 0, width: "100%", padding: 0, fontVariantNumeric: "tabular-nums"},
    }, String(d)));
  }
  const calendar = jsx(RadixThemesPopover.Root, {open: open, onOpenChange: setOpen},
    jsx(RadixThemesPopover.Trigger, {},
      jsx(RadixThemesIconButton, {type: "button", size: "1", variant: "ghost", color: "gray",
        "aria-label": label ? `${words.calendar} — ${label}` : words.calendar},
        jsx(CospaceCalendarIcon, {size: 16, "aria-hidden": true}))),
    jsx(RadixThemesPopover.Content, {size: "1", style: {width: "17rem", maxWidth: "calc(100vw - 24px)"}},
      jsx("div", {style: {display: "flex", alignItems: "center", justifyContent: "space-between", marginBottom: 8}},
        jsx(RadixThemesIconButton, {type: "button", size: "1", variant: "ghost", onClick: () => shift(-1),
          "aria-label": words.previous}, jsx(CospaceChevronLeftIcon, {size: 16, "aria-hidden": true})),
        jsx(RadixThemesText, {size: "2", weight: "medium"}, `${words.months[mo - 1]} ${y}`),
        jsx(RadixThemesIconButton, {type: "button", size: "1", variant: "ghost", onClick: () => shift(1),
          "aria-label": words.next}, jsx(CospaceChevronRightIcon, {size: 16, "aria-hidden": true}))),
      jsx("div", {style: {display: "grid", gridTemplateColumns: "repeat(7, 1fr)", gap: 2}},
        ...words.week.map((w) => jsx(RadixThemesText, {key: w, size: "1", align: "center", color: "gray"}, w)),
        ...cells)));
  return jsx(RadixThemesTextField.Root, {
    ...rest, size: size || "2", value: text, onChange: typed, onBlur: left,
    placeholder: words.datePlaceholder, inputMode: "numeric", autoComplete: "off", maxLength: 10,
    "aria-label": label, "aria-invalid": invalid ? "true" : undefined,
    title: invalid ? (invalidText || words.dateInvalid) : undefined,
    color: invalid ? "red" : undefined, style: {fontVariantNumeric: "tabular-nums", ...(rest.style || {})},
  }, jsx(RadixThemesTextField.Slot, {side: "right"}, calendar));
}

function CospaceTimeInput({value, onChange, allow24, size, label, lang, ...rest}) {
  const words = cospaceWords(lang);
  const [text, setText] = useState(value || "");
  const [invalid, setInvalid] = useState(false);
  const sent = useRef(value);
  useEffect(() => {
    if (value !== sent.current) { sent.current = value; setText(value || ""); setInvalid(false); }
  }, [value]);
  const send = (v) => { sent.current = v; if (onChange) onChange(v); };
  const typed = (e) => {
    const t = e.target.value.replace(/[^\d:. \-]/g, "").slice(0, 5);
    setText(t);
    if (t.trim() === "") { setInvalid(false); send(""); return; }
    const v = /^\d{1,2}[:.\- ]\d{2}$|^\d{4}$/.test(t.trim()) ? cospaceParseTime(t, allow24) : "";
    if (v) { setInvalid(false); send(v); }
  };
  const left = () => {
    if (text.trim() === "") return;
    const v = cospaceParseTime(text, allow24);
    if (v) { setText(v); setInvalid(false); if (v !== sent.current) send(v); } else setInvalid(true);
  };
  return jsx(RadixThemesTextField.Root, {
    ...rest, size: size || "2", value: text, onChange: typed, onBlur: left, placeholder: words.timePlaceholder,
    inputMode: "numeric", autoComplete: "off", maxLength: 5, "aria-label": label,
    "aria-invalid": invalid ? "true" : undefined, title: invalid ? words.timeInvalid : undefined,
    color: invalid ? "red" : undefined, style: {fontVariantNumeric: "tabular-nums", ...(rest.style || {})},
  });
}

// Counts down to a moment `seconds` after it was given (the server's count: the browser's
// clock may be off), shows mm:ss and calls onExpire once at zero. `run` restarts it.
function CospaceCountdown({seconds, run, onExpire, ...rest}) {
  const [left, setLeft] = useState(Math.max(0, seconds || 0));
  useEffect(() => {
    const end = Date.now() + Math.max(0, seconds || 0) * 1000;
    let fired = false;
    const tick = () => {
      const s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      setLeft(s);
      if (s === 0 && !fired) { fired = true; clearInterval(timer); if (onExpire) onExpire(); }
    };
    const timer = setInterval(tick, 250);
    tick();
    return () => clearInterval(timer);
  }, [seconds, run]);
  return jsx("span", {...rest, role: "timer", "data-seconds": left},
    `${cospacePad(Math.floor(left / 60))}:${cospacePad(left % 60)}`);
}
"""

_RADIX = "@radix-ui/themes@3.3.0"  # the version Reflex's own Radix components import
_LUCIDE = "lucide-react@1.26.0"  # likewise for icons (one module per icon)


def _icon(name: str, file: str) -> rx.ImportVar:
    return rx.ImportVar(tag=name, is_default=True, package_path=f"/dist/esm/icons/{file}.mjs")


_JS_IMPORTS = {
    "react": [rx.ImportVar(tag="useEffect"), rx.ImportVar(tag="useRef"), rx.ImportVar(tag="useState")],
    "@emotion/react": [rx.ImportVar(tag="jsx")],
    _RADIX: [rx.ImportVar(tag="TextField", alias="RadixThemesTextField"),
             rx.ImportVar(tag="Popover", alias="RadixThemesPopover"),
             rx.ImportVar(tag="IconButton", alias="RadixThemesIconButton"),
             rx.ImportVar(tag="Button", alias="RadixThemesButton"),
             rx.ImportVar(tag="Text", alias="RadixThemesText")],
    _LUCIDE: [_icon("CospaceCalendarIcon", "calendar"), _icon("CospaceChevronLeftIcon", "chevron-left"),
              _icon("CospaceChevronRightIcon", "chevron-right")],
}


class _LocalWidget(rx.Component):
    """A component defined by _INPUTS_JS (compiled into the page, no library to install)."""

    library = None

    def add_imports(self):
        return _JS_IMPORTS

    def add_custom_code(self) -> list[str]:
        return [_INPUTS_JS]


class _DateInput(_LocalWidget):
    tag = "CospaceDateInput"
    value: rx.Var[str]
    min: rx.Var[str]
    max: rx.Var[str]
    size: rx.Var[str]
    label: rx.Var[str]
    lang: rx.Var[str]
    on_change: rx.EventHandler[passthrough_event_spec(str)]


class _TimeInput(_LocalWidget):
    tag = "CospaceTimeInput"
    value: rx.Var[str]
    allow24: rx.Var[bool]
    size: rx.Var[str]
    label: rx.Var[str]
    lang: rx.Var[str]
    on_change: rx.EventHandler[passthrough_event_spec(str)]


class _Countdown(_LocalWidget):
    tag = "CospaceCountdown"
    seconds: rx.Var[int]
    run: rx.Var[int]
    on_expire: rx.EventHandler[no_args_event_spec]


def date_input(value, on_change, *, label: str, test_id: str = "", min_date=None, max_date=None,
               size: str = "2", **props) -> rx.Component:
    """A date as дд.мм.гггг whatever the browser's language, with a Russian calendar; the
    state gets ISO ("2026-12-31", "" when cleared). `label`: its accessible name."""
    attrs = {"min": min_date, "max": max_date}
    return _DateInput.create(
        value=value, on_change=on_change, label=label, size=size, lang=LanguageState.lang,
        **{k: v for k, v in attrs.items() if v is not None},
        custom_attrs={"data-testid": test_id, "data-date-input": "ru"} if test_id else {"data-date-input": "ru"},
        **props)


def time_input(value, on_change, *, label: str, test_id: str = "", allow_24: bool = False,
               size: str = "2", **props) -> rx.Component:
    """A 24-hour time as чч:мм whatever the browser's language; the state gets "09:30"
    ("" when cleared; "24:00" only with allow_24, for "until midnight")."""
    return _TimeInput.create(
        value=value, on_change=on_change, label=label, size=size, allow24=allow_24, lang=LanguageState.lang,
        custom_attrs={"data-testid": test_id, "data-time-input": "ru"} if test_id else {"data-time-input": "ru"},
        **props)


def countdown(seconds, run, on_expire, *, label: str, test_id: str = "countdown") -> rx.Component:
    """mm:ss counting down from `seconds` (restarted when `run` changes); `on_expire` at zero.
    `label`: what it counts, for screen readers (a role="timer" is not read out each second)."""
    return _Countdown.create(seconds=seconds, run=run, on_expire=on_expire,
                             custom_attrs={"data-testid": test_id, "aria-label": label})


def offline_payment_card(found, heading, *body: rx.Component, missing: rx.Component,
                      max_width: str = "560px") -> rx.Component:
    """The test provider's payment pages (a booking's, an invoice's): a card with the badge that
    no money moves, the heading and `body`; `missing` when the payment is not the person's."""
    return rx.center(rx.card(
        rx.cond(
            found,
            rx.vstack(rx.badge(t("Тестовый платёж — деньги не списываются"), color_scheme="amber"),
                      rx.heading(heading, size="5"), *body, spacing="4", align="start", width="100%"),
            missing,
        ),
        width="100%", max_width=max_width,
    ), width="100%", padding_y=rx.breakpoints(initial="8px", md="24px"))


def _checkout_row(label: str, value, test_id: str) -> rx.Component:
    return rx.flex(rx.text(label, size="2", color=rx.color("gray", 11)), rx.spacer(),
                   rx.text(value, size="2", weight="medium", text_align="right", custom_attrs={"data-testid": test_id}),
                   width="100%", spacing="3")


def test_payment_card(c, heading, rows: list[tuple], *, prefix: str, payable,
                      after: rx.Component, back: tuple[str, str], extra: rx.Component | None = None) -> rx.Component:
    """The test provider's page of an invoice or a plan (state.test_payment.TestPaymentPage
    `c`): `rows` (label, value, test id[, shown when]), the total, "Оплатить" / "Отклонить" while `payable`,
    else `after`; `extra` below the rows; `back` (label, address) when the payment is not the
    person's. Test ids
    start with `prefix` ("invoice-checkout", "plan-checkout")."""
    return offline_payment_card(
        c.found, heading,
        rx.vstack(
            *[rx.cond(row[3], _checkout_row(*row[:3])) if len(row) > 3 else _checkout_row(*row) for row in rows],
            *([extra] if extra is not None else []),
            rx.separator(size="4"),
            rx.flex(rx.text(t("Итого к оплате"), size="3", weight="bold"), rx.spacer(),
                    rx.text(c.amount, size="3", weight="bold", custom_attrs={"data-testid": f"{prefix}-amount"}),
                    width="100%"),
            spacing="2", width="100%",
        ),
        rx.cond(c.message != "", rx.callout(c.message, icon="info", color_scheme="red", size="1",
                                            width="100%", role="alert")),
        rx.cond(
            payable,
            rx.flex(
                rx.button(rx.cond(c.busy, rx.spinner(size="2"), rx.icon("check", size=16)),
                          t("Оплатить"), size="3", disabled=c.busy, on_click=c.complete("succeeded"),
                          custom_attrs={"data-testid": f"{prefix}-pay"}),
                rx.button(t("Отклонить"), size="3", variant="soft", color_scheme="red", disabled=c.busy,
                          on_click=c.complete("declined"), custom_attrs={"data-testid": f"{prefix}-decline"}),
                spacing="3", wrap="wrap",
            ),
            after,
        ),
        missing=empty_state("credit-card", t("Платёж не найден"), rx.link(rx.button(back[0]), href=back[1])),
        max_width="520px",
    )
