#!/usr/bin/env python3
"""Prints a corpus of requests signed by botocore's SigV4 signers, as JSON, for AWSSigV4Tests.

Regenerate the committed copy with:
    python3 scripts/aws-sigv4-corpus.py > Tests/AWSSigV4Tests/Resources/botocore-corpus.json
Needs botocore (pip). The date is pinned, so the output is the same on every run.
"""
import datetime
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
DATES = [
    datetime.datetime(2015, 8, 30, 12, 36, 0),
    datetime.datetime(2026, 2, 28, 23, 59, 59),
    datetime.datetime(2024, 12, 31, 0, 0, 1),
]

CASES = [
    # name, method, url, headers, body, service, region, token
    ("get-vanilla", "GET", "https://example.amazonaws.com/", [], b"", "service", "us-east-1", None),
    ("get-empty-path", "GET", "https://example.amazonaws.com", [], b"", "service", "us-east-1", None),
    ("iam-list-users", "GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
     [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], b"", "iam", "us-east-1", None),
    ("query-sorted", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", [], b"", "service", "us-east-1", None),
    ("query-repeated-key", "GET", "https://example.amazonaws.com/?Param1=value2&Param1=Value1", [], b"", "service", "us-east-1", None),
    ("query-encoded", "GET", "https://example.amazonaws.com/?Pa%20ram=va%2Flue&%E1%88%B4=%C3%A9%3D&empty=&flag", [], b"", "service", "us-east-1", None),
    ("query-unreserved", "GET", "https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], b"", "service", "us-east-1", None),
    ("path-dots", "GET", "https://example.amazonaws.com/example1/example2/../..", [], b"", "service", "us-east-1", None),
    ("path-dot-segments", "GET", "https://example.amazonaws.com/./a/./b/../c/", [], b"", "service", "us-east-1", None),
    ("path-slashes", "GET", "https://example.amazonaws.com//a//b///c", [], b"", "service", "us-east-1", None),
    ("path-space-encoded", "GET", "https://example.amazonaws.com/example%20space/", [], b"", "service", "us-east-1", None),
    ("path-utf8", "GET", "https://example.amazonaws.com/%E1%88%B4", [], b"", "service", "us-east-1", None),
    ("path-reserved", "GET", "https://example.amazonaws.com/a%2Fb/c%3Dd/e~f", [], b"", "service", "us-east-1", None),
    ("header-whitespace", "GET", "https://example.amazonaws.com/",
     [("My-Header1", "  value1  "), ("My-Header2", "\"a   b   c\""), ("My-Header3", "value\t with \ttabs")], b"", "service", "us-east-1", None),
    ("header-case", "GET", "https://example.amazonaws.com/", [("X-Custom-UPPER", "Value"), ("x-custom-lower", "value")], b"", "service", "us-east-1", None),
    ("header-unsigned", "GET", "https://example.amazonaws.com/",
     [("User-Agent", "external-secrets"), ("Expect", "100-continue"), ("X-Amzn-Trace-Id", "Root=1"), ("Connection", "keep-alive")], b"", "service", "us-east-1", None),
    ("post-vanilla", "POST", "https://example.amazonaws.com/", [], b"", "service", "us-east-1", None),
    ("post-form", "POST", "https://sts.us-east-1.amazonaws.com/",
     [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
     b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=eso", "sts", "us-east-1", None),
    ("secretsmanager-get-secret-value", "POST", "https://secretsmanager.eu-central-1.amazonaws.com/",
     [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.GetSecretValue")],
     b'{"SecretId":"db/password","VersionStage":"AWSCURRENT"}', "secretsmanager", "eu-central-1", None),
    ("ssm-get-parameter-token", "POST", "https://ssm.us-west-2.amazonaws.com/",
     [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonSSM.GetParameter")],
     b'{"Name":"/app/db","WithDecryption":true}', "ssm", "us-west-2", "FQoGZXIvYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="),
    ("custom-endpoint-port", "POST", "http://127.0.0.1:4566/",
     [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.ListSecrets")],
     b"{}", "secretsmanager", "us-east-1", None),
    ("default-port-stripped", "GET", "https://example.amazonaws.com:443/", [], b"", "service", "us-east-1", None),
    ("host-uppercase-userinfo", "GET", "https://user@EXAMPLE.amazonaws.com:8443/", [], b"", "service", "us-east-1", None),
    ("binary-body", "PUT", "https://example.amazonaws.com/object", [("Content-Type", "application/octet-stream")],
     bytes(range(256)), "service", "ap-southeast-1", None),
    ("content-sha256-header", "PUT", "https://example.amazonaws.com/object",
     [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")], b"ignored body", "service", "us-east-1", None),
    ("china-region", "POST", "https://secretsmanager.cn-north-1.amazonaws.com.cn/",
     [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.DescribeSecret")],
     b'{"SecretId":"x"}', "secretsmanager", "cn-north-1", "short-token"),
]

PRESIGN = [
    # name, method, url, headers, service, region, token, expires, unsigned payload
    ("presign-sts-get-caller-identity", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
     [], "sts", "us-east-1", None, 60, False),
    ("presign-with-token", "GET", "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
     [("x-k8s-aws-id", "my-cluster")], "sts", "eu-west-1", "session/token+with=chars", 900, False),
    ("presign-s3", "GET", "https://examplebucket.s3.amazonaws.com/test.txt", [], "s3", "us-east-1", None, 86400, True),
    ("presign-encoded-query", "GET", "https://example.amazonaws.com/path?a%20b=c%2Fd&z=1", [], "service", "us-east-1", None, 3600, False),
]


def pinned(when):
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when)


def main():
    out = {"botocore": botocore.__version__, "cases": []}
    for index, (name, method, url, headers, body, service, region, token) in enumerate(CASES):
        when = DATES[index % len(DATES)]
        credentials = Credentials(KEY[0], KEY[1], token)
        request = AWSRequest(method=method, url=url, data=body)
        for header, value in headers:
            request.headers[header] = value
        with pinned(when):
            botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
        out["cases"].append({
            "name": name, "kind": "headers", "method": method, "url": url, "headers": headers,
            "bodyHex": body.hex(), "service": service, "region": region, "sessionToken": token,
            "date": int(when.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "authorization": request.headers["Authorization"],
        })
    for index, (name, method, url, headers, service, region, token, expires, unsigned) in enumerate(PRESIGN):
        when = DATES[index % len(DATES)]
        credentials = Credentials(KEY[0], KEY[1], token)
        request = AWSRequest(method=method, url=url)
        for header, value in headers:
            request.headers[header] = value
        signer_class = botocore.auth.S3SigV4QueryAuth if unsigned else botocore.auth.SigV4QueryAuth
        with pinned(when):
            signer_class(credentials, service, region, expires=expires).add_auth(request)
        out["cases"].append({
            "name": name, "kind": "presign", "method": method, "url": url, "headers": headers, "bodyHex": "",
            "service": service, "region": region, "sessionToken": token, "expires": expires, "unsignedPayload": unsigned,
            "date": int(when.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "presignedURL": request.url,
        })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
