"""What a connector publishes for one target: its text (own or the post's), thread parts, first comment
and images, fitted to the network's limits."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlmodel import Session, col, select

from app.connectors.base import Connector, NotSent, PublishRequest, media_failure
from app.core import storage
from app.services.channels import channels
from app.services.errors import ValidationFailed
from models import MediaAsset, Post, PostTarget


def build_request(post: Post, target: PostTarget) -> PublishRequest:
    """What the connector publishes: the target's own text (or the post's), thread parts, first comment."""
    return request_for(target.idempotency_key, target.body if target.body is not None else post.body,
                    target.options)


def request_for(idempotency_key: str, body: str, options: dict[str, Any] | None) -> PublishRequest:
    """The request from a target's columns (the lease reads them without building the row)."""
    rest = dict(options or {})
    thread = tuple(str(p) for p in rest.pop("thread", []) or [])
    first_comment = rest.pop("first_comment", None)
    rest.pop("attempts_before_retry", None)  # engine bookkeeping, not for the network
    rest.pop("media", None)  # asset ids: loaded and fitted by `with_media` once the connector is known
    return PublishRequest(idempotency_key=idempotency_key, text=body, thread=thread,
                          first_comment=first_comment, options=rest)


def media_refs(options: dict[str, Any] | None) -> list[dict[str, str]]:
    """The target's attached images as [{"id": asset uuid, "alt": text}], in order."""
    refs = (options or {}).get("media") or []
    return [{"id": str(r["id"]), "alt": str(r.get("alt") or "")} for r in refs if isinstance(r, dict)]


def with_media(session: Session, request: PublishRequest, workspace_id: uuid.UUID,
               refs: list[dict[str, str]], connector: Connector) -> PublishRequest:
    """`request` carrying the referenced images of this workspace, each fitted to the connector's limits
    (re-encoded when too large); the alt text saved with the post wins over the asset's own."""
    from app.services.planning.media import fit_for_network  # only posts with media pay for Pillow

    ids = [uuid.UUID(r["id"]) for r in refs]
    rows = session.exec(select(MediaAsset).where(col(MediaAsset.id).in_(ids),
                                                 MediaAsset.workspace_id == workspace_id)).all()
    by_id = {a.id: a for a in rows}
    missing = [str(i) for i in ids if i not in by_id]
    if missing:
        raise NotSent(f"{len(missing)} attached image(s) no longer exist; edit the post and attach "
                             "them again")
    limits = connector.limits()
    items = []
    for ref, asset_id in zip(refs, ids, strict=True):
        asset = by_id[asset_id]
        item = replace(channels.media_item(asset), alt_text=ref["alt"] or asset.alt_text)
        try:
            items.append(fit_for_network(item, limits))
        except ValidationFailed as exc:
            raise NotSent(f"{asset.filename}: {exc}") from exc
        except storage.StorageError as exc:
            raise media_failure(asset.filename, exc) from exc
    return replace(request, media=tuple(items))
