"""Media assets: store an uploaded image after checking what it really is, and fit it to a network.

The file type comes from the bytes (`filetype`), never from the name or the browser's word; Pillow
must decode it, which also refuses decompression bombs. Resizing re-encodes a copy for a network whose
limits the original exceeds (e.g. Bluesky's 1,000,000 bytes); the original is kept as uploaded.
Bytes go to and come from the media store (app/core/storage.py: DATA_DIR/media or a bucket); a store that
fails is an `Unavailable` (503) naming the file, with the operator's reason in the log.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import unicodedata
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import filetype
import structlog
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, select

from app.connectors.base import Limits, MediaItem
from app.core import storage
from app.services import audit, usage
from app.services.errors import DomainError, NotFound, Unavailable, ValidationFailed
from app.services.tenancy import permissions
from models import MediaAsset

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 50_000_000  # beyond this Pillow calls it a decompression bomb
MAX_ALT_TEXT = 2000

log = structlog.get_logger("media")


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def inspect_image(data: bytes) -> ImageInfo:
    """What the bytes are, with their dimensions; ValidationFailed(field="file") if not a usable image."""
    if not data:
        raise ValidationFailed("the file is empty; choose an image file", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"the file has {len(data):,} bytes; upload at most {MAX_UPLOAD_BYTES:,}", field="file"
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in IMAGE_TYPES:
        seen = f" (it looks like {kind.mime})" if kind else ""
        raise ValidationFailed(
            f"this file is not a JPEG, PNG, WebP or GIF image{seen}; export it as one of those", field="file"
        )
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_PIXELS and twice that; a warning is not enough here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(
            f"the image has too many pixels; use at most {MAX_PIXELS:,}", field="file"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            "the image is damaged and cannot be read; export it again", field="file"
        ) from exc
    return ImageInfo(kind.mime, width, height)


def safe_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", Path(name or "").name).strip()
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", name)
    return (name or "image")[:255]


def storage_key(workspace_id: uuid.UUID, digest: str, content_type: str) -> str:
    """Where an upload is kept in the media store: per workspace, named by its content."""
    return f"{workspace_id}/{digest}.{IMAGE_TYPES[content_type]}"


def storage_failure(filename: str, doing: str, exc: storage.StorageError, field: str = "file") -> DomainError:
    """The person's error for a store that failed, naming the file (the operator's reason goes to the log),
    or for an image whose stored bytes are gone."""
    name = safe_filename(filename)
    if isinstance(exc, storage.StorageMissing):
        log.warning("media.missing", file=filename, reason=str(exc))
        return NotFound(f"{name} is no longer in media storage: remove it and attach it again", field=field)
    log.error("media.storage_failed", file=filename, doing=doing, reason=str(exc))
    return Unavailable(f"{name} could not be {doing}: media storage is not working right now; try again in "
                       "a few minutes, and tell your administrator if it goes on", field=field)


def store_upload(
    session: Session,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    filename: str,
    data: bytes,
    alt_text: str = "",
) -> MediaAsset:
    """Check and keep an uploaded image. The same bytes uploaded again give back the same asset."""
    permissions.require(session, user_id, workspace_id, "media:upload")
    alt_text = (alt_text or "").strip()
    if len(alt_text) > MAX_ALT_TEXT:
        raise ValidationFailed(
            f"alt text has {len(alt_text)} characters; use at most {MAX_ALT_TEXT}", field="alt_text"
        )
    info = inspect_image(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(MediaAsset).where(MediaAsset.workspace_id == workspace_id, MediaAsset.sha256 == digest)
    ).first()
    if existing is not None:
        if alt_text and alt_text != existing.alt_text:
            existing.alt_text = alt_text
            session.add(existing)
            session.flush()
        return existing
    try:
        ref = storage.media_store().put(storage_key(workspace_id, digest, info.content_type), data,
                                        info.content_type)
    except storage.StorageError as exc:
        raise storage_failure(filename, "stored", exc) from exc
    asset = MediaAsset(
        workspace_id=workspace_id,
        uploaded_by_id=user_id,
        filename=safe_filename(filename),
        content_type=info.content_type,
        size_bytes=len(data),
        width=info.width,
        height=info.height,
        sha256=digest,
        storage_path=ref,
        alt_text=alt_text,
    )
    session.add(asset)
    session.flush()
    audit.record(
        session,
        "media.uploaded",
        actor_id=user_id,
        workspace_id=workspace_id,
        subject_type="media_asset",
        subject_id=asset.id,
        size_bytes=len(data),
    )
    session.flush()
    usage.record("image")
    return asset


def fit_for_network(item: MediaItem, limits: Limits, *, max_side: int = 4096) -> MediaItem:
    """The item itself when the network takes it as is, else a re-encoded JPEG copy within
    `limits.max_image_bytes` (scaled down step by step; transparency flattened on white), kept in the
    media store under `derived/` so the next publish reuses it. StorageError when the store fails."""
    fits = item.content_type in limits.image_types and (
        not limits.max_image_bytes or item.size_bytes <= limits.max_image_bytes
    )
    if fits:
        return item
    if "image/jpeg" not in limits.image_types:
        raise ValidationFailed(f"{item.content_type} cannot be converted for this network", field="media")
    source = storage.read(item.path)
    digest = hashlib.sha256(source).hexdigest()[:32]
    key = f"derived/{digest}-{limits.max_image_bytes}.jpg"
    store = storage.media_store()
    try:
        data = store.get(key)
    except storage.StorageMissing:
        data = _shrink(source, limits.max_image_bytes, max_side)
        store.put(key, data, "image/jpeg")
    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
    return MediaItem(
        path=store.ref(key),
        content_type="image/jpeg",
        alt_text=item.alt_text,
        width=width,
        height=height,
        size_bytes=len(data),
        name=item.name,
    )


def _shrink(source: bytes, max_bytes: int, max_side: int) -> bytes:
    with Image.open(io.BytesIO(source)) as opened:
        img = ImageOps.exif_transpose(opened)
        img.load()
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((max_side, max_side))
    while True:
        for quality in (90, 82, 74, 66):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality, optimize=True)
            if not max_bytes or buf.tell() <= max_bytes:
                return buf.getvalue()
        if min(img.size) <= 64:
            raise ValidationFailed("the image cannot be made small enough for this network", field="media")
        img = img.resize(
            (max(1, int(img.width * 0.8)), max(1, int(img.height * 0.8))), Image.Resampling.LANCZOS
        )


THUMB_SIDE = 320


def thumbnail(session: Session, *, user_id: uuid.UUID, workspace_id: uuid.UUID, asset_id: uuid.UUID) -> str:
    """A small JPEG of one of this workspace's images as a data: URL, for the composer's thumbnails and
    previews (so stored files are never served by path, and no other workspace's file can be asked for)."""
    permissions.require(session, user_id, workspace_id, "post:read")
    asset = session.exec(
        select(MediaAsset).where(MediaAsset.id == asset_id, MediaAsset.workspace_id == workspace_id)
    ).first()
    if asset is None:
        raise ValidationFailed("this image is not one of this workspace's uploads", field="media")
    try:
        data = storage.read(asset.storage_path)
    except storage.StorageError as exc:
        raise storage_failure(asset.filename, "read", exc, field="media") from exc
    with Image.open(io.BytesIO(data)) as opened:
        img = ImageOps.exif_transpose(opened)
        img.load()
    if img.mode != "RGB":
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    img.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
