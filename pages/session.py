"""The page side of the session cookie (state/auth.py), on every page through page_frame:

- after sign-in, trades the one-time ticket for the HttpOnly cookie (POST
  /api/v1/auth/ui-session): new tabs and reloads are signed in from then on;
- after sign-out, has the cookie cleared (POST /api/v1/auth/ui-session/end) and tells the
  browser's other tabs (a localStorage key);
- when the tab comes back into view or another tab signed out, asks the server whether the
  session still lives (AuthState.check_session): a page whose session ended goes to sign-in.

The script is compiled into the page (no eval), and never sees the session token.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.vars.base import Var, VarData

from state.auth import SIGNED_OUT_KEY, AuthState


class _CookieSync(rx.Fragment):
    """Renders nothing; its hook does the cookie calls."""

    def add_hooks(self) -> list[str | Var]:
        ticket, nonce = AuthState.cookie_ticket, AuthState.end_nonce
        var_data = VarData.merge(ticket._get_all_var_data(), nonce._get_all_var_data())
        code = f"""
useEffect(() => {{
  const ticket = {ticket!s};
  const nonce = {nonce!s};
  const done = ticket || nonce;
  if (!done || window.sessionStorage.getItem("cospace-cookie-done") === done) return;
  window.sessionStorage.setItem("cospace-cookie-done", done);
  fetch(ticket ? "/api/v1/auth/ui-session" : "/api/v1/auth/ui-session/end", {{
    method: "POST",
    credentials: "same-origin",
    headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify(ticket ? {{ticket: ticket}} : {{}}),
  }}).catch(() => null).finally(() => {{
    if (!ticket) {{
      try {{ window.localStorage.setItem({json.dumps(SIGNED_OUT_KEY)}, String(Date.now())); }} catch (e) {{}}
    }}
  }});
}}, [{ticket!s}, {nonce!s}]);
"""
        return [Var(code, _var_data=var_data)]


def session_sync() -> rx.Component:
    return rx.fragment(
        _CookieSync.create(),
        rx.window_event_listener(on_visibility_change=AuthState.tab_shown,
                                 on_storage=AuthState.storage_changed),
    )
