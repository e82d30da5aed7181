"""The one small interface every network connector implements.

Connectors are leaves: they know httpx and app.core, never services. The publishing engine hands them
a `PublishRequest` built from a post target and gets back a result or one of the errors below.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

from app.core import storage


@dataclass(frozen=True)
class MediaItem:
    path: str  # the stored reference: a key in the media store, or an absolute local path (app/core/storage)
    content_type: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    size_bytes: int = 0
    name: str = ""  # the name it was uploaded as, for messages

    @property
    def filename(self) -> str:
        """The stored file's own name (`<sha256>.png`), what networks are sent."""
        return PurePosixPath(self.path).name

    def read(self) -> bytes:
        """The image's bytes from the media store; a store that fails is a connector error naming it."""
        try:
            return storage.read(self.path)
        except storage.StorageError as exc:
            raise media_failure(self.name or self.filename, exc) from exc


def media_failure(name: str, exc: storage.StorageError) -> ConnectorError:
    """An image gone from the store fails the target (attach it again); a store that does not answer is
    retried later, like a network that does not."""
    if isinstance(exc, storage.StorageMissing):
        return NotSent(f"the image {name} is no longer in media storage: attach it again ({exc})")
    return TransientError(f"media storage did not give the image {name}: {exc}")


@dataclass(frozen=True)
class PublishRequest:
    idempotency_key: str  # stable per post target: a repeat must not post twice
    text: str
    media: tuple[MediaItem, ...] = ()
    thread: tuple[str, ...] = ()  # follow-up parts after `text`, posted as replies where supported
    first_comment: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    url: str | None
    raw: dict[str, Any] = field(default_factory=dict)


class Presence(enum.Enum):
    """What `lookup` learned about an earlier attempt."""

    EXISTS = "exists"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LookupResult:
    presence: Presence
    remote_id: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Problem:
    """A content problem found before publishing, naming the network and the limit."""

    network: str
    field: str  # "text", "media", "media[0]", "thread[2]", ...
    message: str  # e.g. "Bluesky allows 300 characters; this has 312. Shorten it by 12."
    limit: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class Limits:
    max_chars: int
    max_media: int
    max_image_bytes: int
    image_types: tuple[str, ...]
    max_video_bytes: int = 0
    video_types: tuple[str, ...] = ()
    supports_threads: bool = False
    supports_first_comment: bool = False
    supports_alt_text: bool = False
    max_alt_text_chars: int = 0
    max_text_bytes: int = 0  # 0: no byte limit (Bluesky also caps the UTF-8 size at 3000 bytes)
    max_caption_chars: int = 0  # 0: same as max_chars (Telegram captions on photos allow only 1024)


@dataclass(frozen=True)
class VerifiedAccount:
    """What connecting a channel learned from the network: who it is and the credentials to keep."""

    account: str  # handle / room / page as the network names it
    credentials: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)  # e.g. limits read from the instance


@dataclass(frozen=True)
class Metrics:
    """How a published post did, as the network counts it. None: the network does not count that."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int | None = None
    impressions: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the network's counts object, kept small


class ConnectorError(Exception):
    def __init__(self, message: str, *, http_status: int | None = None, raw: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.raw = raw


class TransientError(ConnectorError):
    """Try again later: timeouts, 5xx, 429. `retry_after` (seconds) when the network said so."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help: validation refused, content rejected. Shown to the user as is."""


class NotSent(PermanentError):
    """Ours, not the network's: the post could not be prepared (an image gone or unfit), so it never left.
    People are told so, not "<network> refused the post"."""


class AuthError(PermanentError):
    """Credentials revoked or expired beyond refresh: the channel needs re-connecting."""


class Connector(Protocol):
    network: str

    def limits(self) -> Limits: ...

    def verify(self) -> VerifiedAccount:
        """Call the network with the credentials (e.g. Bluesky createSession); AuthError if refused."""
        ...

    def validate(self, request: PublishRequest) -> list[Problem]: ...

    def publish(self, request: PublishRequest) -> PublishResult: ...

    def lookup(self, idempotency_key: str) -> LookupResult: ...

    def refresh_credentials(self) -> dict[str, Any] | None:
        """New credentials to store (encrypted) when they were refreshed, else None."""
        ...

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """The post's counts now; None when the network does not report them (or not for this post).

        Optional: a connector without it counts as None. Errors are the usual ConnectorErrors.
        """
        ...
