"""Plotly figures of the dashboard, built from services.admin.analytics results (no queries here)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coworking_app.services.admin import analytics
from coworking_app.formatting import CURRENCY_SIGNS, UNIT_LABELS
from coworking_app.services.booking.booking_states import STATUS_LABELS
from coworking_app import i18n
from coworking_app.i18n import N_, tr

ACCENT = "#0d9488"
WEEKDAYS = [N_("Пн"), N_("Вт"), N_("Ср"), N_("Чт"), N_("Пт"), N_("Сб"), N_("Вс")]
STATUS_COLORS = {"pending_payment": "#f5a524", "paid": "#3b82f6", "confirmed": ACCENT, "completed": "#14b8a6",
                 "cancelled": "#9ca3af", "expired": "#d1d5db", "no_show": "#ef4444"}


def _layout(fig: go.Figure, *, y_title: str = "", height: int = 300) -> go.Figure:
    fig.update_layout(
        height=height, margin={"l": 48, "r": 12, "t": 12, "b": 40}, autosize=True,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, sans-serif", "size": 12, "color": "#3f4654"},
        separators=", " if i18n.current() == "ru" else ".,",  # decimal sign, then thousands
        yaxis={"title": y_title, "gridcolor": "#e5e7eb", "zeroline": False},
        xaxis={"gridcolor": "#f3f4f6"}, showlegend=False, hovermode="x unified",
    )
    return fig


def occupancy(days: list[analytics.DayOccupancy]) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=[d.day.isoformat() for d in days], y=[d.pct for d in days], mode="lines+markers",
        line={"color": ACCENT, "width": 2}, marker={"size": 5}, fill="tozeroy", fillcolor="rgba(13,148,136,0.12)",
        hovertemplate="%{x|%d.%m.%Y}: %{y:.1f} %<extra></extra>"))
    fig = _layout(fig, y_title="%")
    fig.update_yaxes(rangemode="tozero")
    return fig


def revenue(points: list[analytics.RevenuePoint]) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=[p.period.isoformat() for p in points], y=[p.revenue_minor / 100 for p in points],
        marker_color=ACCENT, customdata=[p.bookings for p in points],
        hovertemplate=tr("%{x|%d.%m.%Y}: %{y:,.0f} ₽ · броней: %{customdata}<extra></extra>")))
    return _layout(fig, y_title="₽")


def statuses(counts: dict[str, int]) -> go.Figure:
    labels = list(counts)
    fig = go.Figure(go.Pie(
        labels=[STATUS_LABELS.get(s, s) for s in labels], values=[counts[s] for s in labels], hole=0.55,
        marker={"colors": [STATUS_COLORS.get(s, "#9ca3af") for s in labels]}, sort=False,
        textinfo="percent", hovertemplate="%{label}: %{value}<extra></extra>"))
    fig = _layout(fig)
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.1}, hovermode="closest")
    return fig


def top_spaces(top: list[analytics.TopSpace]) -> go.Figure:
    rows = list(reversed(top))
    fig = go.Figure(go.Bar(
        x=[t.revenue_minor / 100 for t in rows], y=[t.name[:32] for t in rows], orientation="h",
        marker_color=ACCENT, customdata=[t.bookings for t in rows],
        hovertemplate=tr("%{y}: %{x:,.0f} ₽ · броней: %{customdata}<extra></extra>")))
    fig = _layout(fig, height=max(240, 28 * len(rows) + 60))
    fig.update_layout(margin={"l": 8, "r": 12, "t": 12, "b": 32}, hovermode="closest")
    fig.update_yaxes(automargin=True)
    return fig


def heatmap(grid: list[list[float]]) -> go.Figure:
    fig = go.Figure(go.Heatmap(
        z=grid, x=[f"{h:02d}" for h in range(24)], y=[tr(day) for day in WEEKDAYS], colorscale=[[0, "#f0fdfa"], [1, ACCENT]],
        zmin=0, zmax=max(1.0, max((max(row) for row in grid), default=0.0)), hovertemplate="%{y} %{x}:00 — %{z:.1f} %<extra></extra>", colorbar={"title": "%", "thickness": 10}))
    fig = _layout(fig, height=280)
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    fig.update_layout(hovermode="closest")
    return fig


def market_prices(units: list) -> go.Figure:
    """"Рынок рядом": competitors' prices as one box per unit and currency (listings.UnitStats),
    every price a point beside its box, the space's own price a diamond. Each unit has a
    panel and a scale of its own: an hour's 500 ₽ beside a month's 12 000 ₽ on one axis
    would be a flat line at the bottom."""
    from_minor = 100
    names = [tr("за {get}, {get2}", get=UNIT_LABELS.get(u.unit, u.unit), get2=CURRENCY_SIGNS.get(u.currency, u.currency)) for u in units]
    fig = make_subplots(rows=1, cols=max(1, len(units)), horizontal_spacing=0.13 if len(units) < 4 else 0.08)
    for i, (name, u) in enumerate(zip(names, units), start=1):
        fig.add_trace(go.Box(
            y=[p / from_minor for p in u.prices], name=name, boxpoints="all", jitter=0.4, pointpos=-1.6,
            marker={"color": ACCENT, "size": 5, "opacity": 0.6}, line={"color": ACCENT}, fillcolor="rgba(13,148,136,0.12)",
            hovertemplate="%{y:,.0f}<extra></extra>"), row=1, col=i)
        if u.own_price is not None:
            fig.add_trace(go.Scatter(
                x=[name], y=[u.own_price / from_minor], mode="markers", name=tr("Ваша цена"),
                marker={"symbol": "diamond", "size": 14, "color": "#f5a524", "line": {"color": "#3f4654", "width": 1}},
                hovertemplate=tr("Ваша цена: %{y:,.0f}<extra></extra>")), row=1, col=i)
    fig = _layout(fig, height=340)
    fig.update_layout(hovermode="closest", margin={"l": 8, "r": 8, "t": 12, "b": 40})
    fig.update_yaxes(gridcolor="#e5e7eb", zeroline=False, rangemode="tozero", automargin=True, tickformat=",.0f",
                     tickfont={"size": 10})
    fig.update_xaxes(gridcolor="#f3f4f6", automargin=True)
    return fig
