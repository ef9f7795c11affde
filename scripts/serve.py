#!/usr/bin/env python3
"""Serves a folder (the repository root, or dist/) on localhost with the headers the app needs:
the wasm MIME type, cross-origin isolation (so wasm threads and precise timers are allowed),
precompressed `.br`/`.gz` files sent with Content-Encoding where the browser accepts them, and
revalidation of every file (a reload asks "changed?" and gets 304 when not).

    scripts/serve.py [PORT] [--dir FOLDER] [-v]"""
import http.server
import os
import sys

PORT = int(next((a for a in sys.argv[1:] if a.isdigit()), 8080))
ROOT = sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else "."
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # preferred first


def accepted(header):
    """The codings an Accept-Encoding header allows (q=0 excludes one)."""
    codings = set()
    for part in header.split(","):
        name, *params = [p.strip() for p in part.split(";")]
        if not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            codings.add(name.lower())
    return codings


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".bpk": "application/octet-stream"}
    suffix = ""

    def send_head(self):
        self.suffix = ""
        path = super().translate_path(self.path)
        if os.path.isfile(path):
            codings = accepted(self.headers.get("Accept-Encoding", ""))
            for coding, suffix in ENCODINGS:
                variant = path + suffix
                if coding in codings and os.path.isfile(variant) and os.path.getmtime(variant) >= os.path.getmtime(path):
                    self.suffix, self.coding = suffix, coding
                    break
        return super().send_head()

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
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args):
        if "-v" in sys.argv:
            super().log_message(*args)


if __name__ == "__main__":
    handler = lambda *args, **kwargs: Handler(*args, directory=ROOT, **kwargs)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), handler)
    print(f"Glimpse: serving {ROOT} on http://127.0.0.1:{PORT}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
