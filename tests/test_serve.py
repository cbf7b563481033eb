"""`make serve`: byte ranges (so videos seek) and the reload endpoint."""
from __future__ import annotations

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
