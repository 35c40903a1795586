#pragma once

#include <map>
#include <mutex>
#include <utility>

#include "storage/layer_store.h"

// An in-memory LayerStore for unit tests: the interface's rules (versions, expected
// versions, NotFound), no durability. fail_next_replace makes the next Replace fail as a
// broken disk would.
namespace dothi::testing {

class MemoryLayerStore final : public storage::LayerStore {
 public:
  bool fail_next_replace = false;

  Result<std::vector<domain::LayerInfo>> List() override {
    std::lock_guard lock(mu_);
    std::vector<domain::LayerInfo> out;
    for (const auto& [key, layer] : layers_) out.push_back(layer.first);
    return out;
  }

  Result<std::int64_t> Replace(domain::LayerInfo& info,
                               const std::vector<domain::LayerFeature>& features,
                               std::optional<std::int64_t> expected_version) override {
    std::lock_guard lock(mu_);
    auto key = std::make_pair(info.tenant, info.name);
    auto it = layers_.find(key);
    const std::int64_t current = it == layers_.end() ? 0 : it->second.first.version;
    if (expected_version && *expected_version != current) return Status::Conflict("version");
    if (fail_next_replace) {
      fail_next_replace = false;
      return Status::Unavailable("disk full");
    }
    info.version = current + 1;
    layers_[key] = {info, features};
    ++counter_;
    return info.version;
  }

  Status UpdateInfo(const domain::LayerInfo& info) override {
    std::lock_guard lock(mu_);
    auto it = layers_.find({info.tenant, info.name});
    if (it == layers_.end()) return Status::NotFound("layer");
    if (it->second.first.version != info.version) return Status::Conflict("version");
    it->second.first = info;
    ++counter_;
    return Status::OK();
  }

  Status Load(const std::string& tenant, const std::string& name, std::int64_t version,
              const std::function<Status(domain::LayerFeature&&)>& fn) override {
    std::vector<domain::LayerFeature> copy;
    {
      std::lock_guard lock(mu_);
      auto it = layers_.find({tenant, name});
      if (it == layers_.end() || it->second.first.version != version) return Status::NotFound("layer");
      copy = it->second.second;
    }
    for (auto& f : copy) DOTHI_RETURN_IF_ERROR(fn(std::move(f)));
    return Status::OK();
  }

  Status Delete(const std::string& tenant, const std::string& name,
                std::optional<std::int64_t> expected_version) override {
    std::lock_guard lock(mu_);
    auto it = layers_.find({tenant, name});
    if (it == layers_.end()) return Status::NotFound("layer");
    if (expected_version && *expected_version != it->second.first.version) return Status::Conflict("version");
    layers_.erase(it);
    ++counter_;
    return Status::OK();
  }

  Result<std::uint64_t> ChangeCounter() override {
    std::lock_guard lock(mu_);
    return counter_;
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>,
           std::pair<domain::LayerInfo, std::vector<domain::LayerFeature>>>
      layers_;
  std::uint64_t counter_ = 0;
};

}  // namespace dothi::testing
