"""Moving images kept on the local disk into the configured media store (a bucket), for
`quillcast media migrate-to-storage`.

Each image whose row still holds an absolute path is streamed to the store under its key, checked
against the sha256 it was uploaded with, and its row then points at the key. Batches commit one by one
(the caller hands a unit-of-work factory), so a stop midway keeps what was moved and a second run goes
on from there. The local files are left in place: delete them once the bucket is checked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.core import storage
from app.services.errors import ValidationFailed
from app.services.planning.media import IMAGE_TYPES, storage_key
from models import MediaAsset


@dataclass
class MigrationReport:
    moved: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)  # one line per image left where it was


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _move_one(store: storage.Store, asset: MediaAsset) -> str | None:
    """Put one local image into `store` and point its row at it; a problem's line if it stays local."""
    path = Path(asset.storage_path)
    what = f"{asset.filename} ({asset.id}, {path})"
    if not path.is_file():
        return f"{what}: the file is missing on this machine; run this where DATA_DIR/media is"
    if asset.content_type not in IMAGE_TYPES:
        return f"{what}: {asset.content_type} is not a stored image type"
    if _sha256(path) != asset.sha256:
        return f"{what}: the file's bytes differ from the upload's sha256; it was changed or damaged"
    key = storage_key(asset.workspace_id, asset.sha256, asset.content_type)
    with path.open("rb") as stream:  # streamed: a large file is never whole in memory
        store.put(key, stream, asset.content_type)
    asset.storage_path = store.ref(key)
    return None


def _local() -> ColumnElement[bool]:
    return col(MediaAsset.storage_path).startswith("/")


def local_images(session: Session) -> tuple[int, int]:
    """How many images (and bytes) are still kept on a local disk."""
    count, size = session.exec(select(func.count(), func.coalesce(func.sum(MediaAsset.size_bytes), 0))
                               .where(_local())).one()
    return int(count), int(size)


def migrate_to_storage(new_session: Callable[[], AbstractContextManager[Session]],
                       batch: int = 100) -> MigrationReport:
    """Move every local image into the configured store. ValidationFailed when that store is the local
    directory itself (MEDIA_STORAGE_URL unset): there is nowhere to move to. StorageError (before any
    row changed) when the bucket cannot be used."""
    store = storage.media_store()
    if isinstance(store, storage.LocalStore):
        raise ValidationFailed("MEDIA_STORAGE_URL is not set, so media already goes to the local directory: "
                               "set it to the bucket (s3://bucket/prefix) first", field="MEDIA_STORAGE_URL")
    store.check()
    report, skipped = MigrationReport(), set[uuid.UUID]()
    while True:
        with new_session() as session:
            query = select(MediaAsset).where(_local())
            if skipped:
                query = query.where(col(MediaAsset.id).not_in(skipped))
            rows = session.exec(query.order_by(col(MediaAsset.created_at)).limit(batch)).all()
            if not rows:
                return report
            for asset in rows:
                problem = _move_one(store, asset)
                if problem is None:
                    session.add(asset)
                    report.moved += 1
                    report.bytes += asset.size_bytes
                else:
                    skipped.add(asset.id)
                    report.problems.append(problem)
            session.flush()
