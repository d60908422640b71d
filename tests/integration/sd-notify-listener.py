#!/usr/bin/python3
"""Stands in for systemd's notify socket (sd_notify(3)) in a test.

usage: sd-notify-listener.py SOCKET OUT SERVER_LOG

Binds a unix datagram socket at SOCKET (a leading '@': the abstract
namespace), creates OUT.ready once bound, then appends one line per datagram
to OUT: 'pid=SENDER FIELD|FIELD... [checks]'.  SENDER comes from the
kernel (SCM_CREDENTIALS), as systemd takes it for NotifyAccess=main.  On
READY=1 it checks what `systemctl start` would now let through: whether
SERVER_LOG already holds the 'listening on URL' line (logged=yes|no) and
what GET URL/healthz answers (healthz=STATUS)."""
import socket
import struct
import sys
import urllib.request

sock_path, out_path, log_path = sys.argv[1:4]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind("\0" + sock_path[1:] if sock_path.startswith("@") else sock_path)
open(out_path + ".ready", "w").close()
no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def ready_checks():
    try:
        with open(log_path) as log:
            line = next((l for l in log if l.startswith("listening on ")), None)
    except OSError:
        line = None
    if line is None:
        return "logged=no"
    url = line.split()[2]
    try:
        with no_proxy.open(url + "/healthz", timeout=30) as resp:
            return "logged=yes healthz=%d" % resp.status
    except Exception as e:  # the test shows what went wrong
        return "logged=yes healthz=error(%s)" % e


with open(out_path, "a", buffering=1) as out:
    while True:
        msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = "?"
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        fields = [f for f in msg.decode(errors="replace").split("\n") if f]
        checks = ready_checks() if "READY=1" in fields else ""
        out.write("pid=%s %s %s\n" % (pid, "|".join(fields), checks))
