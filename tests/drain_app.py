"""The REST API served by Granian with the web process's drain installed as `quillcast web` does it (a
Reflex lifespan task there, a Starlette lifespan here): tests/integration/test_web_drain.py serves it
without building the Reflex frontend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount

from app.api.main import create_api
from app.core import drain


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    drain.install()
    yield


app = Starlette(routes=[Mount("/", app=create_api())], lifespan=lifespan)
