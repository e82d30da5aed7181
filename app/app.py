"""The Reflex app: registers pages and mounts the API, nothing more."""

import reflex as rx

from app.api.main import create_api
from app.pages import routes
from app.pages.status import status_page
from state.status import StatusState

app = rx.App(api_transformer=create_api())
app.add_page(status_page, route=routes.HOME, title="Quillcast — status", on_load=StatusState.refresh)
