#!/usr/bin/env python3
"""Signs one request with botocore's SigV4Auth (the AWS SDK's own signer) for the auth tests.

send mode (default): sends it with urllib and prints {"status": …, "body": …} as JSON.
--describe: sends nothing; prints {"canonical_request", "headers", "authorization"} as JSON.
"""
import argparse
import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--method", default="POST")
    p.add_argument("--target", help="X-Amz-Target (control plane)")
    p.add_argument("--body", default="{}")
    p.add_argument("--content-type", default="application/x-amz-json-1.1")
    p.add_argument("--header", action="append", default=[], help="NAME:VALUE, signed")
    p.add_argument("--access-key", default="AKIDSEGMAKER")
    p.add_argument("--secret", default="segmaker-secret")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--service", default="sagemaker")
    p.add_argument("--skew", type=float, default=0, help="seconds added to the signing clock")
    p.add_argument("--tamper", action="store_true", help="change the body after signing")
    p.add_argument("--describe", action="store_true")
    a = p.parse_args()

    real = datetime.datetime

    class Skewed(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() + datetime.timedelta(seconds=a.skew)

    botocore.auth.datetime.datetime = Skewed
    headers = {"Content-Type": a.content_type}
    if a.target:
        headers["X-Amz-Target"] = a.target
    for h in a.header:
        k, v = h.split(":", 1)
        headers[k] = v
    body = a.body.encode()
    req = botocore.awsrequest.AWSRequest(method=a.method, url=a.url, data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(a.access_key, a.secret), a.service, a.region)
    signed = {}
    canonical = signer.canonical_request

    def recording(request):
        signed["canonical_request"] = canonical(request)
        return signed["canonical_request"]

    signer.canonical_request = recording
    signer.add_auth(req)
    botocore.auth.datetime.datetime = real
    if a.describe:
        headers = [[k, v] for k, v in req.headers.items()]
        if not any(k.lower() == "host" for k, _ in headers):  # what the HTTP client sends
            headers.append(["Host", urllib.parse.urlsplit(a.url).netloc])
        print(json.dumps({"canonical_request": signed["canonical_request"],
                          "headers": headers,
                          "authorization": req.headers["Authorization"]}))
        return
    if a.tamper:
        body = body + b" "
    out = urllib.request.Request(a.url, data=body, method=a.method, headers=dict(req.headers.items()))
    try:
        with urllib.request.urlopen(out, timeout=60) as r:
            print(json.dumps({"status": r.status, "body": r.read().decode("utf-8", "replace")}))
    except urllib.error.HTTPError as e:
        print(json.dumps({"status": e.code, "body": e.read().decode("utf-8", "replace"),
                          "error_type": e.headers.get("x-amzn-ErrorType", "")}))


if __name__ == "__main__":
    sys.exit(main())
