#!/usr/bin/python3
"""The reference side of t9050-sigv4-botocore.sh: botocore's SigV4 signers
with fixed credentials and a frozen clock, over the same table the C
driver (`sigv4.t --driver`) reads.  One line out per row:

  presign  AKID SECRET REGION METHOD URL NOW EXPIRES
      botocore.auth.S3SigV4QueryAuth on URL: the presigned URL
  object   AKID SECRET REGION METHOD ENDPOINT BUCKET KEY path|virtual NOW EXPIRES
      an S3 client's generate_presigned_url (it builds and encodes the
      URL itself, path-style or virtual-hosted): the presigned URL
  headers  AKID SECRET REGION METHOD URL NOW PAYLOAD [NAME=VALUE|...]
      botocore.auth.S3SigV4Auth: the canonical request (newlines as \\n),
      a tab, the Authorization header.  PAYLOAD is UNSIGNED-PAYLOAD or
      body:TEXT (the body whose SHA-256 is signed).

Must run with Debian's python3 (python3-botocore), not a virtualenv's.
"""
import datetime
import hashlib
import sys
import types

import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.session

EPOCH = datetime.datetime(1970, 1, 1)


class FrozenClock(datetime.datetime):
    """datetime.datetime whose utcnow() is the row's NOW."""

    now = 0

    @classmethod
    def utcnow(cls):
        return EPOCH + datetime.timedelta(seconds=cls.now)


# botocore.auth reads the clock as datetime.datetime.utcnow().
botocore.auth.datetime = types.SimpleNamespace(datetime=FrozenClock)

OPERATIONS = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object",
              "DELETE": "delete_object"}
_session = botocore.session.Session()
_clients = {}


def client(akid, secret, region, endpoint, style):
    key = (akid, secret, region, endpoint, style)
    if key not in _clients:
        _clients[key] = _session.create_client(
            "s3", region_name=region, endpoint_url=endpoint,
            aws_access_key_id=akid, aws_secret_access_key=secret,
            config=botocore.config.Config(signature_version="s3v4",
                                          s3={"addressing_style": style}))
    return _clients[key]


class RecordingS3SigV4Auth(botocore.auth.S3SigV4Auth):
    """Keeps the canonical request it signed."""

    canonical = None

    def canonical_request(self, request):
        self.canonical = super().canonical_request(request)
        return self.canonical


def row(f):
    kind, akid, secret, region, method = f[:5]
    creds = botocore.credentials.Credentials(akid, secret)
    if kind == "presign":
        url, now, expires = f[5], int(f[6]), int(f[7])
        FrozenClock.now = now
        req = botocore.awsrequest.AWSRequest(method=method, url=url)
        botocore.auth.S3SigV4QueryAuth(creds, "s3", region, expires=expires).add_auth(req)
        return req.url
    if kind == "object":
        endpoint, bucket, key, style, now, expires = f[5], f[6], f[7], f[8], int(f[9]), int(f[10])
        FrozenClock.now = now
        return client(akid, secret, region, endpoint, style).generate_presigned_url(
            OPERATIONS[method], Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)
    if kind == "headers":
        url, now, payload = f[5], int(f[6]), f[7]
        headers = []
        if len(f) > 8 and f[8]:
            for item in f[8].split("|"):
                name, _, value = item.partition("=")
                headers.append((name, value))
        FrozenClock.now = now
        req = botocore.awsrequest.AWSRequest(method=method, url=url)
        for name, value in headers:
            req.headers[name] = value
        if payload == "UNSIGNED-PAYLOAD":
            req.context["client_config"] = botocore.config.Config(
                s3={"payload_signing_enabled": False})
        elif payload.startswith("body:"):
            req.data = payload[5:].encode()
        else:
            raise ValueError("payload must be UNSIGNED-PAYLOAD or body:TEXT")
        auth = RecordingS3SigV4Auth(creds, "s3", region)
        auth.add_auth(req)
        canonical = auth.canonical.replace("\\", "\\\\").replace("\n", "\\n")
        return canonical + "\t" + req.headers["Authorization"]
    raise ValueError("unknown row kind " + kind)


def main():
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        try:
            print(row(f))
        except Exception as e:  # one bad row must not hide the others
            print("ERROR %s: %s" % (type(e).__name__, e))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
