#include "app/malloc_tcache.h"

#include <gtest/gtest.h>

namespace dothi::app {
namespace {

TEST(MallocTcacheTest, AddsTheSizeToWhatGlibcTunablesHolds) {
  EXPECT_EQ(TunablesToExecWith(64, nullptr, false, false), "glibc.malloc.tcache_count=64");
  EXPECT_EQ(TunablesToExecWith(64, "", false, false), "glibc.malloc.tcache_count=64");
  EXPECT_EQ(TunablesToExecWith(300, "glibc.malloc.mxfast=0", false, false),
            "glibc.malloc.mxfast=0:glibc.malloc.tcache_count=300");
}

TEST(MallocTcacheTest, StartsAgainAtMostOnce) {
  // The second start never starts a third, even when glibc dropped the tunable.
  EXPECT_EQ(TunablesToExecWith(64, nullptr, true, false), std::nullopt);
  EXPECT_EQ(TunablesToExecWith(64, "glibc.malloc.mxfast=0", true, false), std::nullopt);
}

TEST(MallocTcacheTest, NothingInGlibcSecureModeWhereTheTunableIsErased) {
  // Set-user-ID or file capabilities (e.g. to bind port 80): glibc erases malloc tunables,
  // so a start with it added would look like one without.
  EXPECT_EQ(TunablesToExecWith(64, nullptr, false, true), std::nullopt);
}

TEST(MallocTcacheTest, KeepsGlibcsDefaultOrTheUsersOwnSize) {
  EXPECT_EQ(TunablesToExecWith(0, nullptr, false, false), std::nullopt);
  EXPECT_EQ(TunablesToExecWith(64, "glibc.malloc.tcache_count=9", false, false), std::nullopt);
  EXPECT_EQ(TunablesToExecWith(64, "glibc.malloc.mxfast=0:glibc.malloc.tcache_count=9", false,
                               false),
            std::nullopt);
}

}  // namespace
}  // namespace dothi::app
