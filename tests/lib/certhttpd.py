#!/usr/bin/env python3
"""An HTTP server for the Hash and URL tests (RFC 7296 3.6): serves the
files of a directory, or misbehaves on purpose.

    certhttpd.py ADDR PORT DIR MODE

MODE: ok (the file, application/pkix-cert), 404, slow (never answers),
big (200 with BIG_BYTES bytes, default 70000), redirect (302 to the same
path + ".moved"), garbage (200 with 800 random bytes), other (200 with
DIR/other.der whatever was asked).  Each request is logged to stderr as
"GET PATH STATUS", then flushed, for the tests to read.
"""
import http.server
import os
import sys
import time

addr, port, root, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        sys.stderr.write(f"GET {self.path} {status}\n")
        sys.stderr.flush()

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.note(status)

    def do_GET(self):
        name = os.path.basename(self.path)
        if mode == "slow":
            self.note("slow")
            time.sleep(60)
            return
        if mode == "404":
            return self.send(404, b"not here\n")
        if mode == "big":
            return self.send(200, b"\x30" * int(os.environ.get("BIG_BYTES", "70000")))
        if mode == "redirect":
            return self.send(302, b"", [("Location", self.path + ".moved")])
        if mode == "garbage":
            return self.send(200, os.urandom(800))
        if mode == "other":
            name = "other.der"
        try:
            with open(os.path.join(root, name), "rb") as f:
                body = f.read()
        except OSError:
            return self.send(404, b"not here\n")
        self.send(200, body, [("Content-Type", "application/pkix-cert")])


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


Server((addr, port), Handler).serve_forever()
