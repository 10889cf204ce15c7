"""The Reflex app: pages, theme, and the REST API mounted on the same port."""

from __future__ import annotations

import reflex as rx

from coworking_app import cluster

from coworking_app.api import create_api, limit_api_threads
from coworking_app.page_status import page_status
from coworking_app.reflex_events import measure_events
from pages.admin import dashboard_page
from pages.admin_audit import audit_page, reports_page
from pages.admin_finance import admin_finance_page
from pages.admin_market import market_admin_page
from pages.admin_promos import promos_page
from pages.admin_tables import tables_page
from pages.auth import (
    login_page,
    reset_password_page,
    signup_confirm_page,
    signup_page,
    verify_email_page,
)
from pages.bookings import checkout_page, my_bookings_page, owner_bookings_page
from pages.cabinet import cabinet_page
from pages.checkin import staff_checkin_page
from pages.company import company_page, join_company_page
from pages.invoice_checkout import invoice_checkout_page
from pages.favourites import favourites_page
from pages.not_found import not_found_page
from pages.notifications import notifications_page
from pages.home import home_page
from pages.inbox import inbox_page, thread_page
from pages.market import owner_market_page
from pages.moderation import moderation_page
from pages.owner import owner_page, space_editor_page, space_preview_page
from pages.owner_finance import owner_finance_page
from pages.owner_plans import owner_plans_page
from pages.payments import payments_page
from pages.plans import my_plans_page, plan_checkout_page
from pages.search import search_page
from pages.series import series_checkout_page
from pages.space import space_page
from pages.telegram import telegram_page
from state.account_forms import (
    LoginState,
    SignupConfirmState,
    SignupState,
    VerifyEmailState,
)
from state.admin_audit import AuditState, ReportsState
from state.admin_dashboard import DashboardState
from state.admin_finance import AdminFinanceState
from state.admin_invoices import AdminInvoicesState
from state.admin_market import MarketListingsState, MarketRunsState, MarketSourcesState
from state.admin_market_keys import MarketKeysState
from state.admin_promos import PromoState
from state.admin_tables import AdminTableState
from state.auth import AuthState, on_backend_exception
from state.booking import BookingPanelState
from state.bookings import CheckoutState, MyBookingsState, OwnerBookingsState
from state.cabinet import CabinetState
from state.company import CompanyState, JoinCompanyState
from state.favourites import FavouritesState
from state.home import HomeState
from state.inbox import InboxState
from state.invoice_payment import InvoiceCheckoutState, InvoicePayState
from state.checkin import StaffCheckinState
from state.waitlist import MyWaitlistState
from state.market import OwnerMarketState
from state.moderation import ModerationState
from state.notifications import NotificationPrefsState, NotificationState, serve_from
from state.owner import OwnerState, SpaceEditorState, SpacePreviewState
from state.owner_finance import OwnerFinanceState
from state.owner_plans import OwnerPlansState, PlanFiguresState
from state.owner_rules import BookingRulesState, ClosuresState, GuestOfferState
from state.payments import PaymentsState
from state.plans import MyPlansState, PlanCheckoutState, SpacePlansState
from state.search import SearchState
from state.series import MySeriesState, SeriesCheckoutState
from state.reviews import SpaceReviewsState
from state.space import SpaceState
from state.telegram import TelegramLinkState, TelegramState
from state.lang import LanguageMiddleware, t

# Tabs keep their page state when the instance holding their websocket dies (several
# instances on one Redis: coworking_app/cluster.py).
cluster.install()

app = rx.App(
    html_lang="ru",  # screen readers read the pages as Russian
    # page_status: HTTP 404 (and the 404 page) for /spaces/<id> of a space nobody can see.
    api_transformer=[create_api(), page_status],
    # Toasts at the top, under the header: at the bottom they covered the booking card's
    # buttons and the phone's sticky "Забронировать" bar.
    toaster=rx.toast.provider(position="top-center", offset="68px", close_button=True,
                              custom_attrs={"mobileOffset": {"top": "64px"}}),
    head_components=[rx.el.meta(name="theme-color", content="#0d9488")],
    stylesheets=["/styles.css"],
    # A handler that finds the session ended (state.auth.SessionEnded) sends the person to
    # sign-in and back; anything else as Reflex does by default.
    backend_exception_handler=on_backend_exception,
)
app.add_middleware(LanguageMiddleware())  # every event in its tab's language (state/lang.py)
app.register_lifespan_task(limit_api_threads)
measure_events()  # coworking_reflex_event_duration_seconds by handler
serve_from(app)  # the notification listener asks the app whether its tab is still open
# Every page first learns who is signed in (header, verify banner, private-page redirect).
user = AuthState.load_user
PAGES = [
    (home_page, "/", t("CoSpace — коворкинги для работы и встреч"), [HomeState.load]),
    (search_page, "/search", t("Поиск коворкингов — CoSpace"), [SearchState.on_load]),
    (space_page, "/spaces/[space_id]", t("Пространство — CoSpace"), [SpaceState.load, BookingPanelState.load, BookingPanelState.load_payers,
      BookingPanelState.load_plans, SpacePlansState.load, SpaceReviewsState.load]),
    (signup_page, "/signup", t("Регистрация — CoSpace"), [SignupState.load]),
    (signup_confirm_page, "/signup/confirm", t("Регистрация — CoSpace"), [SignupConfirmState.load]),
    (login_page, "/login", t("Вход — CoSpace"), [LoginState.load]),
    (verify_email_page, "/verify-email", t("Подтверждение email — CoSpace"), [VerifyEmailState.load]),
    (reset_password_page, "/reset-password", t("Сброс пароля — CoSpace"), []),
    (cabinet_page, "/cabinet", t("Личный кабинет — CoSpace"),
     [CabinetState.load, NotificationPrefsState.load, TelegramState.load]),
    (my_bookings_page, "/cabinet/bookings", t("Мои брони — CoSpace"),
     [MyBookingsState.load, MyWaitlistState.load, MySeriesState.load]),
    (payments_page, "/cabinet/payments", t("Платежи — CoSpace"), [PaymentsState.load]),
    (company_page, "/cabinet/company", t("Компания — CoSpace"), [CompanyState.load, InvoicePayState.came_back]),
    (join_company_page, "/company/join", t("Приглашение в компанию — CoSpace"), [JoinCompanyState.load]),
    (favourites_page, "/cabinet/favourites", t("Избранное — CoSpace"), [FavouritesState.load]),
    (notifications_page, "/cabinet/notifications", t("Уведомления — CoSpace"), [NotificationState.load_page]),
    (telegram_page, "/telegram", t("Подключение Telegram — CoSpace"), [TelegramLinkState.load]),
    (checkout_page, "/checkout/[payment_id]", t("Оплата — CoSpace"), [CheckoutState.load]),
    (staff_checkin_page, "/checkin", t("Отметка о приходе — CoSpace"), [StaffCheckinState.load]),
    (invoice_checkout_page, "/checkout/invoice/[payment_id]", t("Оплата счёта — CoSpace"), [InvoiceCheckoutState.load]),
    (series_checkout_page, "/checkout/series/[payment_id]", t("Оплата серии — CoSpace"), [SeriesCheckoutState.load]),
    (plan_checkout_page, "/checkout/plan/[payment_id]", t("Оплата абонемента — CoSpace"), [PlanCheckoutState.load]),
    (my_plans_page, "/cabinet/plans", t("Абонементы — CoSpace"), [MyPlansState.load]),
    (owner_bookings_page, "/owner/bookings", t("Брони — CoSpace"), [OwnerBookingsState.load_owner]),
    (inbox_page, "/inbox", t("Сообщения — CoSpace"), [InboxState.load_list]),
    (thread_page, "/inbox/[conversation_id]", t("Переписка — CoSpace"), [InboxState.load_thread]),
    (moderation_page, "/admin/moderation", t("Модерация — CoSpace"), [ModerationState.load]),
    (dashboard_page, "/admin", t("Панель оператора — CoSpace"), [DashboardState.load, PlanFiguresState.load]),
    (tables_page, "/admin/tables", t("Таблицы — CoSpace"), [AdminTableState.load]),
    (promos_page, "/admin/promos", t("Промокоды — CoSpace"), [PromoState.load]),
    (market_admin_page, "/admin/market", t("Рынок — CoSpace"),
     [MarketSourcesState.load, MarketRunsState.load, MarketListingsState.load, MarketKeysState.load]),
    (admin_finance_page, "/admin/finance", t("Финансы — CoSpace"), [AdminFinanceState.load, AdminInvoicesState.load]),
    (reports_page, "/admin/reports", t("Отчёты — CoSpace"), [ReportsState.load]),
    (audit_page, "/admin/audit", t("Журнал аудита — CoSpace"), [AuditState.load]),
    (dashboard_page, "/owner/analytics", t("Аналитика — CoSpace"), [DashboardState.load, PlanFiguresState.load]),
    (owner_page, "/owner", t("Мои пространства — CoSpace"), [OwnerState.load]),
    (owner_finance_page, "/owner/finance", t("Финансы — CoSpace"), [OwnerFinanceState.load]),
    (space_editor_page, "/owner/spaces/[space_id]", t("Редактор пространства — CoSpace"),
     [SpaceEditorState.load, BookingRulesState.load, ClosuresState.load, GuestOfferState.load]),
    (space_preview_page, "/owner/spaces/[space_id]/preview", t("Предпросмотр пространства — CoSpace"),
     [SpacePreviewState.load, SpaceReviewsState.load]),
    (owner_market_page, "/owner/spaces/[space_id]/market", t("Рынок рядом — CoSpace"), [OwnerMarketState.load]),
    (owner_plans_page, "/owner/spaces/[space_id]/plans", t("Абонементы пространства — CoSpace"), [OwnerPlansState.load]),
    (not_found_page, "404", t("Страница не найдена — CoSpace"), []),
]
for component, route, title, on_load in PAGES:
    app.add_page(component, route=route, title=title,
                 on_load=[user, NotificationState.start, *on_load])
