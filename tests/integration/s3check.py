#!/usr/bin/python3
# s3check.py: the tests' independent S3 client (Debian's python3-boto3),
# so that what the server put in a bucket is checked by other code.
#   s3check.py mb BUCKET            make a bucket
#   s3check.py ls BUCKET [PREFIX]   "KEY SIZE" per object, sorted
#   s3check.py get BUCKET KEY FILE  the object's bytes into FILE
#   s3check.py put BUCKET KEY FILE  FILE's bytes under KEY
#   s3check.py rm BUCKET KEY        delete an object
# Endpoint and credentials from S3_ENDPOINT, S3_ACCESS_KEY_ID,
# S3_SECRET_ACCESS_KEY.
import os
import sys

import boto3
from botocore.config import Config


def main():
    c = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    cmd, bucket = sys.argv[1], sys.argv[2]
    if cmd == "mb":
        c.create_bucket(Bucket=bucket)
    elif cmd == "ls":
        prefix = sys.argv[3] if len(sys.argv) > 3 else ""
        rows = []
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            rows += ["%s %d" % (o["Key"], o["Size"]) for o in page.get("Contents", [])]
        for r in sorted(rows):
            print(r)
    elif cmd == "get":
        c.download_file(bucket, sys.argv[3], sys.argv[4])
    elif cmd == "put":
        c.upload_file(sys.argv[4], bucket, sys.argv[3])
    elif cmd == "rm":
        c.delete_object(Bucket=bucket, Key=sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)


main()
