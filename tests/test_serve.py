"""`make serve`: byte ranges (so videos seek) and the reload endpoint."""
from __future__ import annotations

import re
import threading
import urllib.request

from generator.serve import make_server


def request(url: str, headers: dict[str, str] | None = None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as response:
        return response.status, dict(response.headers), response.read()


def test_ranges_and_reload(tmp_path):
    (tmp_path / "video.mp4").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "index.html").write_text("<html><body><p>hi</p></body></html>")
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, headers, body = request(f"{base}/video.mp4", {"Range": "bytes=100-199"})
        assert status == 206 and body == (bytes(range(256)) * 40)[100:200]
        assert headers["Content-Range"] == "bytes 100-199/10240"
        status, headers, body = request(f"{base}/video.mp4", {"Range": "bytes=-10"})
        assert status == 206 and body == (bytes(range(256)) * 40)[-10:]
        status, headers, body = request(f"{base}/video.mp4")
        assert status == 200 and len(body) == 10240 and headers["Accept-Ranges"] == "bytes"
        # Pages get the reload script; the endpoint reports the build version.
        _, _, page = request(f"{base}/index.html")
        assert b'<script src="/__reload.js"></script></body>' in page
        assert request(f"{base}/__reload")[2] == b"0"
        server.RequestHandlerClass.func.version_box[0] += 1
        assert request(f"{base}/__reload")[2] == b"1"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- a hostile client
def raw(port: int, data: bytes) -> bytes:
    """Send bytes as they are and return the whole answer (the server closes after an error)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_bad_requests_get_a_status_and_the_server_keeps_serving(tmp_path):
    video = bytes(range(256)) * 40
    (tmp_path / "video.mp4").write_bytes(video)
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    try:
        cases = [
            (b"GET /video.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=" + b"9" * 5000 + b"-\r\nConnection: close\r\n\r\n",
             200),                                                      # a range too long to read: ignored
            (b"GET /video.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=5-2\r\nConnection: close\r\n\r\n", 200),
            (b"GET /video.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=20000-\r\nConnection: close\r\n\r\n", 416),
            (b"GET /vid%00eo.mp4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
            (b"NOT A REQUEST LINE AT ALL\r\n\r\n", 400),
            (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
            (b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 70000 + b"\r\n\r\n", 431),
        ]
        for request_bytes, expected in cases:
            answer = raw(port, request_bytes)
            assert answer, f"the connection was dropped for {request_bytes[:60]!r}"
            assert status_of(answer) == expected, (request_bytes[:60], answer[:200])
            if expected == 200:
                assert answer.endswith(video)
            # ...and a good request right after still works.
            assert request(f"{base}/video.mp4", {"Range": "bytes=0-9"})[2] == video[:10]
        assert server.request_queue_size >= 64, "a burst of requests would wait for accept()"
    finally:
        server.shutdown()
        server.server_close()


def test_a_busy_or_impossible_port_is_one_line(tmp_path):
    import socket

    from tests.helpers import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args, pattern in [
            (("--port", str(port)), rf"error: --port: cannot listen on 127\.0\.0\.1:{port} \(.+\); stop what is using"),
            (("--port", "70000"), r"error: --port: port 70000 is out of range; use a number from 1 to 65535"),
            (("--port", "-1"), r"error: --port: port -1 is out of range"),
        ]:
            result = cli(tmp_path, "serve", "--no-watch", *args)
            assert result.returncode == 1
            lines = result.stderr.strip().split("\n")
            assert len(lines) == 1 and re.fullmatch(pattern + ".*", lines[0]), result.stderr
            assert not (tmp_path / "build").exists(), "nothing is built when the server cannot start"


# --------------------------------------------------------------------------- quiet, bounded, no listings
def serving(folder):
    server = make_server(folder, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def test_dropped_connections_are_quiet(tmp_path, monkeypatch):
    """Browsers drop connections mid-file all the time (a seek, a closed tab): no traceback."""
    import socket
    import socketserver
    import struct
    import sys
    import time

    from generator.serve import SiteServer

    (tmp_path / "big.bin").write_bytes(b"x" * 16_000_000)
    printed, seen = [], []
    monkeypatch.setattr(socketserver.BaseServer, "handle_error",
                        lambda self, request, address: printed.append(sys.exc_info()[1]))
    original = SiteServer.handle_error

    def spy(self, request, address):
        seen.append(sys.exc_info()[1])
        original(self, request, address)

    monkeypatch.setattr(SiteServer, "handle_error", spy)
    server, port = serving(tmp_path)
    try:
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(100)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, as a tab closing
            sock.close()
        deadline = time.monotonic() + 60
        while len(seen) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(seen) == 5, f"the drops gave no error to stay quiet about: {seen}"
        assert printed == [], f"dropped connections were reported: {printed}"
        assert request(f"http://127.0.0.1:{port}/big.bin", {"Range": "bytes=0-3"})[2] == b"xxxx"
    finally:
        server.shutdown()
        server.server_close()


def test_a_connection_that_sends_no_headers_is_closed(tmp_path, monkeypatch):
    import socket
    import time

    from generator.serve import SiteHandler

    monkeypatch.setattr(SiteHandler, "timeout", 0.5)
    (tmp_path / "index.html").write_text("<html><body>hi</body></html>")
    server, port = serving(tmp_path)
    try:
        slow = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(10)]
        started = time.monotonic()
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # ...and never the blank line
        for sock in slow:
            assert sock.recv(100) == b"", "the server kept a connection that never finished its request"
            sock.close()
        assert time.monotonic() - started < 25
        assert request(f"http://127.0.0.1:{port}/index.html")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_folders_are_not_listed(tmp_path):
    import urllib.error

    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("p{}")
    (tmp_path / "lesson").mkdir()
    (tmp_path / "lesson" / "index.html").write_text("<html><body>lesson</body></html>")
    server, port = serving(tmp_path)
    try:
        for path in ("/static/", "/static/css/", "/static"):
            try:
                status = request(f"http://127.0.0.1:{port}{path}")[0]
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == 404, f"{path} answered {status}"
        assert b"lesson" in request(f"http://127.0.0.1:{port}/lesson/")[2]  # a folder's index.html still is
    finally:
        server.shutdown()
        server.server_close()
