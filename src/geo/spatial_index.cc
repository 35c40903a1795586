#include "geo/spatial_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace dothi::geo {

namespace {

constexpr std::size_t kNoSlot = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMinSlots = 16;             // initial open-addressing capacity
constexpr std::uint32_t kSmallBoxBit = 1u << 31;  // in Slot::index: a non-point box in a cell
constexpr double kFloatLimit = 1e38;              // inside float range, far beyond any degree

std::uint64_t Mix(std::uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

float RoundDown(double d) {
  d = std::clamp(d, -kFloatLimit, kFloatLimit);
  float f = static_cast<float>(d);
  if (static_cast<double>(f) > d) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

float RoundUp(double d) {
  d = std::clamp(d, -kFloatLimit, kFloatLimit);
  float f = static_cast<float>(d);
  if (static_cast<double>(f) < d) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace

SpatialIndex::SpatialIndex(double cell_degrees, const BBox& area) {
  // 60,000 x 60,000 cells keep every cell id below kEmptySlot (2^32 - 2).
  constexpr double kMaxCellsPerSide = 60000;
  DOTHI_DCHECK(cell_degrees > 0);  // a configuration bug otherwise
  const BBox a = area.empty() ? BBox::World() : area;
  const double span = std::max(a.max_x - a.min_x, a.max_y - a.min_y);
  cell_degrees_ = std::max(cell_degrees > 0 ? cell_degrees : 0.01, span / kMaxCellsPerSide);
  inv_cell_ = 1.0 / cell_degrees_;
  origin_x_ = a.min_x;
  origin_y_ = a.min_y;
  cells_x_ = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(std::ceil((a.max_x - a.min_x) * inv_cell_)));
  cells_y_ = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(std::ceil((a.max_y - a.min_y) * inv_cell_)));
  slots_.resize(kMinSlots);
}

// Outside the area, coordinates clamp to the edge cells. Cell numbers only grow with the
// coordinate, which is all Query's min-corner reach needs.
std::uint32_t SpatialIndex::CellX(double x) const {
  double c = std::floor((x - origin_x_) * inv_cell_);
  if (!(c > 0)) return 0;  // also NaN
  if (c >= cells_x_) return cells_x_ - 1;
  return static_cast<std::uint32_t>(c);
}

std::uint32_t SpatialIndex::CellY(double y) const {
  double c = std::floor((y - origin_y_) * inv_cell_);
  if (!(c > 0)) return 0;
  if (c >= cells_y_) return cells_y_ - 1;
  return static_cast<std::uint32_t>(c);
}

SpatialIndex::Item SpatialIndex::MakeItem(std::uint64_t key, const BBox& box) const {
  return Item{key, RoundDown(box.min_x), RoundDown(box.min_y), RoundUp(box.max_x),
              RoundUp(box.max_y)};
}

bool SpatialIndex::ItemIntersects(const Item& it, const BBox& box) {
  return it.min_x <= box.max_x && box.min_x <= it.max_x && it.min_y <= box.max_y &&
         box.min_y <= it.max_y;
}

std::vector<SpatialIndex::Item>& SpatialIndex::ItemsOf(std::uint32_t cell) {
  return cell == kLargeCell ? large_ : cells_[cell];
}

void SpatialIndex::Insert(std::uint64_t key, const BBox& box) {
  double w = box.max_x - box.min_x;
  double h = box.max_y - box.min_y;
  bool small = w >= 0 && h >= 0 && w <= cell_degrees_ && h <= cell_degrees_;
  std::uint32_t cell = small ? CellY(box.min_y) * cells_x_ + CellX(box.min_x) : kLargeCell;
  std::uint32_t small_bit = small && (w > 0 || h > 0) ? kSmallBoxBit : 0;
  std::size_t si = FindSlot(key);
  if (si != kNoSlot && slots_[si].cell == cell) {  // same cell: overwrite in place
    Slot& s = slots_[si];
    if ((s.index & kSmallBoxBit) != 0) --small_boxes_;
    if (small_bit != 0) ++small_boxes_;
    s.index = (s.index & ~kSmallBoxBit) | small_bit;
    ItemsOf(cell)[s.index & ~kSmallBoxBit] = MakeItem(key, box);
    return;
  }
  if (si != kNoSlot) EraseItem(slots_[si].cell, slots_[si].index);  // slot positions stay
  std::vector<Item>& items = ItemsOf(cell);
  items.push_back(MakeItem(key, box));
  std::uint32_t index = static_cast<std::uint32_t>(items.size() - 1) | small_bit;
  if (small_bit != 0) ++small_boxes_;
  if (si != kNoSlot) {
    slots_[si].cell = cell;
    slots_[si].index = index;
  } else {
    InsertSlot(Slot{key, cell, index});
  }
}

bool SpatialIndex::Remove(std::uint64_t key) {
  std::size_t si = FindSlot(key);
  if (si == kNoSlot) return false;
  Slot s = slots_[si];
  EraseItem(s.cell, s.index);
  EraseSlotAt(si);
  return true;
}

bool SpatialIndex::Contains(std::uint64_t key) const { return FindSlot(key) != kNoSlot; }

void SpatialIndex::EraseItem(std::uint32_t cell, std::uint32_t index) {
  if ((index & kSmallBoxBit) != 0) --small_boxes_;
  index &= ~kSmallBoxBit;
  std::vector<Item>& items = ItemsOf(cell);
  DOTHI_DCHECK(index < items.size());  // slot and cell out of sync otherwise
  if (index + 1 != items.size()) {
    items[index] = items.back();
    std::size_t moved = FindSlot(items[index].key);
    DOTHI_DCHECK(moved != kNoSlot);  // every stored item has a slot
    slots_[moved].index = (slots_[moved].index & kSmallBoxBit) | index;
  }
  items.pop_back();
  if (items.empty() && cell != kLargeCell) {
    cells_.erase(cell);
  }
}

bool SpatialIndex::Query(const BBox& box, const std::function<bool(std::uint64_t)>& fn) const {
  if (box.empty()) return true;
  // Small boxes sit in the cell of their min corner, up to one cell before the query box.
  double reach = small_boxes_ > 0 ? cell_degrees_ : 0.0;
  std::uint32_t x0 = CellX(box.min_x - reach);
  std::uint32_t x1 = CellX(box.max_x);
  std::uint32_t y0 = CellY(box.min_y - reach);
  std::uint32_t y1 = CellY(box.max_y);
  auto scan = [&](const std::vector<Item>& items) {
    for (const Item& it : items) {
      if (ItemIntersects(it, box) && !fn(it.key)) return false;
    }
    return true;
  };
  std::uint64_t range_cells =
      static_cast<std::uint64_t>(x1 - x0 + 1) * static_cast<std::uint64_t>(y1 - y0 + 1);
  if (range_cells > cells_.size()) {
    for (const auto& [cell, items] : cells_) {
      std::uint32_t cx = cell % cells_x_;
      std::uint32_t cy = cell / cells_x_;
      if (cx < x0 || cx > x1 || cy < y0 || cy > y1) continue;
      if (!scan(items)) return false;
    }
  } else {
    for (std::uint32_t cy = y0; cy <= y1; ++cy) {
      for (std::uint32_t cx = x0; cx <= x1; ++cx) {
        auto it = cells_.find(cy * cells_x_ + cx);
        if (it != cells_.end() && !scan(it->second)) return false;
      }
    }
  }
  return scan(large_);
}

void SpatialIndex::Clear() {
  cells_.clear();
  large_.clear();
  slots_.assign(kMinSlots, Slot{});
  size_ = 0;
  small_boxes_ = 0;
}

std::size_t SpatialIndex::FindSlot(std::uint64_t key) const {
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Mix(key) & mask; slots_[i].cell != kEmptySlot; i = (i + 1) & mask) {
    if (slots_[i].key == key) return i;
  }
  return kNoSlot;
}

void SpatialIndex::InsertSlot(const Slot& s) {
  // Keep the load factor at most 3/4.
  if ((size_ + 1) * 4 > slots_.size() * 3) GrowSlots();
  std::size_t mask = slots_.size() - 1;
  std::size_t i = Mix(s.key) & mask;
  while (slots_[i].cell != kEmptySlot) i = (i + 1) & mask;
  slots_[i] = s;
  ++size_;
}

void SpatialIndex::EraseSlotAt(std::size_t i) {
  std::size_t mask = slots_.size() - 1;
  slots_[i] = Slot{};
  --size_;
  // Backward-shift deletion: pull later entries of the probe run into the hole.
  for (std::size_t j = (i + 1) & mask; slots_[j].cell != kEmptySlot; j = (j + 1) & mask) {
    std::size_t home = Mix(slots_[j].key) & mask;
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    slots_[j] = Slot{};
    i = j;
  }
}

void SpatialIndex::GrowSlots() {
  std::vector<Slot> old_slots = std::move(slots_);
  slots_.assign(old_slots.size() * 2, Slot{});
  std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old_slots) {
    if (s.cell == kEmptySlot) continue;
    std::size_t i = Mix(s.key) & mask;
    while (slots_[i].cell != kEmptySlot) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace dothi::geo
