"""A real HTTP server on loopback that receives Quillcast's signed webhooks and checks each signature."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.connectors.webhook import verify_signature


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    secret: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    # Answers for the next requests, in order, before `status`: (status, extra headers).
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/quillcast"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                ok = verify_signature(receiver.secret, headers, body)
                receiver.received.append(Received(headers, body, ok))
                status, extra = receiver.script.pop(0) if receiver.script else (receiver.status, {})
                status = status if ok else 401
                payload = json.dumps(
                    {"id": f"r{len(receiver.received)}", "url": "https://example.org/p"}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
