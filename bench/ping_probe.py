#!/usr/bin/env python3
"""GET /ping on a fresh connection every 100 ms (as SageMaker's health check does) until STOP_FILE
exists; prints the count, non-200 answers and the latency p50 / p99 / max in ms."""
import http.client
import os
import sys
import time

port, stop_file = int(sys.argv[1]), sys.argv[2]
latencies, failures = [], 0
while not os.path.exists(stop_file):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/ping")
        status = c.getresponse().status
        c.close()
    except OSError:
        status = 0
    latencies.append((time.monotonic() - t0) * 1000.0)
    failures += status != 200
    time.sleep(0.1)
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
print(f"ping: {len(latencies)} probes, {failures} not 200, p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {latencies[-1] if latencies else float('nan'):.1f} ms")
