# Imported with any service: its flush hook refuses text PostgreSQL cannot store, naming the field.
from app.services import inputs as _inputs  # noqa: F401
