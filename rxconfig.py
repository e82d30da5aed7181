"""Reflex config: reads the app's settings, nothing else."""

import os
import sys
from pathlib import Path

import reflex as rx

from app.api.security import allowed_origins
from app.core.config import get_settings

settings = get_settings()
# Node and bun come from the venv's wheels; Reflex must not try to download them.
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    bun_path=Path(sys.prefix) / "bin" / "bun",
    redis_url=settings.state_redis_url if settings.redis_url else None,
    # Never "*" (Reflex's default, which with credentials let any site call in): the API's own list, for
    # Reflex's CORS and socket.io. The websocket's origin is also checked by WebsocketOriginGate.
    cors_allowed_origins=allowed_origins(),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="iris", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
