"""A small fake of GitHub's REST API for issue comments, served on loopback by the tests.

It behaves as the real endpoints do where the Action depends on it: 30 comments per page unless
`per_page` (at most 100) asks otherwise, `Link` headers with absolute `next`/`last` URLs, 201 on
create, 200 on edit, 401 without the right bearer token, and 403 when writes are forbidden (a
read-only GITHUB_TOKEN). Every call is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIST_OR_CREATE = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
EDIT = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None


@dataclass
class FakeGitHub:
    token: str
    origin: str = ""
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # Statuses answered to the next requests, one each, before serving normally (fault injection).
    failures: list[int] = field(default_factory=list)
    forbid_writes: bool = False
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, repo: str, number: int, bodies: list[str], *, login: str = "octocat") -> None:
        for body in bodies:
            self._add(repo, number, body, login=login)

    def _add(self, repo: str, number: int, body: str, *, login: str) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "node_id": f"IC_{self._next_id}",
            "url": f"{self.origin}/repos/{repo}/issues/comments/{self._next_id}",
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{self._next_id}",
            "issue_url": f"{self.origin}/repos/{repo}/issues/{number}",
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "created_at": "2026-11-23T10:00:00Z",
            "updated_at": "2026-11-23T10:00:00Z",
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def on(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self.comments.get((repo, number), [])

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.method in ("POST", "PATCH")]

    # -- request handling (called from the server's threads) ---------------------------------

    def handle(self, method: str, target: str, body: Any, authorization: str | None
               ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        with self._lock:
            self.calls.append(Call(method, parts.path, query, body, authorization))
            if self.failures:
                status = self.failures.pop(0)
                return status, {"message": "Server Error"}, {}
            if authorization != f"Bearer {self.token}":
                return 401, {"message": "Bad credentials"}, {}
            listed = LIST_OR_CREATE.match(parts.path)
            if listed and method == "GET":
                return self._list(listed["repo"], int(listed["number"]), parts.path, query)
            if listed and method == "POST":
                if self.forbid_writes:
                    return 403, {"message": "Resource not accessible by integration"}, {}
                comment = self._add(listed["repo"], int(listed["number"]), body["body"],
                                    login="github-actions[bot]")
                return 201, comment, {}
            edited = EDIT.match(parts.path)
            if edited and method == "PATCH":
                if self.forbid_writes:
                    return 403, {"message": "Resource not accessible by integration"}, {}
                for comments in self.comments.values():
                    for comment in comments:
                        if comment["id"] == int(edited["id"]):
                            comment["body"] = body["body"]
                            comment["updated_at"] = "2026-11-23T11:00:00Z"
                            return 200, comment, {}
            return 404, {"message": "Not Found"}, {}

    def _list(self, repo: str, number: int, path: str, query: dict[str, list[str]]
              ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        comments = self.on(repo, number)
        last = max(1, -(-len(comments) // per_page))
        links = []
        if page < last:
            links.append(f'<{self.origin}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.origin}{path}?per_page={per_page}&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, comments[(page - 1) * per_page : page * per_page], headers


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        status, payload, headers = self.fake.handle(
            self.command, self.path, body, self.headers.get("Authorization")
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@contextmanager
def serving(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-github", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
