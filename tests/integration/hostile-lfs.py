#!/usr/bin/python3
"""hostile-lfs.py: a Git LFS server that tries to get the user's credentials
sent to another host:port, for t6060.

    hostile-lfs.py STATE_DIR USER PASSWORD

Listens on two free loopback ports: "home" (the endpoint the client is
configured with) and "other" (the host that must never see the user's
credentials).  Writes STATE_DIR/ports ("HOME OTHER") once both listen.
Every request is logged to STATE_DIR/log as one line:
    <home|other> <METHOD> <path> <Authorization header or ->
Objects to serve live in STATE_DIR/objects/<oid>.

The first path segment of a batch URL picks the trick the batch answer
plays (home/<trick>/info/lfs/objects/batch):
    verify-other    upload on home, verify on other
    upload-other    upload and verify on other
    verify-redirect upload on home, verify on home answering 307 to other
    dl-home         download on home (credentials belong there)
    dl-other        download on other
    dl-redirect     download on home answering 302 to other
    dl-bad-other    download on other, which flips a byte (a broken mirror)
    dl-stall        download on home, which sends half the bytes and stalls
    batch-redirect  the batch itself answers 307 to other, once authorised
    ansi            per-object errors and messages full of escape sequences
    ansi-status     the batch fails with HTTP 500 and an escape-laden message
Home asks for Basic credentials (401) on every batch request without the
right ones; other never asks.
"""
import base64
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE, USER, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
GOOD = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
LOCK = threading.Lock()
BASE = {}
ESC = "\x1b[2J\x1b]0;owned\x07\rgotcha"


def handler(side):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self):
            with LOCK, open(os.path.join(STATE, "log"), "a") as f:
                auth = self.headers.get("Authorization", "-")
                f.write(f"{side} {self.command} {self.path} {auth}\n")

        def body(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            return self.rfile.read(n) if n else b""

        def send(self, status, data=b"", ctype="application/vnd.git-lfs+json", extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def batch(self, trick, req):
            home, other = BASE["home"], BASE["other"]
            if trick == "ansi-status":
                return self.send(500, json.dumps({"message": ESC}).encode())
            if trick == "batch-redirect":
                return self.send(307, extra=[("Location", f"{other}/{trick}/info/lfs/objects/batch")])
            objs = []
            for o in req.get("objects", []):
                oid, size = o["oid"], o["size"]
                a = {}
                if trick == "ansi":
                    objs.append({"oid": oid, "size": size, "error": {"code": 404, "message": ESC}})
                    continue
                if req.get("operation") == "upload":
                    up = other if trick == "upload-other" else home
                    ver = {"verify-other": other, "upload-other": other}.get(trick, home)
                    vpath = "redir/verify" if trick == "verify-redirect" else "verify"
                    a["upload"] = {"href": f"{up}/up/{oid}"}
                    a["verify"] = {"href": f"{ver}/{vpath}"}
                else:
                    where = {"dl-home": f"{home}/dl", "dl-other": f"{other}/dl",
                             "dl-bad-other": f"{other}/bad",
                             "dl-stall": f"{home}/stall"}.get(trick, f"{home}/redir/dl")
                    a["download"] = {"href": f"{where}/{oid}"}
                objs.append({"oid": oid, "size": size, "authenticated": False, "actions": a})
            self.send(200, json.dumps({"transfer": "basic", "objects": objs}).encode())

        def do_POST(self):
            self.record()
            data = self.body()
            parts = self.path.strip("/").split("/")
            if self.path.endswith("/info/lfs/objects/batch"):
                if side == "home" and self.headers.get("Authorization") != GOOD:
                    return self.send(401, b'{"message":"credentials please"}',
                                     extra=[("LFS-Authenticate", 'Basic realm="hostile"')])
                if side == "other":
                    return self.send(401, b'{"message":"who are you"}')
                return self.batch(parts[0], json.loads(data or b"{}"))
            if parts[:2] == ["redir", "verify"]:
                return self.send(307, extra=[("Location", f"{BASE['other']}/verify")])
            self.send(200, b"{}")

        def do_PUT(self):
            self.record()
            self.body()
            self.send(200, b"", "text/plain")

        def do_GET(self):
            self.record()
            parts = self.path.strip("/").split("/")
            if parts[:2] == ["redir", "dl"]:
                return self.send(302, extra=[("Location", f"{BASE['other']}/dl/{parts[2]}")])
            if parts[0] == "stall" and len(parts) == 2 and parts[1].isalnum():
                with open(os.path.join(STATE, "objects", parts[1]), "rb") as f:
                    data = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                # Until the client goes away (or the test ends).
                self.rfile.read(1)
                return
            if parts[0] in ("dl", "bad") and len(parts) == 2 and parts[1].isalnum():
                try:
                    with open(os.path.join(STATE, "objects", parts[1]), "rb") as f:
                        data = bytearray(f.read())
                except OSError:
                    data = None
                if data is not None:
                    if parts[0] == "bad" and data:
                        data[len(data) // 2] ^= 0xff
                    return self.send(200, bytes(data), "application/octet-stream")
            self.send(404, b'{"message":"not here"}')

    return H


def main():
    servers = {}
    for side in ("home", "other"):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler(side))
        srv.daemon_threads = True
        servers[side] = srv
        BASE[side] = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=servers["other"].serve_forever, daemon=True).start()
    tmp = os.path.join(STATE, "ports.tmp")
    with open(tmp, "w") as f:
        f.write(f"{servers['home'].server_address[1]} {servers['other'].server_address[1]}\n")
    os.rename(tmp, os.path.join(STATE, "ports"))
    servers["home"].serve_forever()


if __name__ == "__main__":
    main()
