"""`python -m generator serve`: preview build/site on localhost.

- Answers byte-range requests (206), so videos seek and a theme swap keeps its place.
- Watches content/, scenes/, templates/ and generator/; on a save it rebuilds (in a
  child process, so a failing build only prints its error) and open pages reload, only
  when the build published a new site version.
- Lists no folder, closes a connection that sends nothing for HEADER_TIMEOUT seconds,
  and says nothing when a browser drops a connection (it does, all the time).
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

from generator.errors import BuildError

WATCHED = ("content", "scenes", "templates", "generator")
RELOAD_SCRIPT = (
    "let seen=null;setInterval(async()=>{try{const r=await fetch('/__reload');const v=await r.text();"
    "if(seen!==null&&v!==seen)location.reload();seen=v}catch(e){}},1000);"
)
# A client that keeps a connection open without finishing its request is dropped after this.
HEADER_TIMEOUT = 10.0
# One range of at most 15 digits a side; anything else (several ranges, 5000 digits) is ignored.
RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})$")


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges, plus the reload endpoint and script."""

    version_box: list[int] = [0]
    live_reload = True
    # A request line that cannot be read still gets a status line (400, 414, 431), not an
    # HTTP/0.9 answer that has none.
    default_request_version = "HTTP/1.0"

    timeout = HEADER_TIMEOUT  # seconds a read on the connection may wait (socketserver applies it)

    def log_message(self, format: str, *args) -> None:  # quiet: the build prints what matters
        pass

    def list_directory(self, path):  # a folder without index.html is not a page of the site
        self.send_error(404, "File not found")
        return None

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
        if "\x00" in path:  # no file name holds a NUL; open() would raise
            self.send_error(400, "Bad request path")
            return None
        if os.path.isdir(path) or not os.path.isfile(path):
            return super().send_head()
        if self.live_reload and path.endswith(".html"):
            return self._send_html_with_reload(path)
        size = os.path.getsize(path)
        match = RANGE.match(self.headers.get("Range", "").strip())
        # A range that cannot be read (none, or "bytes=5-2") is ignored: the whole file (RFC 9110 14.2).
        if not match or (not match[1] and not match[2]) or (match[1] and match[2] and int(match[2]) < int(match[1])):
            return super().send_head()
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # "bytes=-N": the last N bytes
            start, end = max(0, size - int(match[2])), size - 1
        if start >= size or end < start:  # past the end ("bytes=-0" too): nothing to send
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
        # An error sent while the request line is parsed comes before any headers were read.
        headers = getattr(self, "headers", None)
        if headers is None or "Range" not in headers:
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


class SiteServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # a page's burst of requests (scripts, data, videos) never waits for accept()

    def handle_error(self, request, client_address) -> None:
        """A reader closing the tab mid-video, or a client that timed out: not worth a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(site: Path, port: int, live_reload: bool = True) -> SiteServer:
    """The preview server on 127.0.0.1:port (0: any free port). Raises BuildError if it cannot listen."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise BuildError("--port", f"port {port} is out of range", "use a number from 1 to 65535, e.g. --port 8000")
    handler = partial(type("Handler", (SiteHandler,), {"live_reload": live_reload, "version_box": [0]}),
                      directory=str(site))
    try:
        return SiteServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise BuildError("--port", f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})",
                         "stop what is using that port, or pick another with --port N") from None


def snapshot(root: Path) -> dict[str, int]:
    stamps = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                stamps[str(path)] = path.stat().st_mtime_ns
    return stamps


def site_version(site: Path) -> str:
    """The site version build/site points to ('' if none): a rebuild that published nothing keeps it."""
    try:
        return os.readlink(site)
    except OSError:
        return ""


def serve(root: Path, port: int = 8000, quality: str = "publish", watch: bool = True) -> int:
    site = root / "build" / "site"
    rebuild = [sys.executable, "-m", "generator", "--root", str(root), "build", "--quality", quality]
    if port == 0:
        raise BuildError("--port", "port 0 is out of range", "use a number from 1 to 65535, e.g. --port 8000")
    server = make_server(site, port)  # before the first build: a busy port is reported at once
    if not site.exists():
        subprocess.run(rebuild, cwd=root)
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
                published = site_version(site)
                if subprocess.run(rebuild, cwd=root).returncode == 0 and site_version(site) != published:
                    version_box[0] += 1  # open pages reload only for a new site
    except KeyboardInterrupt:
        server.shutdown()
    return 0
