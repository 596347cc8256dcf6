"""TLS verification against a real HTTPS server on loopback with a certificate made here.

A certificate the run does not trust is named as a TLS failure (not "unreachable"), and
`SSL_CERT_FILE` makes the run trust the CA it names.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures.repo import Repo, Run, providers_yaml

SESSION = """\
sessions:
  - key: kickoff
    title: Kickoff
    case: 2027-CV-0001
    start: 2027-03-02T10:00
    time_zone: America/New_York
    duration_hours: 1
"""


class _Unauthorized(BaseHTTPRequestHandler):
    """Answers every request 401 with a JSON body: any HTTP answer proves TLS succeeded."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"error": "unauthorized"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


class _Server(ThreadingHTTPServer):
    """Counts the connections it accepts: each is one attempt at a TLS handshake."""

    connections = 0

    def verify_request(self, request: object, client_address: object) -> bool:
        self.connections += 1
        return True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client refusing the certificate is the point of these tests, not an error

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for 127.0.0.1, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=reconciler test CA", "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[_Server]:
    cert, key = certificate
    server = _Server(("127.0.0.1", 0), _Unauthorized)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # The handshake happens in each connection's own thread, not in accept(): a client that
    # refuses the certificate mid-handshake must never stall the accepting loop (or shutdown).
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def https_repo(repo: Repo, https_server: _Server, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo.write("providers.yaml", providers_yaml(https_server.origin))
    repo.write("sessions.yaml", SESSION)
    # The machine's own trust settings must not decide the outcome.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return repo


def test_an_untrusted_certificate_is_named_as_a_tls_failure(https_repo: Repo, cli: Run) -> None:
    result = cli("--max-retries", "0", "plan", https_repo.root, expect=1)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(
        r"Error: (prevail|prospero|previsto): TLS certificate verification failed for "
        r"127\.0\.0\.1 \(self[- ]signed certificate\); if a corporate proxy re-signs traffic, "
        r"point SSL_CERT_FILE at its CA bundle",
        lines[0],
    ), lines[0]


def test_an_untrusted_certificate_is_not_retried(
    https_repo: Repo, https_server: _Server, cli: Run
) -> None:
    without_retries = cli("--max-retries", "0", "plan", https_repo.root, expect=1)
    attempts = https_server.connections
    assert attempts >= 1, without_retries.stderr
    # With retries allowed, no handshake is tried again, and the failure is still named.
    result = cli("--retry-wait", "0", "plan", https_repo.root, expect=1)
    assert https_server.connections == 2 * attempts, result.stderr
    assert "TLS certificate verification failed" in result.stderr


def test_ssl_cert_file_names_the_ca_to_trust(
    https_repo: Repo, cli: Run, certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    result = cli("--max-retries", "0", "plan", https_repo.root, expect=1)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    # TLS succeeded: the server's 401 is what stops the run.
    assert lines[0].startswith("Error: authentication failed for "), lines[0]
    assert "TLS" not in lines[0]
