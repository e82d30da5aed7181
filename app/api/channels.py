"""Channels of a workspace: connect, list, re-connect, disconnect, and check content against limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, SessionDep, WorkspaceContext, require
from app.connectors import catalogue
from app.services.channels import channel_oauth
from app.services.channels import channels as channel_service
from app.services.errors import NotFound
from app.services.planning import media as media_service
from models import NETWORKS, Channel, MediaAsset

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["channels"])
networks_router = APIRouter(tags=["channels"])
ChannelReader = Annotated[WorkspaceContext, Depends(require("channel:read"))]
ChannelManager = Annotated[WorkspaceContext, Depends(require("channel:manage"))]
MediaUploader = Annotated[WorkspaceContext, Depends(require("media:upload"))]

# Settings a client may see: where the account lives and the limits read from it (never credentials).
PUBLIC_SETTINGS = ("endpoint", "limits", "room_id", "did", "author_urn", "api_version", "chat_username")


class ChannelCreate(BaseModel):
    network: str = Field(description=f"one of: {', '.join(NETWORKS)}")
    name: str | None = Field(default=None, max_length=120)
    credentials: dict[str, Any] = Field(
        description="per network, e.g. Bluesky {identifier, app_password, service?}; never returned"
    )
    settings: dict[str, Any] = Field(default_factory=dict, description="e.g. Matrix {room_id}")


class OAuthStart(BaseModel):
    network: str = Field(description="x or mastodon")
    instance: str | None = Field(
        default=None, max_length=255, description="Mastodon: the server, e.g. mastodon.social"
    )


class OAuthStarted(BaseModel):
    authorize_url: str = Field(
        description="open this in the browser; the network sends the admin back with a code"
    )


class OAuthFinish(BaseModel):
    state: str = Field(max_length=200)
    code: str = Field(max_length=2048)


class ChannelReconnect(BaseModel):
    credentials: dict[str, Any]


class ChannelPublic(BaseModel):
    id: uuid.UUID
    network: str
    name: str
    account: str
    status: str
    status_reason: str
    settings: dict[str, Any]
    alerts: list[str]
    last_verified_at: datetime | None
    created_at: datetime


class Disconnected(BaseModel):
    id: uuid.UUID
    waiting_posts: int = Field(description="posts still scheduled for this channel; they will not publish")


class ProblemOut(BaseModel):
    network: str
    field: str
    message: str
    limit: int | None
    actual: int | None


class ContentCheck(BaseModel):
    network: str | None = Field(default=None, description="check against a network's limits ...")
    channel_id: uuid.UUID | None = Field(default=None, description="... or a channel's own")
    text: str = Field(default="", max_length=200_000)
    thread: list[str] = Field(default_factory=list, max_length=100)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    first_comment: str | None = None


class ContentCheckResult(BaseModel):
    ok: bool
    problems: list[ProblemOut]


class LimitsOut(BaseModel):
    network: str
    max_chars: int
    max_text_bytes: int
    max_caption_chars: int
    max_media: int
    max_image_bytes: int
    image_types: list[str]
    supports_threads: bool
    supports_alt_text: bool


class MediaPublic(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    alt_text: str
    created_at: datetime


def channel_public(channel: Channel) -> ChannelPublic:
    settings = {k: v for k, v in (channel.settings or {}).items() if k in PUBLIC_SETTINGS}
    return ChannelPublic(
        id=channel.id,
        network=channel.network,
        name=channel.name,
        account=channel.account,
        status=channel.status,
        status_reason=channel.status_reason,
        settings=settings,
        alerts=channel_service.channel_alerts(channel),
        last_verified_at=channel.last_verified_at,
        created_at=channel.created_at,
    )


@router.get("/channels", response_model=list[ChannelPublic])
def list_channels(
    session: SessionDep,
    ctx: ChannelReader,
    include_disabled: bool = False,
) -> list[ChannelPublic]:
    """The workspace's channels with their status and any alert to act on."""
    rows = channel_service.list_channels(
        session, user_id=ctx.user.id, workspace_id=ctx.workspace.id, include_disabled=include_disabled
    )
    return [channel_public(c) for c in rows]


@router.post("/channels", response_model=ChannelPublic, status_code=status.HTTP_201_CREATED)
def connect_channel(
    body: ChannelCreate,
    session: SessionDep,
    ctx: ChannelManager,
) -> ChannelPublic:
    """Connect an account: the network checks the credentials first; they are stored encrypted."""
    channel = channel_service.connect_channel(
        session,
        user_id=ctx.user.id,
        workspace_id=ctx.workspace.id,
        network=body.network,
        credentials=body.credentials,
        name=body.name,
        settings=body.settings,
    )
    return channel_public(channel)


@router.get("/channels/{channel_id}", response_model=ChannelPublic)
def get_channel(
    channel_id: uuid.UUID,
    session: SessionDep,
    ctx: ChannelReader,
) -> ChannelPublic:
    """One channel."""
    return channel_public(
        channel_service.get_channel(
            session, user_id=ctx.user.id, workspace_id=ctx.workspace.id, channel_id=channel_id
        )
    )


@router.post("/channels/{channel_id}/reconnect", response_model=ChannelPublic)
def reconnect_channel(
    channel_id: uuid.UUID,
    body: ChannelReconnect,
    session: SessionDep,
    ctx: ChannelManager,
) -> ChannelPublic:
    """New credentials for the same account (after a revoked token or a new app password)."""
    return channel_public(
        channel_service.reconnect_channel(
            session,
            user_id=ctx.user.id,
            workspace_id=ctx.workspace.id,
            channel_id=channel_id,
            credentials=body.credentials,
        )
    )


@router.delete("/channels/{channel_id}", response_model=Disconnected)
def disconnect_channel(
    channel_id: uuid.UUID,
    session: SessionDep,
    ctx: ChannelManager,
) -> Disconnected:
    """Disconnect: credentials are wiped; the row stays so waiting posts show why they cannot publish."""
    waiting = channel_service.disconnect_channel(
        session, user_id=ctx.user.id, workspace_id=ctx.workspace.id, channel_id=channel_id
    )
    return Disconnected(id=channel_id, waiting_posts=waiting)


@router.post("/channels/check", response_model=ContentCheckResult)
def check_content(
    body: ContentCheck,
    session: SessionDep,
    ctx: ChannelReader,
) -> ContentCheckResult:
    """Problems of this content for a network or channel, each naming the limit and the fix."""
    target: str | Channel
    if body.channel_id:
        target = channel_service.get_channel(
            session, user_id=ctx.user.id, workspace_id=ctx.workspace.id, channel_id=body.channel_id
        )
    else:
        target = body.network or ""
    assets = []
    for media_id in body.media_ids:
        asset = session.get(MediaAsset, media_id)
        if asset is None or asset.workspace_id != ctx.workspace.id:
            raise NotFound("media not found", field="media_ids")
        assets.append(asset)
    problems = channel_service.validate_content(target, body.text, assets, body.thread, body.first_comment)
    return ContentCheckResult(ok=not problems, problems=[ProblemOut(**p.__dict__) for p in problems])


@router.post("/media", response_model=MediaPublic, status_code=status.HTTP_201_CREATED)
def upload_media(
    session: SessionDep,
    ctx: MediaUploader,
    file: Annotated[UploadFile, File()],
    alt_text: Annotated[str, Form()] = "",
) -> MediaPublic:
    """Upload an image (JPEG, PNG, WebP, GIF; checked by its bytes) with its alt text."""
    # Read one byte past the limit so an oversized file is refused by size, not cut short silently.
    data = file.file.read(media_service.MAX_UPLOAD_BYTES + 1)
    asset = media_service.store_upload(
        session,
        user_id=ctx.user.id,
        workspace_id=ctx.workspace.id,
        filename=file.filename or "image",
        data=data,
        alt_text=alt_text,
    )
    return MediaPublic(**asset.model_dump(include=set(MediaPublic.model_fields)))


@networks_router.get("/networks", response_model=list[LimitsOut])
def network_limits() -> list[LimitsOut]:
    """Each network's default limits (a Mastodon channel uses its instance's own), from the catalogue."""
    return [
        LimitsOut(
            network=name,
            max_chars=lim.max_chars,
            max_text_bytes=lim.max_text_bytes,
            max_caption_chars=lim.max_caption_chars or lim.max_chars,
            max_media=lim.max_media,
            max_image_bytes=lim.max_image_bytes,
            image_types=list(lim.image_types),
            supports_threads=lim.supports_threads,
            supports_alt_text=lim.supports_alt_text,
        )
        for name, lim in ((n.name, n.limits) for n in catalogue.NETWORKS.values())
    ]


@router.post("/channels/oauth/start", response_model=OAuthStarted)
def start_oauth(
    body: OAuthStart,
    session: SessionDep,
    ctx: ChannelManager,
) -> OAuthStarted:
    """Begin connecting X or Mastodon through the network's own sign-in page."""
    url = channel_oauth.start_oauth(
        session,
        user_id=ctx.user.id,
        workspace_id=ctx.workspace.id,
        network=body.network,
        instance=body.instance,
    )
    return OAuthStarted(authorize_url=url)


@networks_router.post(
    "/channels/oauth/finish", response_model=ChannelPublic, status_code=status.HTTP_201_CREATED
)
def finish_oauth(body: OAuthFinish, session: SessionDep, user: CurrentUser) -> ChannelPublic:
    """Finish with the `state` and `code` the network put on the callback URL."""
    return channel_public(
        channel_oauth.finish_oauth(session, user_id=user.id, state=body.state, code=body.code))
