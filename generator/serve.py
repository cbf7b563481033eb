"""`python -m generator serve`: preview build/site on localhost.

- Answers byte-range requests (206), so videos seek and a theme swap keeps its place.
- Watches content/, scenes/, templates/ and generator/; on a save it rebuilds (in a
  child process, so a failing build only prints its error) and open pages reload.
"""
from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

WATCHED = ("content", "scenes", "templates", "generator")
RELOAD_SCRIPT = (
    "let seen=null;setInterval(async()=>{try{const r=await fetch('/__reload');const v=await r.text();"
    "if(seen!==null&&v!==seen)location.reload();seen=v}catch(e){}},1000);"
)
RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges, plus the reload endpoint and script."""

    version_box: list[int] = [0]
    live_reload = True

    def log_message(self, format: str, *args) -> None:  # quiet: the build prints what matters
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/__reload":
            return self._send_text(str(self.version_box[0]), "text/plain")
        if self.path == "/__reload.js":
            return self._send_text(RELOAD_SCRIPT, "text/javascript")
        return super().do_GET()

    def _send_text(self, text: str, content_type: str) -> None:
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) or not os.path.isfile(path):
            return super().send_head()
        if self.live_reload and path.endswith(".html"):
            return self._send_html_with_reload(path)
        size = os.path.getsize(path)
        match = RANGE.match(self.headers.get("Range", "").strip())
        if not match or (not match[1] and not match[2]):
            response = super().send_head()
            return response
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # "bytes=-N": the last N bytes
            start, end = max(0, size - int(match[2])), size - 1
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return _Limited(handle, end - start + 1)

    def _send_html_with_reload(self, path: str):
        body = Path(path).read_bytes().replace(b"</body>", b'<script src="/__reload.js"></script></body>')
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        import io

        return io.BytesIO(body)

    def end_headers(self) -> None:
        if "Range" not in self.headers:
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


class _Limited:
    """A file object that stops after `remaining` bytes (for copyfile)."""

    def __init__(self, handle, remaining: int):
        self.handle, self.remaining = handle, remaining

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


def make_server(site: Path, port: int, live_reload: bool = True) -> http.server.ThreadingHTTPServer:
    handler = partial(type("Handler", (SiteHandler,), {"live_reload": live_reload, "version_box": [0]}),
                      directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def snapshot(root: Path) -> dict[str, int]:
    stamps = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                stamps[str(path)] = path.stat().st_mtime_ns
    return stamps


def serve(root: Path, port: int = 8000, quality: str = "publish", watch: bool = True) -> int:
    site = root / "build" / "site"
    rebuild = [sys.executable, "-m", "generator", "--root", str(root), "build", "--quality", quality]
    if not site.exists():
        subprocess.run(rebuild, cwd=root)
    server = make_server(site, port)
    version_box = server.RequestHandlerClass.func.version_box  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving {site} at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    try:
        stamps = snapshot(root)
        while True:
            time.sleep(0.5)
            if not watch:
                continue
            now = snapshot(root)
            if now != stamps:
                stamps = now
                print("Change seen; rebuilding...")
                if subprocess.run(rebuild, cwd=root).returncode == 0:
                    version_box[0] += 1
    except KeyboardInterrupt:
        server.shutdown()
    return 0
