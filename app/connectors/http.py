"""HTTP plumbing every connector shares: one way to turn a network's answer into our error types.

429, 5xx and timeouts are transient (try later, honouring the network's own wait); 401 and revoked
tokens are auth errors (the channel needs re-connecting); other 4xx are permanent and carry the
network's own message so the user sees what the network said.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from app.connectors.base import AuthError, PermanentError, TransientError

# httpx logs every request URL at INFO. Some networks put secrets in the URL (Telegram's bot token,
# a Discord webhook's token), so its request log stays off: no secret may reach a log line.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
USER_AGENT = "Quillcast/0.1 (+self-hosted social media scheduler)"


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20-70 ms; without sharing it, every connector built (even one only
    # checking a text's length when a post is rescheduled) paid that. An SSLContext is thread-safe.
    return httpx.create_ssl_context()


def new_client(base_url: str = "", *, user_endpoint: bool = False, **kw: Any) -> httpx.Client:
    """A client for a network. `user_endpoint`: the host comes from the user (a Mastodon instance, a PDS,
    a homeserver, a webhook URL); where private endpoints are not allowed (production), each request
    connects only to an address that was checked to be public (PinnedTransport), so a DNS answer that
    changes after the check cannot reach an internal service."""
    headers = {"User-Agent": USER_AGENT, **kw.pop("headers", {})}
    kw.setdefault("verify", _tls())
    if user_endpoint and "transport" not in kw:
        from app.core.config import get_settings

        if not get_settings().private_endpoints_allowed:
            kw["transport"] = PinnedTransport(resolver=lambda host, port: resolve(host, port))
    return httpx.Client(base_url=base_url, timeout=kw.pop("timeout", DEFAULT_TIMEOUT), headers=headers, **kw)


class PrivateAddress(Exception):  # noqa: N818 - named for what it is, like the httpx errors
    """A host resolved to an address this server must not reach (loopback, private, link-local, ...)."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to a private address ({address})")
        self.host, self.address = host, address


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, once each."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def first_private(addresses: Iterable[str]) -> str | None:
    """The first address that is not on the public internet, or None."""
    for address in addresses:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:  # "%": an IPv6 zone id
            return address
    return None


class PinnedTransport(httpx.BaseTransport):
    """Resolve each request's host once, check those addresses, and connect to the checked one.

    Checking a URL's host and then letting the HTTP client resolve it again leaves a gap: a DNS answer
    that changes in between (DNS rebinding) reaches 127.0.0.1 or the cloud metadata address after a
    public answer passed the check. Here the URL is rewritten to the checked IP, while the Host header
    (set when the request was built) and the TLS server name and certificate check (`sni_hostname`)
    keep the original name. Without `allow_private`, a host with any non-public address is refused
    with PrivateAddress before anything is sent.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = resolve,
        inner: Callable[[], httpx.BaseTransport] | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner or (lambda: httpx.HTTPTransport(verify=_tls()))
        # One pool per host name: connections are keyed by IP once pinned, and a connection whose TLS was
        # checked for one name must not carry another name's requests.
        self._pools: dict[str, httpx.BaseTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"{host} does not resolve", request=request) from exc
        if not addresses:
            raise httpx.ConnectError(f"{host} does not resolve", request=request)
        if not self._allow_private and (private := first_private(addresses)) is not None:
            raise PrivateAddress(host, private)
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = self._inner()
        request.extensions = {**request.extensions, "sni_hostname": host}
        original = request.url
        for i, address in enumerate(addresses):
            request.url = original.copy_with(host=address)
            try:
                return pool.handle_request(request)
            except httpx.ConnectError:
                if i == len(addresses) - 1:
                    raise
            finally:
                request.url = original  # the caller (and its errors) see the address it asked for
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def retry_after_seconds(response: httpx.Response, reset_headers: Iterable[str] = ()) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or a network's reset header.

    Reset headers hold either a unix timestamp (X: x-rate-limit-reset, Bluesky: ratelimit-reset) or
    a number of seconds; anything above a day is read as a timestamp.
    """
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    for name in reset_headers:
        raw = response.headers.get(name)
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            continue
        return max(0.0, number - time.time()) if number > 86_400 else max(0.0, number)
    return None


def json_or_empty(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def body_message(*keys: str) -> Callable[[Any], str | None]:
    """A `message_of` for networks that say what went wrong in these body fields: joined with ': '."""

    def message_of(body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        return ": ".join(str(body[k]) for k in keys if body.get(k)) or None

    return message_of


def auth_error_when(
    key: str, *values: object, statuses: tuple[int, ...] = (401,)
) -> Callable[[httpx.Response, Any], bool]:
    """An `is_auth_error`: these statuses, or the body's `key` holding one of `values`, need a re-connect."""

    def is_auth_error(response: httpx.Response, body: Any) -> bool:
        return response.status_code in statuses or (isinstance(body, dict) and body.get(key) in values)

    return is_auth_error


def raise_for_status(
    network: str,
    response: httpx.Response,
    *,
    message_of: Callable[[Any], str | None] | None = None,
    reset_headers: Iterable[str] = (),
    retry_after_of: Callable[[Any], float | None] | None = None,
    is_auth_error: Callable[[httpx.Response, Any], bool] | None = None,
) -> None:
    """Raise the matching ConnectorError for a non-2xx answer; return quietly on success.

    `retry_after_of(body)` reads a 429's wait from the body, for networks that put it there (Discord,
    Telegram, Matrix); without one there, Retry-After and the reset headers are read.
    """
    if response.is_success:
        return
    body = json_or_empty(response)
    detail = (message_of(body) if message_of else None) or _generic_message(body) or response.reason_phrase
    status = response.status_code
    text = f"{network} answered {status}: {detail}"
    if status == 429 or status >= 500 or status == 408:
        wait = retry_after_of(body) if status == 429 and retry_after_of and isinstance(body, dict) else None
        if wait is None:
            wait = retry_after_seconds(response, reset_headers)
        raise TransientError(text, retry_after=wait, http_status=status, raw=body)
    auth = is_auth_error(response, body) if is_auth_error else status == 401
    if auth:
        raise AuthError(f"{text} — re-connect the channel", http_status=status, raw=body)
    raise PermanentError(text, http_status=status, raw=body)


def _generic_message(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("message", "error_description", "detail", "error", "description"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def send(network: str, client: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    """One request; timeouts and unreachable networks become TransientError (the caller checks status)."""
    try:
        return client.request(method, url, **kw)
    except httpx.TimeoutException as exc:
        # The request may have landed: the engine asks `lookup` before trying again.
        raise TransientError(f"{network} did not answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{network} could not be reached ({type(exc).__name__})") from exc
    except PrivateAddress as exc:
        raise PermanentError(f"{exc}: Quillcast does not connect to internal addresses; use the service's "
                             "public address (or set ALLOW_PRIVATE_ENDPOINTS=true if it is yours)") from exc
