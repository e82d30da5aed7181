"""Reflex config: reads the app's settings, nothing else."""

import os
import sys
from pathlib import Path

import reflex as rx

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
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="iris", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
