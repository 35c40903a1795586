#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "storage/entity_store.h"

// MemoryEntityStore is the EntityStore fake for unit tests of services: two ordered maps
// behind one mutex, nothing persisted. It follows the same contract as the real stores
// (tests/unit/storage/store_contract_test.cc runs against it): Commit is atomic, Close makes
// later calls return kUnavailable. Thread-safe; every Commit is its own "transaction".
// Scan callbacks run without the lock held (over a copy), so they may call back into the store.
namespace dothi::testing {

class MemoryEntityStore final : public storage::EntityStore {
 public:
  Status Open() override {
    std::lock_guard lock(mu_);
    if (closed_) return Status::Unavailable("store is closed");
    if (open_) return Status::Internal("store already open");
    open_ = true;
    return Status::OK();
  }

  // Applies the writes at once and calls done on the calling thread, after the lock is
  // released (so done may commit again).
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    Status s = CommitNow(std::move(writes));
    done(std::move(s));
  }

  Result<std::optional<std::string>> Get(std::string_view tenant, std::string_view id) override {
    std::lock_guard lock(mu_);
    DOTHI_RETURN_IF_ERROR(CheckOpen());
    auto it = entities_.find(Key{std::string(tenant), std::string(id)});
    if (it == entities_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status ScanAll(const ScanFn& fn) override {
    std::map<Key, std::string> snapshot;
    {
      std::lock_guard lock(mu_);
      DOTHI_RETURN_IF_ERROR(CheckOpen());
      snapshot = entities_;
    }
    for (const auto& [key, bytes] : snapshot) fn(key.first, key.second, bytes);
    return Status::OK();
  }

  Status PutDocument(std::string_view kind, std::string_view key,
                     std::string_view bytes) override {
    std::lock_guard lock(mu_);
    DOTHI_RETURN_IF_ERROR(CheckOpen());
    documents_[Key{std::string(kind), std::string(key)}] = std::string(bytes);
    ++stats_.transactions;
    return Status::OK();
  }

  Status DeleteDocument(std::string_view kind, std::string_view key) override {
    std::lock_guard lock(mu_);
    DOTHI_RETURN_IF_ERROR(CheckOpen());
    documents_.erase(Key{std::string(kind), std::string(key)});
    ++stats_.transactions;
    return Status::OK();
  }

  Status ScanDocuments(std::string_view kind, const DocFn& fn) override {
    std::vector<std::pair<std::string, std::string>> matches;
    {
      std::lock_guard lock(mu_);
      DOTHI_RETURN_IF_ERROR(CheckOpen());
      for (auto it = documents_.lower_bound(Key{std::string(kind), std::string()});
           it != documents_.end() && it->first.first == kind; ++it) {
        matches.emplace_back(it->first.second, it->second);
      }
    }
    for (const auto& [key, bytes] : matches) fn(key, bytes);
    return Status::OK();
  }

  storage::StoreStats Stats() const override {
    std::lock_guard lock(mu_);
    return stats_;
  }

  void Close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }

 private:
  Status CommitNow(std::vector<storage::EntityWrite> writes) {
    std::lock_guard lock(mu_);
    DOTHI_RETURN_IF_ERROR(CheckOpen());
    for (storage::EntityWrite& w : writes) {
      Key key{std::move(w.tenant), std::move(w.id)};
      if (w.kind == storage::EntityWrite::Kind::kPut) {
        entities_[std::move(key)] = std::move(w.bytes);
      } else {
        entities_.erase(key);
      }
    }
    ++stats_.commits;
    if (!writes.empty()) ++stats_.transactions;
    return Status::OK();
  }

  using Key = std::pair<std::string, std::string>;  // (tenant, id) or (kind, key)

  Status CheckOpen() const {
    if (closed_) return Status::Unavailable("store is closed");
    if (!open_) return Status::Unavailable("store is not open");
    return Status::OK();
  }

  mutable std::mutex mu_;
  bool open_ = false;
  bool closed_ = false;
  std::map<Key, std::string> entities_;
  std::map<Key, std::string> documents_;
  storage::StoreStats stats_;
};

}  // namespace dothi::testing
