"""What scripts/notebook.py and scripts/tune.py share, imported first by both.

Importing it installs the loopback guard: the first socket connection to anything but loopback ends the
process (exit status 3, "NON-LOOPBACK CONNECTION" on stderr) -- the SageMaker SDK reaches for the cloud
when something is misconfigured, and these notebooks must only ever talk to `segmaker api` and the local
S3 server. It also holds the Estimator's hyperparameters (defaults, or a JSON file; num_training_samples
counted from the data) and the cell headings.
"""
import json
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


def estimator_hyperparameters(defaults, path, data_dir):
    """`defaults`, or the JSON object in `path` when given, with num_training_samples = the train channel's images."""
    hyperparameters = dict(defaults)
    if path:
        with open(path) as f:
            hyperparameters = json.load(f)
    hyperparameters["num_training_samples"] = len([n for n in os.listdir(os.path.join(data_dir, "train"))
                                                   if n.endswith(".jpg")])
    return hyperparameters


def cell_printer(notebook):
    """A function printing a cell's heading: "== <notebook>: <title>"."""
    return lambda title: print("\n== %s: %s" % (notebook, title), flush=True)
