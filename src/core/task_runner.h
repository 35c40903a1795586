#pragma once

#include <functional>

namespace dothi {

// A TaskRunner runs each task it is given later, on the thread (or threads) it stands for,
// never inside the call. The HTTP server's is a post onto a connection's I/O thread. Safe to
// call from any thread.
using TaskRunner = std::function<void(std::function<void()>)>;

}  // namespace dothi
