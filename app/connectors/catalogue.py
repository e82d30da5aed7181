"""The network catalogue: what Quillcast knows about each network it publishes to, in one place.

One frozen entry per network: its name (the `channels.network` vocabulary, `models.channel.NETWORKS`),
its label, its default limits and how it counts characters, what it can do (engagement, idempotency,
threads, video, ...) and how a channel is connected (which credentials the connect form asks for).
Connectors, services, the API and the UI read these facts here; the connector classes are in
`registry.FACTORIES`, and how a network looks (colour, mark, icon) is the UI's (`components/networks.py`).

Everything here is plain data: this module imports only `base` and `text`, so every connector module
can read its own entry without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from app.connectors import text
from app.connectors.base import Limits

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


@dataclass(frozen=True)
class ConnectField:
    """One input of a network's connect form; `key` is the connector's own credential key."""

    key: str
    label: str
    input_type: Literal["text", "password", "url"]
    hint: str
    required: bool = True
    default: str = ""


@dataclass(frozen=True)
class Network:
    name: str
    label: str  # as people read it: "Bluesky", "LinkedIn"
    limits: Limits  # the defaults before a channel has read its own (e.g. a Mastodon instance's maximum)
    # How a repeat of the same target is kept from posting twice, in the network's words; "" when the
    # network has no idempotency of its own (a repeat after a lost answer may post twice).
    idempotency: str
    # Whether `lookup` can tell that an earlier attempt landed (the reconciler asks it); when it cannot,
    # a target whose answer was lost ends `unknown` for a person to decide.
    lookup: bool
    # Whether the connector reads a post's likes, reposts and replies back (`fetch_metrics`); the
    # analytics page says "does not report engagement" for the others instead of showing zeros.
    engagement: bool
    # How a channel is connected: "form" (the credentials below, typed on the channels page), "oauth"
    # (the network's own sign-in page) or "api" (credentials given through the REST API only).
    connect: Literal["form", "oauth", "api"]
    fields: tuple[ConnectField, ...] = ()  # the connect form's inputs ("oauth": asked before leaving)
    # The input a refused-credentials error is shown beside: the services name the whole `credentials`
    # group, the form shows it next to the secret the person typed.
    error_field: str = "form"
    count: Callable[[str], int] = text.code_points  # how the network counts a text's length
    subject: str = ""  # how a sentence names it ("The webhook allows ..."); "" = the label

    @property
    def threads(self) -> bool:
        return self.limits.supports_threads

    @property
    def first_comment(self) -> bool:
        return self.limits.supports_first_comment

    @property
    def alt_text(self) -> bool:
        return self.limits.supports_alt_text

    @property
    def video(self) -> bool:
        return bool(self.limits.video_types)

    @property
    def sentence_subject(self) -> str:
        return self.subject or self.label


_ENTRIES = (
    Network(
        name="bluesky",
        label="Bluesky",
        limits=Limits(
            max_chars=300,
            max_text_bytes=3000,
            max_media=4,
            max_image_bytes=1_000_000,
            image_types=IMAGE_TYPES,
            supports_threads=True,
            supports_first_comment=True,
            supports_alt_text=True,
            max_alt_text_chars=2000,
        ),
        idempotency="record key (rkey) derived from the target; a repeat is refused",
        lookup=True,
        engagement=True,
        connect="form",
        fields=(
            ConnectField("identifier", "Handle", "text", "e.g. yourname.bsky.social"),
            ConnectField("app_password", "App password", "password",
                         "Create one under Settings → App passwords."),
            ConnectField("service", "PDS URL", "url",
                         "Leave https://bsky.social unless you run your own PDS.",
                         required=False, default="https://bsky.social"),
        ),
        error_field="app_password",
        count=text.graphemes,
    ),
    Network(
        name="matrix",
        label="Matrix",
        limits=Limits(
            # Events are capped at 65,536 bytes in total; 30,000 characters of body leave room for the rest.
            max_chars=30_000,
            max_text_bytes=40_000,
            max_media=10,
            max_image_bytes=50 * 1024 * 1024,
            image_types=IMAGE_TYPES,
            supports_threads=True,
            supports_first_comment=True,
            supports_alt_text=True,
            max_alt_text_chars=1000,
        ),
        idempotency="transaction id derived from the target; the homeserver answers a repeat with the "
                    "first event",
        lookup=True,
        engagement=False,
        connect="form",
        fields=(
            ConnectField("homeserver", "Homeserver URL", "url", "e.g. https://matrix.org"),
            ConnectField("user", "User", "text", "e.g. @you:matrix.org"),
            ConnectField("password", "Password", "password", "Or leave empty and give an access token.",
                         required=False),
            ConnectField("access_token", "Access token", "password",
                         "Used instead of the password when given.", required=False),
            ConnectField("room", "Room", "text", "Room id or alias, e.g. #news:matrix.org"),
        ),
        error_field="password",
    ),
    Network(
        name="mastodon",
        label="Mastodon",
        limits=Limits(
            max_chars=500,
            max_media=4,
            max_image_bytes=16 * 1024 * 1024,
            image_types=IMAGE_TYPES,
            max_video_bytes=99 * 1024 * 1024,
            video_types=("video/mp4", "video/webm", "video/quicktime"),
            supports_threads=True,
            supports_first_comment=True,
            supports_alt_text=True,
            max_alt_text_chars=1500,
        ),
        idempotency="Idempotency-Key header; the server answers a repeat within an hour with the first "
                    "status",
        lookup=False,
        engagement=True,
        connect="oauth",
        fields=(ConnectField("instance", "Mastodon server", "text", "e.g. mastodon.social"),),
        count=text.mastodon_length,
    ),
    Network(
        name="x",
        label="X",
        limits=Limits(
            max_chars=280,
            max_media=4,
            max_image_bytes=5 * 1024 * 1024,
            image_types=IMAGE_TYPES,
            supports_threads=True,
            supports_first_comment=True,
            supports_alt_text=True,
            max_alt_text_chars=1000,
        ),
        idempotency="",
        lookup=False,
        engagement=True,
        connect="oauth",
        count=text.x_weighted_length,
    ),
    Network(
        name="linkedin",
        label="LinkedIn",
        limits=Limits(
            max_chars=3000,
            max_media=20,
            max_image_bytes=8 * 1024 * 1024,
            image_types=("image/jpeg", "image/png", "image/gif"),
            supports_threads=False,
            supports_alt_text=True,
            max_alt_text_chars=4086,
        ),
        idempotency="",
        lookup=False,
        engagement=False,  # reading needs the restricted r_member_social permission
        connect="api",
    ),
    Network(
        name="telegram",
        label="Telegram",
        limits=Limits(
            max_chars=4096,
            max_caption_chars=1024,
            max_media=10,
            max_image_bytes=10 * 1024 * 1024,
            image_types=("image/jpeg", "image/png", "image/webp"),
            supports_threads=True,
            supports_first_comment=True,
        ),
        idempotency="",
        lookup=False,
        engagement=False,
        connect="form",
        fields=(
            ConnectField("bot_token", "Bot token", "password", "From @BotFather."),
            ConnectField("chat_id", "Chat id", "text", "e.g. @yourchannel or -100123456789"),
        ),
        error_field="bot_token",
        count=text.utf16_units,
    ),
    Network(
        name="discord",
        label="Discord",
        limits=Limits(
            max_chars=2000,
            max_media=10,
            max_image_bytes=10 * 1024 * 1024,
            image_types=IMAGE_TYPES,
            supports_threads=False,
            supports_alt_text=True,
            max_alt_text_chars=1024,
        ),
        idempotency="",
        lookup=False,
        engagement=False,
        connect="form",
        fields=(ConnectField("webhook_url", "Webhook URL", "url",
                             "Channel settings → Integrations → Webhooks."),),
        error_field="webhook_url",
    ),
    Network(
        name="webhook",
        label="Webhook",
        limits=Limits(
            max_chars=100_000,
            max_media=10,
            max_image_bytes=5 * 1024 * 1024,
            image_types=IMAGE_TYPES,
            supports_threads=True,
            supports_first_comment=True,
            supports_alt_text=True,
            max_alt_text_chars=2000,
        ),
        idempotency="Idempotency-Key header; the receiver keeps it",
        lookup=False,
        engagement=False,
        connect="form",
        fields=(
            ConnectField("url", "Webhook URL", "url", "Quillcast POSTs each post here as JSON."),
            ConnectField("secret", "Signing secret", "password", "Used to sign each request (HMAC).",
                         required=False),
        ),
        error_field="url",
        subject="The webhook",
    ),
)

NETWORKS: Mapping[str, Network] = {n.name: n for n in _ENTRIES}
LABELS: Mapping[str, str] = {n.name: n.label for n in _ENTRIES}
ENGAGEMENT_NETWORKS = frozenset(n.name for n in _ENTRIES if n.engagement)


class UnknownNetwork(ValueError):
    pass


def get(name: str) -> Network:
    try:
        return NETWORKS[name]
    except KeyError:
        raise UnknownNetwork(f"unknown network {name!r}; choose one of: {', '.join(NETWORKS)}") from None


def label(name: str) -> str:
    """The network's label; an unknown name as it is."""
    entry = NETWORKS.get(name)
    return entry.label if entry else name


def subject(name: str) -> str:
    """The network as the subject of a sentence ("The webhook allows ..."); an unknown name as it is."""
    entry = NETWORKS.get(name)
    return entry.sentence_subject if entry else name


def connectable(how: str) -> tuple[str, ...]:
    """The networks connected through `how` ("form", "oauth" or "api")."""
    return tuple(n.name for n in _ENTRIES if n.connect == how)
