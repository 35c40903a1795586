#include "service/stripe_locks.h"

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

void StripeLocks::Acquire(std::vector<std::size_t> stripes, std::function<void()> then) {
  auto a = std::make_shared<Acquisition>();
  a->stripes = std::move(stripes);
  a->then = std::move(then);
  bool ready;
  {
    std::lock_guard lock(mu_);
    ready = Advance(a);
  }
  if (ready) a->then();
}

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
  for (const auto& a : ready) a->then();
}

}  // namespace dothi::service
