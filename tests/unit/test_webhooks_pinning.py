"""A webhook's address is resolved once per send, checked, and that checked address is the one connected
to: a DNS answer that turns private between the check and the connection (DNS rebinding) reaches nothing.

The resolver is faked (it is the attacker's part); sockets, the HTTP client, TLS and the receiver are real.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.connectors.http import PinnedTransport, PrivateAddress
from app.core.config import get_settings
from app.services.events import webhook_delivery
from tests.peers.receiver import WebhookReceiver

PUBLIC = "93.184.215.14"  # a global address; nothing is ever sent there (connections to it are refused)
HOST = "hooks.rebind.example"
SECRET = "whsec_pinning-test-secret"


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(SECRET).start()
    yield r
    r.stop()


@pytest.fixture()
def rebinding_dns(monkeypatch) -> list[str]:
    """HOST answers a public address to the first lookup and 127.0.0.1 to every later one; connections go
    through the real socket module, except that the public address refuses them (this machine must not
    reach the internet). Returns the addresses connected to."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    lookups: list[str] = []
    connected: list[str] = []

    def getaddrinfo(host, port, *args, **kw):  # type: ignore[no-untyped-def]
        if host != HOST:
            return real_getaddrinfo(host, port, *args, **kw)
        answer = PUBLIC if not lookups else "127.0.0.1"
        lookups.append(answer)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port or 0)))]

    def create_connection(address, *args, **kw):  # type: ignore[no-untyped-def]
        host, port = address
        ip = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]  # what the OS would do
        connected.append(ip)
        if ip == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect((ip, port), *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connected


def _send(url: str) -> webhook_delivery._Answer:
    body = b'{"event":"webhook.test"}'
    return webhook_delivery._post(url, SECRET, body, "webhook.test", "d-1", None)


def test_a_name_that_turns_private_after_the_check_reaches_nothing(receiver, rebinding_dns, monkeypatch):
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", False)  # production's rule
    port = receiver.url.split(":")[2].split("/")[0]

    answer = _send(f"http://{HOST}:{port}/hooks/quillcast")

    assert rebinding_dns == [PUBLIC]  # the checked answer was the one connected to, and nothing else
    assert receiver.received == []
    assert answer.outcome == "retry" and "could not connect" in (answer.excerpt or "")


def test_the_fakes_would_reach_the_loopback_receiver(receiver, rebinding_dns, monkeypatch):
    """The test above can fail: once the name answers 127.0.0.1 and private endpoints are allowed (as in
    development), the same fakes carry the delivery to the receiver."""
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", True)
    port = receiver.url.split(":")[2].split("/")[0]
    socket.getaddrinfo(HOST, 80)  # use up the public answer

    answer = _send(f"http://{HOST}:{port}/hooks/quillcast")

    assert answer.outcome == "delivered" and rebinding_dns == ["127.0.0.1"]
    [got] = receiver.received
    assert got.signature_ok and got.headers["Host"] == f"{HOST}:{port}"


def test_a_private_answer_is_refused_before_connecting(rebinding_dns, monkeypatch):
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", False)
    socket.getaddrinfo(HOST, 80)  # use up the public answer

    answer = _send(f"https://{HOST}/hooks/quillcast")

    assert answer.outcome == "failed" and "private address (127.0.0.1)" in (answer.excerpt or "")
    assert rebinding_dns == []


def test_one_private_address_among_public_ones_is_refused():
    transport = PinnedTransport(resolver=lambda host, port: [PUBLIC, "10.0.0.7"],
                                inner=lambda: httpx.MockTransport(lambda r: httpx.Response(200)))
    with httpx.Client(transport=transport) as client, pytest.raises(PrivateAddress) as err:
        client.post(f"https://{HOST}/x")
    assert err.value.address == "10.0.0.7"


def test_the_pinned_request_keeps_its_host_header_and_tls_name():
    seen: list[tuple[str, str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["host"], request.extensions["sni_hostname"]))
        if request.url.host == PUBLIC:
            raise httpx.ConnectError("refused", request=request)  # the first address is down
        return httpx.Response(204)

    transport = PinnedTransport(resolver=lambda host, port: [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
                                inner=lambda: httpx.MockTransport(answer))
    with httpx.Client(transport=transport) as client:
        response = client.post(f"https://{HOST}:8443/hooks?x=1", content=b"{}")
    assert response.status_code == 204
    assert seen == [  # the next address after a refused one; the name travels in Host and TLS
        (f"https://{PUBLIC}:8443/hooks?x=1", f"{HOST}:8443", HOST),
        ("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/hooks?x=1", f"{HOST}:8443", HOST)]
    assert str(response.request.url) == f"https://{HOST}:8443/hooks?x=1"


# --- real TLS: the certificate is checked against the name, not the pinned IP -----------------------------
def _certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture()
def tls_server(tmp_path) -> Iterator[tuple[int, Path, list[tuple[str | None, str]]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for hooks.test; records (TLS server name, Host)."""
    cert, key = _certificate(tmp_path, "hooks.test")
    seen: list[tuple[str | None, str]] = []
    names: dict[int, str | None] = {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.__setitem__(id(sock), name)  # type: ignore[assignment]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.append((names.get(id(self.connection)), self.headers.get("Host", "")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert, seen
    server.shutdown()
    server.server_close()


def test_tls_is_checked_against_the_name_while_connecting_to_the_pinned_ip(tls_server):
    port, cert, seen = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    transport = PinnedTransport(allow_private=True, resolver=lambda host, p: ["127.0.0.1"],
                                inner=lambda: httpx.HTTPTransport(verify=trust))
    with httpx.Client(transport=transport) as client:
        assert client.get(f"https://hooks.test:{port}/").status_code == 200
        assert seen == [("hooks.test", f"hooks.test:{port}")]
        # The same IP under a name its certificate does not carry is refused by the TLS check.
        with pytest.raises(httpx.ConnectError, match="(?i)certificate|hostname"):
            client.get(f"https://other.test:{port}/")
