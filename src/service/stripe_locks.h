#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

// StripeLocks: exclusive locks named by 64-bit keys ("stripes"; the entity service uses a
// hash of tenant and entity id, so two entities share a lock only when their hashes
// collide), held across an asynchronous step instead of by a thread. Acquire takes a
// sorted set of keys and calls `then` once all are held: at once on the calling thread when
// they are free, otherwise on the thread whose Release frees the last one it waits for.
// Release may come from any thread. Waiters get a key in arrival order, and sets are taken
// in ascending order, so two acquisitions never wait on each other in a cycle. Only held
// keys take memory.
// The entity service holds the keys of the entities it writes from reading their current
// state until their commit is durable and indexed; no thread blocks meanwhile. (With a
// fixed table of 1,024 stripes, two batches of 100 or 1,000 different entities almost
// always shared a stripe and ran one after the other.)
namespace dothi::service {

class StripeLocks {
 public:
  // stripes: ascending, without duplicates.
  void Acquire(std::vector<std::size_t> stripes, std::function<void()> then);
  // Releases stripes acquired by one Acquire (and hands them to the next waiters).
  void Release(const std::vector<std::size_t>& stripes);

 private:
  struct Acquisition {
    std::vector<std::size_t> stripes;
    std::size_t next = 0;  // stripes[0..next) are held
    std::function<void()> then;
  };
  struct Stripe {
    std::deque<std::shared_ptr<Acquisition>> waiters;
  };
  // Takes free stripes of a in order; true when all are held, false when a waits in a queue.
  bool Advance(const std::shared_ptr<Acquisition>& a);  // caller holds mu_

  std::mutex mu_;  // guards held_; held only for the bookkeeping, never during `then`
  std::unordered_map<std::size_t, Stripe> held_;  // an entry exists while its key is held
};

}  // namespace dothi::service
