"""Importing this module ends the process (exit status 3, "NON-LOOPBACK CONNECTION" on stderr) at the
first socket connection to anything but loopback: the SageMaker SDK reaches for the cloud when
something is misconfigured, and the notebooks here must only ever talk to `segmaker api` and the local
S3 server. scripts/notebook.py and scripts/tune.py import it first."""
import os
import socket
import sys

_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            print("NON-LOOPBACK CONNECTION to %r" % (address,), file=sys.stderr, flush=True)
            os._exit(3)
    return _connect(self, address)


socket.socket.connect = _loopback_only
