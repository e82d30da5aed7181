"""Scoped API keys of the signed-in user. The secret is in the creation answer only."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import SessionDep, SignedInUser
from app.services.tenancy import apikeys
from models import ApiKey

router = APIRouter(prefix="/api-keys", tags=["api keys"])


class ApiKeyIn(BaseModel):
    workspace_id: uuid.UUID
    name: str = Field(max_length=apikeys.NAME_MAX)
    scopes: list[str] = Field(max_length=20, description=f"Any of: {', '.join(apikeys.SCOPES)}")
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The whole key. Shown this once: store it now.")


def key_out(k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=k.id, workspace_id=k.workspace_id, name=k.name, prefix=k.prefix, scopes=k.scopes,
                     created_at=k.created_at, last_used_at=k.last_used_at, expires_at=k.expires_at,
                     revoked_at=k.revoked_at)


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyIn, session: SessionDep, user: SignedInUser) -> ApiKeyCreated:
    """Create a key for one workspace with the given scopes."""
    created = apikeys.create(session, user.id, body.workspace_id, body.name, body.scopes, body.expires_at)
    return ApiKeyCreated(**key_out(created.key).model_dump(), key=created.secret)


@router.get("", response_model=list[ApiKeyOut])
def list_keys(session: SessionDep, user: SignedInUser) -> list[ApiKeyOut]:
    """Your keys: prefix, scopes, last use; never the secret."""
    return [key_out(k) for k in apikeys.list_keys(session, user.id)]


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke_key(key_id: uuid.UUID, session: SessionDep, user: SignedInUser) -> ApiKeyOut:
    """Revoke a key: it stops working at once."""
    return key_out(apikeys.revoke(session, user.id, key_id))
