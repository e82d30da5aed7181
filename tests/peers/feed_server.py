"""A small RSS / Atom server on a free loopback port, over real HTTP (stdlib http.server): tests set what
each path answers (status, body, ETag, Last-Modified) and read back the requests it got."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = "application/rss+xml; charset=utf-8"


@dataclass
class FeedServer:
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def start(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                answer = server.answers.get(self.path, Answer(b"not here", 404, content_type="text/plain"))
                if answer.status == 200 and answer.etag and self.headers.get("If-None-Match") == answer.etag:
                    self.send_response(304)
                    self.send_header("ETag", answer.etag)
                    self.end_headers()
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.etag:
                    self.send_header("ETag", answer.etag)
                if answer.last_modified:
                    self.send_header("Last-Modified", answer.last_modified)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """RSS 2.0 with items (guid, title, description), newest first."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{t}</title><link>https://blog.example.com/{guid}</link>"
        f"<description>{d}</description></item>" for guid, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://blog.example.com/</link><description>d</description>{body}</channel></rss>").encode()


def atom(title: str, entries: list[tuple[str, str, str, str]]) -> bytes:
    """Atom 1.0 with entries (id, title, link, updated ISO time)."""
    body = "".join(
        f'<entry><id>{i}</id><title>{t}</title><link href="{link}"/><updated>{u}</updated>'
        f"<summary type=\"html\">&lt;p&gt;About {t}&lt;/p&gt;</summary></entry>" for i, t, link, u in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{title}</title><id>urn:feed</id><updated>2026-12-01T00:00:00Z</updated>{body}</feed>"
            ).encode()
