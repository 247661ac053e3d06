#!/usr/bin/env python3
"""Waits with one of boto3's own SageMaker waiters (WaiterConfig Delay/MaxAttempts set, since the
defaults poll every 30-120 s). Exit 0 when the waiter succeeds; 1 with the waiter's error otherwise.

usage: boto3_wait.py ENDPOINT_URL WAITER NAME_PARAM=VALUE [DELAY] [MAX_ATTEMPTS]
  e.g. boto3_wait.py http://127.0.0.1:8700 training_job_completed_or_stopped TrainingJobName=ss-1 1 300
"""
import sys

import boto3
import botocore.exceptions


def main():
    url, waiter, param = sys.argv[1], sys.argv[2], sys.argv[3]
    delay = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    attempts = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    key, value = param.split("=", 1)
    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    try:
        client.get_waiter(waiter).wait(**{key: value}, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
    except botocore.exceptions.WaiterError as e:
        print(f"waiter {waiter} failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
