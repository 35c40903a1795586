#pragma once

#include <optional>
#include <string>

// glibc's per-thread cache of freed blocks (`serve --malloc-tcache`, main.cc). glibc reads
// its size only from GLIBC_TUNABLES, and only when a program starts, so serve adds it there
// and executes its own binary again, once.
namespace dothi::app {

// The environment variable the second start finds, so that it never starts a third time
// (glibc may drop the tunable, and then it would look as if nothing had been done).
inline constexpr const char* kTcacheExecutedVar = "DOTHI_MALLOC_TCACHE_EXECUTED";

// The GLIBC_TUNABLES value to execute the binary again with, or nullopt to go on as is:
// when tcache is 0 (glibc's default wanted), when this is the second start (executed),
// when the process runs in glibc's secure mode (set-user-ID, set-group-ID or file
// capabilities: glibc then erases the malloc tunables, so another start would never see
// it), and when `tunables` (the current GLIBC_TUNABLES, or null) already names the size.
std::optional<std::string> TunablesToExecWith(int tcache, const char* tunables, bool executed,
                                              bool secure);

}  // namespace dothi::app
