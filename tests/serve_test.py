"""scripts/serve.py: which file goes out for which Accept-Encoding, with which headers; what never
goes out; and that it holds under bursts, huge headers and idle connections (bounded in count and
time, on loopback).

    python3 tests/serve_test.py"""
import concurrent.futures
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
        # What must never go out: dotfiles, listings, and what links lead out of the folder to.
        os.makedirs(os.path.join(d, ".git"))
        with open(os.path.join(d, ".git", "config"), "w") as f:
            f.write("secret")
        os.makedirs(os.path.join(d, "folder"))
        cls.outside = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.outside.name, "passwd"), "w") as f:
            f.write("root:x:0:0")
        os.symlink(os.path.join(cls.outside.name, "passwd"), os.path.join(d, "link"))
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
        cls.outside.cleanup()

    def get(self, path, port=None, **headers):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    def test_brotli_first_then_gzip_then_raw(self):
        for accept, body, coding in [("gzip, deflate, br, zstd", b"brotli", "br"), ("gzip", b"gzip", "gzip"),
                                     ("br;q=0, gzip", b"gzip", "gzip"), ("br;Q=0, gzip", b"gzip", "gzip"), ("br;q=0., gzip", b"gzip", "gzip"),
                                     ("", b"raw", None), ("identity", b"raw", None)]:
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

    def test_the_policy_covers_every_response(self):
        response, _ = self.get("/page.js")
        policy = response.getheader("Content-Security-Policy")
        self.assertIn("default-src 'self'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")

    def test_dotfiles_listings_and_links_out_never_go_out(self):
        for path in ["/.git/config", "/.git/", "/folder/", "/link", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"]:
            response, body = self.get(path)
            self.assertEqual(response.status, 404, path)
            self.assertNotIn(b"secret", body)
            self.assertNotIn(b"root:", body)

    def test_another_host_name_gets_nothing(self):
        # A page of another site reaching this server through DNS rebinding names its own host.
        response, body = self.get("/page.js", Host="attacker.example:80")
        self.assertEqual(response.status, 421)
        self.assertNotIn(b"js", body.split(b"<")[0])

    def test_a_nul_in_the_path_is_refused_and_the_server_lives(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /page%00.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertIn(b" 400 ", s.recv(100))
        self.assertEqual(self.get("/page.js")[0].status, 200)

    def test_huge_headers_are_refused(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /page.js HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Big: " + b"a" * 65000 + b"\r\n\r\n")
            self.assertIn(b" 431 ", s.recv(100))
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /page.js HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(99)) + b"\r\n")
            self.assertIn(b" 431 ", s.recv(100))

    def test_a_burst_and_idle_connections_do_not_block_others(self):
        # Idle connections (slowloris) hold a slot each until they time out; 300 requests at once
        # still get through, queued in the listen backlog.
        idle = [socket.create_connection(("127.0.0.1", self.port), timeout=10) for _ in range(40)]
        for s in idle:
            s.sendall(b"GET /page.js HTTP/1.1\r\n")
        with concurrent.futures.ThreadPoolExecutor(max_workers=300) as pool:
            statuses = list(pool.map(lambda _: self.get("/page.js")[0].status, range(300)))
        self.assertEqual(statuses, [200] * 300)
        for s in idle:
            s.close()


class Repository(unittest.TestCase):
    """Without --dir: the page's files of the repository, and nothing else."""

    def test_only_the_page_goes_out(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/serve.py"), str(port)], stdout=subprocess.PIPE)
        try:
            assert b"serving" in server.stdout.readline()
            for path, status in [("/", 200), ("/index.html", 200), ("/www/app.js", 200), ("/www/worker.js", 200),
                                 ("/.git/config", 404), ("/crate/Cargo.toml", 404), ("/target/", 404), ("/node_modules/", 404),
                                 ("/.venv/bin/python3", 404), ("/scripts/serve.py", 404), ("/www/", 404)]:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                self.assertEqual(response.status, status, path)
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    unittest.main()
