#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "geo/geometry.h"

// SpatialIndex maps std::uint64_t keys to lon/lat boxes and finds the keys whose box may
// intersect a query box. It is a uniform grid over lon/lat (cell_degrees square cells, only
// non-empty cells stored) laid over an area, the world by default: a point or a box no larger
// than one cell lives in the cell of its min corner; larger boxes go to a separate list that
// every query scans. Boxes outside the area are kept in its edge cells, so they are still
// found; a smaller area only allows smaller cells (at most 60,000 along each side). Boxes are kept
// as floats rounded outwards, so Query reports every key whose box intersects the query box
// (touching counts) and, rarely, a key just outside it by float rounding (< 2e-5 degrees):
// callers re-check candidates exactly.
//
// Costs (1M points, 0.01 degree cells): Insert/Remove/Update O(1), well under 1 us; a 1 km
// query visits about 4 cells (9 when small non-point boxes are present) plus the large
// list. Memory about 40-60 bytes per point when cells hold several points each.
//
// Not synchronised: callers guard concurrent access (const Query calls may run together).
namespace dothi::geo {

class SpatialIndex {
 public:
  // cell_degrees: grid cell side in degrees, widened to area's longer side / 60,000 (0.006
  // for the world) so that cell ids fit 32 bits. An empty area means the world.
  explicit SpatialIndex(double cell_degrees = 0.01, const BBox& area = BBox::World());

  // The cell side in use, in degrees.
  double cell_degrees() const { return cell_degrees_; }

  // Adds key with box, replacing the key's previous box if it has one.
  void Insert(std::uint64_t key, const BBox& box);
  // Same as Insert; reads better at call sites that move an existing key.
  void Update(std::uint64_t key, const BBox& box) { Insert(key, box); }
  // Removes key; false when it was not present.
  bool Remove(std::uint64_t key);
  bool Contains(std::uint64_t key) const;

  // Calls fn(key) once for each key whose box may intersect box (see above), until fn
  // returns false. Returns false when fn stopped the scan. fn must not modify the index.
  bool Query(const BBox& box, const std::function<bool(std::uint64_t)>& fn) const;

  std::size_t size() const { return size_; }
  void Clear();

 private:
  // A stored box, rounded outwards to floats.
  struct Item {
    std::uint64_t key;
    float min_x, min_y, max_x, max_y;
  };
  static constexpr std::uint32_t kLargeCell = 0xFFFFFFFFu;
  static constexpr std::uint32_t kEmptySlot = 0xFFFFFFFEu;  // Slot::cell of an unused slot
  // Where a key's Item lives: a cell id (or kLargeCell) and its index in that vector.
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t cell = kEmptySlot;
    std::uint32_t index = 0;
  };

  std::uint32_t CellX(double x) const;
  std::uint32_t CellY(double y) const;
  Item MakeItem(std::uint64_t key, const BBox& box) const;
  std::vector<Item>& ItemsOf(std::uint32_t cell);
  void EraseItem(std::uint32_t cell, std::uint32_t index);
  static bool ItemIntersects(const Item& it, const BBox& box);
  // Open-addressing map key -> Slot (linear probing, backward-shift deletion).
  std::size_t FindSlot(std::uint64_t key) const;  // index, or npos
  void InsertSlot(const Slot& s);
  void EraseSlotAt(std::size_t i);
  void GrowSlots();

  double cell_degrees_;
  double inv_cell_;
  double origin_x_;  // the area's min corner: cell (0, 0) starts there
  double origin_y_;
  std::uint32_t cells_x_;
  std::uint32_t cells_y_;
  std::unordered_map<std::uint32_t, std::vector<Item>> cells_;
  std::vector<Item> large_;
  std::vector<Slot> slots_;  // power-of-two size
  std::size_t size_ = 0;
  std::size_t small_boxes_ = 0;  // non-point boxes stored in cells; they widen queries
};

}  // namespace dothi::geo
