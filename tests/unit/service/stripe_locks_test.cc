#include "service/stripe_locks.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace dothi::service {
namespace {

TEST(StripeLocksTest, FreeStripesRunTheContinuationAtOnce) {
  StripeLocks locks(8);
  bool ran = false;
  locks.Acquire({1, 3}, [&] { ran = true; });
  EXPECT_TRUE(ran);
  locks.Release({1, 3});
}

TEST(StripeLocksTest, HeldStripeDefersTheNextUntilReleaseAndRunsItThere) {
  StripeLocks locks(8);
  locks.Acquire({2}, [] {});
  bool second = false;
  locks.Acquire({2}, [&] { second = true; });
  EXPECT_FALSE(second) << "stripe 2 is still held by the first";
  // Released from another thread: the waiter runs there, holding the stripe.
  std::thread::id ran_on;
  std::thread releaser([&] {
    locks.Release({2});
    ran_on = std::this_thread::get_id();
  });
  const std::thread::id releaser_id = releaser.get_id();
  releaser.join();
  EXPECT_TRUE(second);
  EXPECT_EQ(ran_on, releaser_id);
  bool third = false;
  locks.Acquire({2}, [&] { third = true; });
  EXPECT_FALSE(third) << "the second holder has not released yet";
  locks.Release({2});
  EXPECT_TRUE(third);
  locks.Release({2});
}

TEST(StripeLocksTest, SetTakenAtOnceHoldsEveryStripeAndPartialHoldsBlockIt) {
  StripeLocks locks(8);
  locks.Acquire({1, 3}, [] {});  // free: taken at once, both held
  bool last = false;
  locks.Acquire({3}, [&] { last = true; });
  EXPECT_FALSE(last) << "stripe 3 is held by the set";
  locks.Release({1, 3});
  EXPECT_TRUE(last);
  // A set waiting for one stripe already holds the ones before it: stripe 1 below.
  bool waiting_set = false, after = false;
  locks.Acquire({1, 3}, [&] { waiting_set = true; });
  EXPECT_FALSE(waiting_set);
  locks.Acquire({1}, [&] { after = true; });
  EXPECT_FALSE(after) << "stripe 1 is held by the waiting set";
  locks.Release({3});
  EXPECT_TRUE(waiting_set);
  EXPECT_FALSE(after);
  locks.Release({1, 3});
  EXPECT_TRUE(after);
  locks.Release({1});
}

TEST(StripeLocksTest, WaitersGetTheStripeInArrivalOrder) {
  StripeLocks locks(4);
  std::vector<int> order;
  locks.Acquire({0}, [&] { order.push_back(0); });
  for (int i = 1; i <= 3; ++i) locks.Acquire({0}, [&order, i] { order.push_back(i); });
  EXPECT_EQ(order, (std::vector<int>{0}));
  for (int i = 0; i <= 3; ++i) locks.Release({0});
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(StripeLocksTest, SetIsHeldOnlyWhenEveryStripeIs) {
  StripeLocks locks(8);
  locks.Acquire({5}, [] {});
  bool both = false;
  locks.Acquire({1, 5}, [&] { both = true; });
  EXPECT_FALSE(both);
  // Stripe 1 is taken by the waiting set: another taker of 1 must wait behind it.
  bool one = false;
  locks.Acquire({1}, [&] { one = true; });
  EXPECT_FALSE(one);
  locks.Release({5});
  EXPECT_TRUE(both);
  EXPECT_FALSE(one);
  locks.Release({1, 5});
  EXPECT_TRUE(one);
  locks.Release({1});
}

// A long chain of hand-overs where each holder releases at once (a store that answers on
// the calling thread does this) runs as a loop on the releasing thread, not as a recursion
// as deep as the queue.
TEST(StripeLocksTest, ChainOfImmediateReleasesDoesNotRecurse) {
  StripeLocks locks(2);
  constexpr int kWaiters = 200000;
  int ran = 0;
  locks.Acquire({0}, [] {});
  for (int i = 0; i < kWaiters; ++i) {
    locks.Acquire({0}, [&] {
      ++ran;
      locks.Release({0});
    });
  }
  EXPECT_EQ(ran, 0);
  locks.Release({0});
  EXPECT_EQ(ran, kWaiters);
  bool free_again = false;
  locks.Acquire({0}, [&] { free_again = true; });
  EXPECT_TRUE(free_again);
  locks.Release({0});
}

// Overlapping sets from many threads, each released from the thread that acquired it or the
// one that handed it over: every acquisition completes (no cycle, nothing lost) and no two
// holders of a stripe overlap.
TEST(StripeLocksTest, OverlappingSetsFromManyThreadsAllCompleteExclusively) {
  constexpr int kStripes = 6;
  constexpr int kThreads = 8;
  constexpr int kRounds = 2000;
  StripeLocks locks(kStripes);
  std::vector<std::atomic<int>> holders(kStripes);
  std::atomic<int> completed{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::vector<std::size_t> set = {static_cast<std::size_t>((t + r) % kStripes)};
        std::size_t other = static_cast<std::size_t>((t * 7 + r * 3) % kStripes);
        if (other != set[0]) set.push_back(other);
        std::sort(set.begin(), set.end());
        std::promise<void> held;
        locks.Acquire(set, [&] {
          for (std::size_t s : set) {
            if (holders[s].fetch_add(1) != 0) overlap = true;
          }
          held.set_value();
        });
        held.get_future().wait();
        for (std::size_t s : set) holders[s].fetch_sub(1);
        locks.Release(set);
        ++completed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(completed.load(), kThreads * kRounds);
  EXPECT_FALSE(overlap.load());
}

}  // namespace
}  // namespace dothi::service
