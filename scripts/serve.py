#!/usr/bin/env python3
"""Serves the page on localhost with the headers it needs: the wasm MIME type, cross-origin
isolation (wasm threads, precise timers), the Content-Security-Policy (as a header, so that it
covers the worker too), precompressed `.br`/`.gz` files sent with Content-Encoding where the
browser accepts them, and revalidation of every file.

Only what the page needs goes out: by default the page's own files of the repository
(index.html, isolation-sw.js, www/, the weights and their licences), plus what `--allow PREFIX`
adds (the benchmarks' pages and builds); with `--dir FOLDER`, that folder (e.g. dist/). Never a
dotfile, a folder listing, or a file whose real location (after links) is outside what is served.
Requests must name this server (a Host of 127.0.0.1 or localhost: DNS rebinding gets nothing).
Headers, concurrent connections and idle connections are bounded.

    scripts/serve.py [PORT] [--dir FOLDER] [--allow PREFIX]... [-v]"""
import http.client
import http.server
import os
import sys
import threading

PORT = int(next((a for a in sys.argv[1:] if a.isdigit()), 8080))
ROOT = os.path.realpath(sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else os.path.join(os.path.dirname(__file__), ".."))
# What the page needs from the repository; everything in --dir otherwise.
PAGE = ["index.html", "isolation-sw.js", "www/", "models/efficientnet-lite", "models/LICENSE-", "models/NOTICE"]
ALLOWED = None if "--dir" in sys.argv else PAGE + [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--allow"]
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # preferred first
HOSTS = {f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}", "127.0.0.1", "localhost"}
# The page's policy, also in index.html's <meta> (for hosts that cannot send headers); the
# header adds what a <meta> cannot hold (frame-ancestors) and covers the worker's script.
# `blob:` workers: wasm-bindgen-rayon starts its threads from a same-origin copy of its script.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
       "style-src 'self'; connect-src 'self'; worker-src 'self' blob:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")

# Header lines of at most 8 KB, at most 64 of them (the standard library allows 64 KB × 100).
http.client._MAXLINE = 8192
http.client._MAXHEADERS = 64
MAX_CONNECTIONS = 128  # served at once; more wait in the listen backlog
IDLE_S = 15  # a connection that sends nothing this long is closed (slowloris)


def accepted(header):
    """The codings an Accept-Encoding header allows (q=0 excludes one)."""
    codings = set()
    for part in header.split(","):
        name, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q > 0:
            codings.add(name.lower())
    return codings


def allowed(relative):
    """Whether a path relative to ROOT may go out: no dotfile anywhere in it, within the allow-list."""
    if any(part.startswith(".") for part in relative.split("/") if part):
        return False
    return ALLOWED is None or relative in ("", "index.html") or any(relative.startswith(p) for p in ALLOWED)


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".bpk": "application/octet-stream"}
    suffix = ""
    timeout = IDLE_S

    def send_head(self):
        self.suffix = ""
        host = self.headers.get("Host", "")
        if host not in HOSTS:
            self.send_error(421, "This server answers only to its own name")
            return None
        path = super().translate_path(self.path)
        if "\x00" in path:
            self.send_error(400, "Bad path")
            return None
        real = os.path.realpath(path)
        relative = os.path.relpath(real, ROOT).replace(os.sep, "/")
        inside = real == ROOT or real.startswith(ROOT + os.sep)
        if not inside or not allowed("" if relative == "." else relative):
            self.send_error(404, "File not found")
            return None
        if os.path.isdir(real) and not os.path.isfile(os.path.join(real, "index.html")):
            self.send_error(404, "File not found")  # no listings
            return None
        if os.path.isfile(path):
            codings = accepted(self.headers.get("Accept-Encoding", ""))
            for coding, suffix in ENCODINGS:
                variant = path + suffix
                if coding in codings and os.path.isfile(variant) and os.path.getmtime(variant) >= os.path.getmtime(path):
                    self.suffix, self.coding = suffix, coding
                    break
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "File not found")
        return None

    def translate_path(self, path):
        return super().translate_path(path) + self.suffix

    def guess_type(self, path):
        return super().guess_type(path[: len(path) - len(self.suffix)])

    def end_headers(self):
        if self.suffix:
            self.send_header("Content-Encoding", self.coding)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        if "-v" in sys.argv:
            super().log_message(*args)


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address):
        self.slots.acquire()
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        # A client that misbehaves (a reset, a timeout) is its own problem: one line, no traceback.
        if "-v" in sys.argv:
            print(f"{client_address[0]}: {sys.exc_info()[1]!r}", file=sys.stderr)


if __name__ == "__main__":
    handler = lambda *args, **kwargs: Handler(*args, directory=ROOT, **kwargs)
    server = Server(("127.0.0.1", PORT), handler)
    print(f"Glimpse: serving {ROOT} on http://127.0.0.1:{PORT}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
