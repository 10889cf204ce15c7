import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from coworking_app.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="coworking_app",
    # The app's own code uses coworking_app/db.py; db_url here serves Reflex's /_health.
    # Alembic is configured in pyproject.toml (no ./alembic.ini), which keeps Reflex's
    # PostGIS-unaware schema check and `reflex db makemigrations` switched off.
    db_url=_settings.database_url,
    redis_url=_settings.redis_url,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    api_url=_settings.public_url or f"http://localhost:{_settings.port}",
    deploy_url=_settings.public_url or f"http://localhost:{_settings.port}",
    # Pages of these origins only may call the API and /_upload with the user's cookies
    # (CORS on every layer Reflex adds) and open the /_event websocket (socket.io refuses
    # any other Origin): PUBLIC_URL's and CORS_EXTRA_ORIGINS (settings.allowed_origins).
    cors_allowed_origins=_settings.allowed_origins,
    show_built_with_reflex=False,
    telemetry_enabled=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="large",
                           appearance="light")
        ),
    ],
    disable_plugins=[SitemapPlugin],  # no public sitemap of dynamic pages yet
)
