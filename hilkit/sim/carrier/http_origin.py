"""The carrier network's web server, run inside its namespace as a program of its own (by path,
standard library only: it imports nothing of hilkit's).

``/`` answers 200 with a line of text, ``/generate_204`` an empty 204 (what connectivity checks
ask), ``/bytes?n=N`` N bytes to download, ``/portal`` the portal's page. Faults: ``--portal URL``
redirects everything else there with a 302; ``--drop-after N`` takes the namespace's end of the
link down once N bytes of a download are written (the link drops mid-transfer). It prints
``ready`` once it listens.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CHUNK = 64 * 1024
MOST = 1 << 30   # the largest download served


class CarrierServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], options: argparse.Namespace) -> None:
        self.options = options
        super().__init__(address, Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """One line, not a traceback: a client that went away mid-answer is part of the job."""
        sys.stderr.write(f"{client_address}: {sys.exc_info()[1]!r}\n")


class Handler(BaseHTTPRequestHandler):
    server_version = "hilkit-carrier"
    protocol_version = "HTTP/1.0"
    server: CarrierServer

    def _answer(self, status: int, body: bytes = b"", kind: str = "text/plain", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        options = self.server.options
        if options.portal and url.path != "/portal":
            self._answer(302, b"", Location=options.portal)
        elif url.path == "/generate_204":
            self._answer(204)
        elif url.path == "/":
            self._answer(200, b"hilkit carrier network\n")
        elif url.path == "/portal":
            self._answer(200, b"<html><body>Log in to continue</body></html>\n", "text/html")
        elif url.path == "/bytes":
            self._download(min(int(parse_qs(url.query).get("n", ["0"])[0] or 0), MOST))
        else:
            self._answer(404, b"not here\n")

    def _download(self, size: int) -> None:
        options = self.server.options
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        block = bytes(CHUNK)
        written = 0
        while written < size:
            piece = min(CHUNK, size - written)
            self.wfile.write(block[:piece])
            written += piece
            if options.drop_after and written >= options.drop_after and written < size:
                subprocess.run([options.ip, "link", "set", "dev", options.link, "down"], check=False)
                self.log_message("link %s taken down after %d of %d bytes", options.link, written, size)
                self.close_connection = True
                return

    def log_message(self, format: str, *args: object) -> None:   # noqa: A002 (BaseHTTPRequestHandler's name)
        sys.stderr.write(f"{self.address_string()} {format % args}\n")
        sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--portal", default="")
    parser.add_argument("--drop-after", type=int, default=0)
    parser.add_argument("--link", default="")
    parser.add_argument("--ip", default="ip")
    options = parser.parse_args(argv)
    server = CarrierServer((options.address, options.port), options)
    print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
