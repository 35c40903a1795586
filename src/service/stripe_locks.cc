#include "service/stripe_locks.h"

#include <deque>
#include <functional>
#include <utility>

namespace dothi::service {

StripeLocks::StripeLocks(std::size_t stripes) : stripes_(stripes) {}

bool StripeLocks::Advance(const std::shared_ptr<Acquisition>& a) {
  while (a->next < a->stripes.size()) {
    Stripe& s = stripes_[a->stripes[a->next]];
    if (s.held) {
      s.waiters.push_back(a);
      return false;
    }
    s.held = true;
    ++a->next;
  }
  return true;
}

bool StripeLocks::TryAcquireAll(const std::vector<std::size_t>& stripes) {
  std::lock_guard lock(mu_);
  for (std::size_t i : stripes) {
    if (stripes_[i].held) return false;
  }
  for (std::size_t i : stripes) stripes_[i].held = true;
  return true;
}

void StripeLocks::AcquireQueued(const std::vector<std::size_t>& stripes,
                                std::function<void()> then) {
  auto a = std::make_shared<Acquisition>();
  a->stripes = stripes;
  a->then = std::move(then);
  bool ready;
  {
    std::lock_guard lock(mu_);
    ready = Advance(a);
  }
  if (ready) a->then();
}

namespace {

// Continuations made ready by a Release on this thread while an outer Release is running
// continuations: the outer one runs them too, so a chain of hand-overs (each continuation
// releasing in turn, as with a store that answers at once) loops instead of recursing.
// Scheduling state of this thread, not request state.
struct Trampoline {
  bool running = false;
  std::deque<std::function<void()>> pending;
};
thread_local Trampoline trampoline;

}  // namespace

void StripeLocks::Release(const std::vector<std::size_t>& stripes) {
  std::vector<std::shared_ptr<Acquisition>> ready;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i : stripes) {
      Stripe& s = stripes_[i];
      if (s.waiters.empty()) {
        s.held = false;
        continue;
      }
      // Hand the stripe over: it stays held, now by the first waiter.
      std::shared_ptr<Acquisition> next = std::move(s.waiters.front());
      s.waiters.pop_front();
      ++next->next;
      if (Advance(next)) ready.push_back(std::move(next));
    }
  }
  for (auto& a : ready) trampoline.pending.push_back(std::move(a->then));
  if (trampoline.running) return;  // the outer Release below runs them
  trampoline.running = true;
  while (!trampoline.pending.empty()) {
    std::function<void()> next = std::move(trampoline.pending.front());
    trampoline.pending.pop_front();
    next();
  }
  trampoline.running = false;
}

}  // namespace dothi::service
