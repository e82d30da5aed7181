"""Media from a URL: fetch an image a caller points at, then keep it exactly like an upload (`media`).

The address must be public (`public_endpoints.check_public_url`) and is connected to only at the address
that was checked (`PinnedTransport`, as webhooks and user-given channel servers): a URL must not become
a way to make Quillcast read its own network. Redirects are not followed (each hop would need the same
check); the body is read up to the upload limit and refused beyond it, whatever Content-Length says.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote, urlsplit

import httpx
from sqlmodel import Session

from app.connectors.http import USER_AGENT, PinnedTransport, PrivateAddress
from app.core.config import get_settings
from app.services.channels.public_endpoints import check_public_url
from app.services.errors import ValidationFailed
from app.services.planning import media
from app.services.tenancy import permissions
from models import MediaAsset

MAX_URL = 2048
TIMEOUT_SECONDS = 20.0


def client() -> httpx.Client:
    settings = get_settings()
    return httpx.Client(
        transport=PinnedTransport(allow_private=settings.private_endpoints_allowed),
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=5.0), follow_redirects=False,
        headers={"User-Agent": USER_AGENT})


def _filename(url: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name or "image"


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} bytes"


def fetch(url: str, http: httpx.Client | None = None, max_bytes: int = media.MAX_UPLOAD_BYTES) -> bytes:
    """The bytes at `url`, at most `max_bytes` of them; every refusal names the `url` field."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise ValidationFailed(f"url: give the image's address (https://..., at most {MAX_URL} characters)",
                               field="url")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValidationFailed("url must be an https:// address", field="url")
    check_public_url(url, key="url", field="url")
    own = http is None
    http = http or client()
    try:
        with http.stream("GET", url) as response:
            if response.is_redirect:
                raise ValidationFailed(
                    f"url redirects to {response.headers.get('location', '?')[:200]}: give the final address",
                    field="url")
            if not response.is_success:
                raise ValidationFailed(f"url answered HTTP {response.status_code}; check the address",
                                       field="url")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise ValidationFailed(
                        f"url: the file is larger than {_size(max_bytes)}; use a smaller image",
                        field="url")
            return bytes(data)
    except PrivateAddress as exc:
        raise ValidationFailed(
            f"url points to a private address ({exc.address}); only public servers can be reached from "
            "here (an operator can set ALLOW_PRIVATE_ENDPOINTS)", field="url") from exc
    except httpx.TimeoutException as exc:
        raise ValidationFailed(f"url: no answer within {TIMEOUT_SECONDS:g} s", field="url") from exc
    except httpx.HTTPError as exc:
        raise ValidationFailed(f"url: could not fetch it ({str(exc)[:200] or type(exc).__name__})",
                               field="url") from exc
    finally:
        if own:
            http.close()


def store_from_url(
    session: Session, *, user_id: uuid.UUID, workspace_id: uuid.UUID, url: str, alt_text: str = "",
    http: httpx.Client | None = None,
) -> MediaAsset:
    """Fetch the image at `url` and keep it as an upload (same checks, same asset for the same bytes)."""
    permissions.require(session, user_id, workspace_id, "media:upload")  # before fetching anything
    data = fetch(url, http)
    return media.store_upload(session, user_id=user_id, workspace_id=workspace_id,
                              filename=_filename(url), data=data, alt_text=alt_text)
