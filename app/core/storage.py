"""Where uploaded media lives: a local directory (the default, `DATA_DIR/media`) or an S3-compatible
bucket (`MEDIA_STORAGE_URL=s3://bucket/prefix`), behind one small interface (put, get, open, exists,
delete, check).

A stored reference (`media_assets.storage_path`, `MediaItem.path`) is one of two things, and `locate`
is the one rule that tells them apart:
- an absolute path (`/data/media/<workspace>/<sha256>.png`): a file on this machine's disk. The local
  store writes these, and every row from before object storage holds one; they read from disk whatever
  MEDIA_STORAGE_URL says.
- a relative key (`<workspace>/<sha256>.png`): an object in the configured store, in a bucket at
  `<prefix>/<key>`. The bucket and prefix are not in the row, so moving the objects to another bucket
  (or prefix) needs only the setting changed, not the database.

Credentials and region come from the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
AWS_REGION / AWS_DEFAULT_REGION, an ECS task role), never from settings or source. Every failure is a
`StorageError` whose message an operator can act on; `StorageMissing` when the object is not there.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from app.core.config import get_settings, parse_media_storage_url

# Nothing Quillcast stores is larger (uploads stop at 50 MB): a read never holds more than this in memory.
MAX_READ_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    """Media storage failed; the message says what to fix (bucket, credentials, endpoint, directory)."""


class StorageMissing(StorageError):
    """The object (or file) is not in the store."""


class Store(Protocol):
    def ref(self, key: str) -> str:
        """The reference the database keeps for `key` in this store."""
        ...

    def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> str:
        """Keep `data` under `key`; returns the reference to save (see the module's docstring)."""
        ...

    def get(self, ref: str, max_bytes: int = MAX_READ_BYTES) -> bytes: ...

    def open(self, ref: str) -> IO[bytes]:
        """A stream of the stored bytes, for copies that should not hold the whole file in memory."""
        ...

    def exists(self, ref: str) -> bool: ...

    def delete(self, ref: str) -> None: ...

    def check(self) -> str:
        """Raise StorageError unless the store can be used; else say which store answered."""
        ...

    def describe(self) -> str: ...


def clean_key(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(p in ("..", ".") for p in parts):
        raise StorageError(f"{key!r} is not a storage key (a relative path without '..')")
    return key


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, ref: str) -> Path:
        return Path(ref) if Path(ref).is_absolute() else self.root / clean_key(ref)

    @contextmanager
    def _errors(self, path: Path) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as exc:
            raise StorageMissing(f"{path} does not exist") from exc
        except OSError as exc:
            raise StorageError(f"{path}: {exc.strerror or exc}") from exc

    def ref(self, key: str) -> str:
        return str(self._path(key))  # absolute, as local rows always were

    def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> str:
        path = self._path(key)
        with self._errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + f".{uuid.uuid4().hex}.tmp")
            with tmp.open("wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, _CHUNK)
            os.replace(tmp, path)  # a half-written file never has the real name
        return str(path)

    def get(self, ref: str, max_bytes: int = MAX_READ_BYTES) -> bytes:
        path = self._path(ref)
        with self._errors(path), path.open("rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise StorageError(f"{path} is larger than {max_bytes:,} bytes")
        return data

    def open(self, ref: str) -> IO[bytes]:
        path = self._path(ref)
        with self._errors(path):
            return path.open("rb")

    def exists(self, ref: str) -> bool:
        return self._path(ref).is_file()

    def delete(self, ref: str) -> None:
        path = self._path(ref)
        with self._errors(path):
            path.unlink(missing_ok=True)

    def check(self) -> str:
        # Changes nothing: a directory not made yet is fine when the first upload can make it.
        existing = next(p for p in (self.root, *self.root.parents) if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise StorageError(f"{existing} is not a directory this process may write to: fix its owner, "
                               "or DATA_DIR")
        return f"local directory {self.root}"

    def describe(self) -> str:
        return f"the local directory {self.root}"


def media_store() -> Store:
    """The store new uploads go to: MEDIA_STORAGE_URL's bucket, else DATA_DIR/media."""
    settings = get_settings()
    target = parse_media_storage_url(settings.media_storage_url)
    if target is None:
        return LocalStore(Path(settings.data_dir) / "media")
    from app.core.s3 import S3Store  # only a bucket pays for importing boto3

    return S3Store(target[0], target[1], settings.media_s3_endpoint_url)


def locate(ref: str) -> tuple[Store, str]:
    """The store that holds `ref`: the local disk for an absolute path (rows from before object storage
    still read), else the configured store."""
    if Path(ref).is_absolute():
        return LocalStore(Path(ref).parent), ref
    return media_store(), ref


def read(ref: str, max_bytes: int = MAX_READ_BYTES) -> bytes:
    store, ref = locate(ref)
    return store.get(ref, max_bytes)


def open_stream(ref: str) -> IO[bytes]:
    store, ref = locate(ref)
    return store.open(ref)


def exists(ref: str) -> bool:
    store, ref = locate(ref)
    return store.exists(ref)


def delete(ref: str) -> None:
    store, ref = locate(ref)
    store.delete(ref)


def check() -> str:
    return media_store().check()


_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Any] = {}


def cached(key: tuple[Any, ...], make: Any) -> Any:
    """One client per process and configuration (clients are thread-safe; a forked worker makes its own)."""
    full = (os.getpid(), *key)
    with _lock:
        if full not in _cache:
            _cache[full] = make()
        return _cache[full]
