#!/usr/bin/python3
"""botocore's SigV4 for the requests segmaker sent (tests/storage/test_sigv4.cpp).

Reads a JSON file: {"access_key", "secret_key", "region", "requests": [{"method", "url", "headers",
"body_file", "amz_date"}]} and prints one JSON list: the Authorization header botocore's
S3SigV4Auth (SigV4Auth with S3's rules: no path re-normalisation, payload hash header) computes for
each request at the same x-amz-date. Only the headers a client chooses to sign are passed (host,
x-amz-*, content-type, content-md5, range); botocore recomputes x-amz-content-sha256 from the body.
"""
import datetime
import json
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec, request):
    fixed = datetime.datetime.strptime(request["amz_date"], "%Y%m%dT%H%M%SZ")

    class FixedDateTime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    botocore.auth.datetime = types.SimpleNamespace(datetime=FixedDateTime)
    body = b""
    if request.get("body_file"):
        with open(request["body_file"], "rb") as f:
            body = f.read()
    headers = {k: v for k, v in request["headers"].items()
               if k.lower() in ("host", "content-type", "content-md5", "range") or k.lower().startswith("x-amz-")}
    headers.pop("x-amz-content-sha256", None)  # botocore hashes the body itself
    aws_request = AWSRequest(method=request["method"], url=request["url"], headers=headers, data=body)
    credentials = Credentials(spec["access_key"], spec["secret_key"], spec.get("token") or None)
    botocore.auth.S3SigV4Auth(credentials, "s3", spec["region"]).add_auth(aws_request)
    return {"authorization": aws_request.headers["Authorization"],
            "x-amz-content-sha256": aws_request.headers["X-Amz-Content-SHA256"]}


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    print(json.dumps([sign(spec, r) for r in spec["requests"]]))


if __name__ == "__main__":
    main()
