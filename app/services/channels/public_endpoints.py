"""Public endpoints only: an address a user gives (a channel's server, a webhook's receiver) must be http(s)
and resolve to public addresses, so connecting a channel or adding a webhook cannot make Quillcast call
into its own network. Operators may allow private endpoints (dev, test, a LAN install).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from app.core.config import get_settings
from app.services.errors import ValidationFailed

ENDPOINT_KEYS = ("service", "homeserver", "instance", "url", "webhook_url", "endpoint")


def check_endpoints(credentials: dict[str, Any], settings: dict[str, Any]) -> None:
    """Refuse servers on private, loopback or link-local addresses (unless allowed): connecting a
    channel must not become a way to make Quillcast call into its own network."""
    if get_settings().private_endpoints_allowed:
        return
    for source, field_name in ((credentials, "credentials"), (settings, "settings")):
        for key in ENDPOINT_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value:
                check_public_url(value, key=key, field=field_name)


def check_public_url(value: str, *, key: str, field: str) -> None:
    """Refuse `value` when it is not http(s) or its host resolves to a non-public address (unless
    private endpoints are allowed). Channels and outgoing webhooks share this one check."""
    if get_settings().private_endpoints_allowed:
        return
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationFailed(f"{key} must be an https:// address", field=field)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise ValidationFailed(
            f"{parts.hostname} does not resolve; check the {key} address", field=field
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise ValidationFailed(
                f"{key} points to a private address ({address}); only public servers can be "
                "reached from here (an operator can set ALLOW_PRIVATE_ENDPOINTS)",
                field=field,
            )
