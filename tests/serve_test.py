"""scripts/serve.py: which file goes out for which Accept-Encoding, with which headers.

    python3 tests/serve_test.py"""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        for name, body in [("core.wasm", b"raw"), ("core.wasm.br", b"brotli"), ("core.wasm.gz", b"gzip"),
                           ("page.js", b"js"), ("page.js.gz", b"stale gzip")]:
            with open(os.path.join(d, name), "wb") as f:
                f.write(body)
        # page.js.gz predates page.js: an old variant must never be sent for a newer file.
        old = time.time() - 100
        os.utime(os.path.join(d, "page.js.gz"), (old, old))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            cls.port = s.getsockname()[1]
        cls.server = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/serve.py"), str(cls.port), "--dir", d],
                                      stdout=subprocess.PIPE)
        assert b"serving" in cls.server.stdout.readline()

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        cls.server.wait()
        cls.dir.cleanup()

    def get(self, path, **headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    def test_brotli_first_then_gzip_then_raw(self):
        for accept, body, coding in [("gzip, deflate, br, zstd", b"brotli", "br"), ("gzip", b"gzip", "gzip"),
                                     ("br;q=0, gzip", b"gzip", "gzip"), ("", b"raw", None), ("identity", b"raw", None)]:
            response, got = self.get("/core.wasm", **{"Accept-Encoding": accept})
            self.assertEqual((response.status, got, response.getheader("Content-Encoding")), (200, body, coding), accept)
            self.assertEqual(response.getheader("Content-Type"), "application/wasm")
            self.assertEqual(response.getheader("Content-Length"), str(len(body)))
            self.assertEqual(response.getheader("Vary"), "Accept-Encoding")

    def test_a_stale_variant_is_not_sent(self):
        response, got = self.get("/page.js", **{"Accept-Encoding": "gzip"})
        self.assertEqual((got, response.getheader("Content-Encoding")), (b"js", None))
        self.assertEqual(response.getheader("Content-Type"), "text/javascript")

    def test_isolation_headers_and_revalidation(self):
        response, _ = self.get("/core.wasm", **{"Accept-Encoding": "br"})
        self.assertEqual(response.getheader("Cross-Origin-Opener-Policy"), "same-origin")
        self.assertEqual(response.getheader("Cross-Origin-Embedder-Policy"), "require-corp")
        self.assertEqual(response.getheader("Cache-Control"), "no-cache")
        again, body = self.get("/core.wasm", **{"Accept-Encoding": "br", "If-Modified-Since": response.getheader("Last-Modified")})
        self.assertEqual((again.status, body), (304, b""))

    def test_missing_files_are_404(self):
        response, _ = self.get("/nothing.wasm", **{"Accept-Encoding": "br"})
        self.assertEqual(response.status, 404)


if __name__ == "__main__":
    unittest.main()
