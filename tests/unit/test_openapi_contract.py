"""The OpenAPI document tells the truth: every operation lists its error answers with the one error body,
and the length limits a client reads there are the ones the services enforce."""

import pytest

from app.api.main import create_api
from app.services import zones
from app.services.channels.channels import MAX_NAME as CHANNEL_NAME_MAX
from app.services.events import webhooks
from app.services.planning import assist, ideas, links, snippets
from app.services.tenancy import apikeys, invitations, workspaces

ERRORS = ("401", "403", "404", "409", "413", "422", "429")


@pytest.fixture(scope="module")
def spec() -> dict:
    return create_api().openapi()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def test_every_operation_lists_every_error_answer_with_the_error_body(spec):
    missing = {
        name: [s for s in ERRORS if
               op["responses"].get(s, {}).get("content", {}).get("application/json", {}).get("schema")
               != {"$ref": "#/components/schemas/ErrorBody"}]
        for name, op in _operations(spec)
    }
    missing = {name: codes for name, codes in missing.items() if codes}
    assert not missing, missing
    assert len(list(_operations(spec))) > 80  # the whole API, not a corner of it
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "problems"}
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"field", "message", "code"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's own shape is never sent


def _limit(spec: dict, schema: str, field: str) -> int:
    prop = spec["components"]["schemas"][schema]["properties"][field]
    options = prop.get("anyOf", [prop])
    return next(o["maxLength"] for o in options if "maxLength" in o)


@pytest.mark.parametrize("schema, field, real", [
    ("IdeaIn", "title", ideas.MAX_TITLE),
    ("IdeaIn", "notes", ideas.MAX_NOTES),
    ("SnippetIn", "name", snippets.MAX_NAME),
    ("SnippetIn", "body", snippets.MAX_BODY),
    ("LinkIn", "url", links.MAX_URL),
    ("AssistIn", "text", assist.MAX_INPUT),
    ("WebhookCreate", "url", webhooks.MAX_URL),
    ("WebhookCreate", "description", webhooks.MAX_DESCRIPTION),
    ("ApiKeyIn", "name", apikeys.NAME_MAX),
    ("WorkspaceIn", "name", workspaces.NAME_MAX),
    ("WorkspaceIn", "timezone", zones.ZONE_MAX),
    ("InvitationIn", "email", invitations.EMAIL_MAX),
    ("AcceptIn", "token", invitations.TOKEN_MAX),
    ("ChannelCreate", "name", CHANNEL_NAME_MAX),
    ("ScheduleIn", "timezone", zones.ZONE_MAX),
])
def test_documented_length_limits_are_the_enforced_ones(spec, schema, field, real):
    assert _limit(spec, schema, field) == real
