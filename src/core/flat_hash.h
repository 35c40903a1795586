#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

// A hash table from 64-bit hashes to small values, for indexes that hold many entries and
// are looked up on hot paths. One array, linear probing, a power-of-two size at most half
// full, backward-shift deletion: a lookup is usually one cache line and no division, where a
// std::unordered_map costs a division, a bucket and a node in another cache line each.
//
// The caller computes the hash (well mixed: its low bits pick the home position) and tells
// entries apart: entries may share a hash, and Find/Erase take a function that says whether
// a value is the one sought. Pointers returned by Find stay valid until the next Insert or
// Erase.
namespace dothi {

template <typename V>
class FlatHash {
 public:
  template <typename Match>
  V* Find(std::uint64_t hash, Match&& match) {
    const std::size_t i = IndexOf(Stored(hash), match);
    return i == kNone ? nullptr : &entries_[i].value;
  }
  template <typename Match>
  const V* Find(std::uint64_t hash, Match&& match) const {
    const std::size_t i = IndexOf(Stored(hash), match);
    return i == kNone ? nullptr : &entries_[i].value;
  }

  // Adds an entry; one already there with the same hash stays (Find returns whichever of
  // them matches first).
  void Insert(std::uint64_t hash, V value) {
    if ((size_ + 1) * 2 > entries_.size()) Grow();
    Place(Stored(hash), std::move(value));
    ++size_;
  }

  // Removes the first entry with this hash that matches; false when there is none.
  template <typename Match>
  bool Erase(std::uint64_t hash, Match&& match) {
    std::size_t i = IndexOf(Stored(hash), match);
    if (i == kNone) return false;
    entries_[i] = Entry{};
    --size_;
    // Backward shift: pull later entries of the probe run into the hole, so that every
    // entry stays reachable from its home position without tombstones.
    for (std::size_t j = (i + 1) & mask_; entries_[j].hash != 0; j = (j + 1) & mask_) {
      const std::size_t home = entries_[j].hash & mask_;
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      entries_[i] = std::move(entries_[j]);
      entries_[j] = Entry{};
      i = j;
    }
    return true;
  }

  // Removes every entry whose value pred accepts (a pass over the whole table).
  template <typename Pred>
  void EraseIf(Pred&& pred) {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(old.size(), Entry{});
    size_ = 0;
    for (Entry& e : old) {
      if (e.hash == 0 || pred(e.value)) continue;
      Place(e.hash, std::move(e.value));
      ++size_;
    }
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Empties the table and gives its memory back.
  void Clear() {
    std::vector<Entry>().swap(entries_);
    mask_ = 0;
    size_ = 0;
  }

 private:
  struct Entry {
    std::uint64_t hash = 0;  // 0: empty
    V value{};
  };
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kMinEntries = 16;

  static std::uint64_t Stored(std::uint64_t hash) { return hash == 0 ? 1 : hash; }

  template <typename Match>
  std::size_t IndexOf(std::uint64_t h, Match& match) const {
    if (size_ == 0) return kNone;
    for (std::size_t i = h & mask_; entries_[i].hash != 0; i = (i + 1) & mask_) {
      if (entries_[i].hash == h && match(entries_[i].value)) return i;
    }
    return kNone;
  }

  void Place(std::uint64_t h, V value) {
    std::size_t i = h & mask_;
    while (entries_[i].hash != 0) i = (i + 1) & mask_;
    entries_[i] = Entry{h, std::move(value)};
  }

  void Grow() {
    std::vector<Entry> old = std::move(entries_);
    const std::size_t n = old.empty() ? kMinEntries : old.size() * 2;
    entries_.assign(n, Entry{});
    mask_ = n - 1;
    for (Entry& e : old) {
      if (e.hash != 0) Place(e.hash, std::move(e.value));
    }
  }

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace dothi
