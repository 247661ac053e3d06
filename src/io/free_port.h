#pragma once
// A TCP port for a local rendezvous or test server. Torch-free.

namespace segmaker::io {

// A TCP port that was free on the loopback interface a moment ago (bind to port 0, read it back).
// Throws UserError when no socket can be opened.
int free_port();

}  // namespace segmaker::io
