#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

// StripeLocks: a fixed set of exclusive locks ("stripes") that are held across an
// asynchronous step instead of by a thread. Acquire takes a sorted set of stripes and calls
// `then` once all are held: at once on the calling thread when they are free, otherwise on
// the thread whose Release frees the last one it waits for. Release may come from any
// thread. Waiters get a stripe in arrival order, and sets are taken in ascending order, so
// two acquisitions never wait on each other in a cycle.
// The entity service holds the stripes of the entities it writes from reading their current
// state until their commit is durable and indexed; no thread blocks meanwhile.
namespace dothi::service {

class StripeLocks {
 public:
  explicit StripeLocks(std::size_t stripes);

  std::size_t size() const { return stripes_.size(); }

  // stripes: ascending, without duplicates, each < size(). When every stripe is free (the
  // common case) then runs at once and nothing is allocated; otherwise then is kept in a
  // std::function until the stripes are handed over.
  template <typename Then>
  void Acquire(const std::vector<std::size_t>& stripes, Then&& then) {
    if (TryAcquireAll(stripes)) {
      then();
      return;
    }
    AcquireQueued(stripes, std::function<void()>(std::forward<Then>(then)));
  }
  // Releases stripes acquired by one Acquire (and hands them to the next waiters).
  void Release(const std::vector<std::size_t>& stripes);

 private:
  struct Acquisition {
    std::vector<std::size_t> stripes;
    std::size_t next = 0;  // stripes[0..next) are held
    std::function<void()> then;
  };
  struct Stripe {
    bool held = false;
    std::deque<std::shared_ptr<Acquisition>> waiters;
  };
  // Takes all the stripes when none is held (a free stripe has no waiters); else takes none.
  bool TryAcquireAll(const std::vector<std::size_t>& stripes);
  void AcquireQueued(const std::vector<std::size_t>& stripes, std::function<void()> then);
  // Takes free stripes of a in order; true when all are held, false when a waits in a queue.
  bool Advance(const std::shared_ptr<Acquisition>& a);  // caller holds mu_

  std::mutex mu_;  // guards stripes_; held only for the bookkeeping, never during `then`
  std::vector<Stripe> stripes_;
};

}  // namespace dothi::service
