#include "geo/mvt.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/hash.h"

namespace dothi::geo {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kSimplifyTolerance = 1.0;  // tile units; Douglas-Peucker distance
constexpr double kRejectSlack = 1e-9;       // degrees; absorbs rounding in the lon/lat pre-test
constexpr double kTaylorMaxError = 1e-7;    // tile units; see Impl::PrepareNorthing
constexpr std::uint32_t kDistinctProbe = 64;  // values of a key looked up before giving up
constexpr std::size_t kKeepBufferBytes = std::size_t{1} << 20;  // kept by Reset, per buffer
constexpr std::uint32_t kMvtVersion = 2;    // the spec's major version, as layers carry it

// vector_tile.proto field numbers (spec 2.1).
namespace pb {
constexpr protozero::pbf_tag_type kTileLayers = 3;
constexpr protozero::pbf_tag_type kLayerName = 1;
constexpr protozero::pbf_tag_type kLayerFeatures = 2;
constexpr protozero::pbf_tag_type kLayerKeys = 3;
constexpr protozero::pbf_tag_type kLayerValues = 4;
constexpr protozero::pbf_tag_type kLayerExtent = 5;
constexpr protozero::pbf_tag_type kLayerVersion = 15;
constexpr protozero::pbf_tag_type kFeatureId = 1;
constexpr protozero::pbf_tag_type kFeatureTags = 2;
constexpr protozero::pbf_tag_type kFeatureType = 3;
constexpr protozero::pbf_tag_type kFeatureGeometry = 4;
constexpr protozero::pbf_tag_type kValueString = 1;
constexpr protozero::pbf_tag_type kValueDouble = 3;
constexpr protozero::pbf_tag_type kValueInt = 4;
constexpr protozero::pbf_tag_type kValueSint = 6;
constexpr protozero::pbf_tag_type kValueBool = 7;
}  // namespace pb

enum class GeomType : std::int32_t { kPoint = 1, kLineString = 2, kPolygon = 3 };

constexpr std::uint32_t kMoveTo = 1;
constexpr std::uint32_t kLineTo = 2;
constexpr std::uint32_t kClosePath = 7;

constexpr std::uint32_t CommandInteger(std::uint32_t id, std::uint32_t count) {
  return (id & 0x7u) | (count << 3);
}

// A position on the tile's integer grid.
struct TilePoint {
  std::int32_t x = 0;
  std::int32_t y = 0;
  friend bool operator==(const TilePoint&, const TilePoint&) = default;
};

// ln(tan(pi/4 + lat/2)) for lat in degrees clamped to the Mercator limit: northing / R.
double MercatorNorthing(double lat) {
  lat = std::clamp(lat, -kMaxMercatorLatitude, kMaxMercatorLatitude);
  return std::log(std::tan(kPi / 4 + lat * kDegToRad / 2));
}

// Longitude and latitude of a point given as fractions of the world square from its
// north-west corner.
double WorldFractionToLon(double fx) { return fx * 360.0 - 180.0; }
double WorldFractionToLat(double fy) {
  return std::atan(std::sinh(kPi * (1 - 2 * fy))) / kDegToRad;
}

// Lon/lat box of the world fractions [fx0, fx1] x [fy0, fy1] (fy grows southwards).
BBox WorldFractionBox(double fx0, double fy0, double fx1, double fy1) {
  return BBox{WorldFractionToLon(fx0), WorldFractionToLat(fy1), WorldFractionToLon(fx1),
              WorldFractionToLat(fy0)};
}

// Nearest integer (halves up); v is within the clip square, so it fits. An inline floor:
// std::lround and std::floor are library calls on baseline x86-64.
std::int32_t RoundToGrid(double v) {
  double h = v + 0.5;
  auto r = static_cast<std::int32_t>(h);  // truncates towards zero
  return r > h ? r - 1 : r;
}

// Twice the signed area by the surveyor's formula over an implicitly closed ring.
std::int64_t DoubleArea(const std::vector<TilePoint>& ring) {
  std::int64_t sum = 0;
  std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    sum += std::int64_t{ring[j].x} * ring[i].y - std::int64_t{ring[i].x} * ring[j].y;
  }
  return sum;
}

// Clips segment a-b to the square [lo, hi]^2 (Liang-Barsky). Returns false when it misses;
// otherwise [t0, t1] is the parameter range inside.
bool ClipSegment(const Position& a, const Position& b, double lo, double hi, double& t0,
                 double& t1) {
  t0 = 0;
  t1 = 1;
  double dx = b.x - a.x, dy = b.y - a.y;
  auto edge = [&](double p, double q) {  // the part where p * t <= q
    if (p == 0) return q >= 0;
    double r = q / p;
    if (p < 0) {
      if (r > t1) return false;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return false;
      if (r < t1) t1 = r;
    }
    return true;
  };
  return edge(-dx, a.x - lo) && edge(dx, hi - a.x) && edge(-dy, a.y - lo) && edge(dy, hi - a.y);
}

Position Lerp(const Position& a, const Position& b, double t) {
  return Position{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
}

// One Sutherland-Hodgman pass: the part of ring `in` (implicitly closed) on the inside of
// the line coord(p) == c, where inside means coord(p) >= c (keep_above) or <= c.
template <bool kAlongX, bool kKeepAbove>
void ClipRingToEdge(const std::vector<Position>& in, double c, std::vector<Position>& out) {
  out.clear();
  auto coord = [](const Position& p) { return kAlongX ? p.x : p.y; };
  auto inside = [&](const Position& p) { return kKeepAbove ? coord(p) >= c : coord(p) <= c; };
  auto cross = [&](const Position& a, const Position& b) {
    double t = (c - coord(a)) / (coord(b) - coord(a));
    return kAlongX ? Position{c, a.y + t * (b.y - a.y)} : Position{a.x + t * (b.x - a.x), c};
  };
  std::size_t n = in.size();
  if (n == 0) return;
  const Position* prev = &in[n - 1];
  bool prev_inside = inside(*prev);
  for (const Position& cur : in) {
    bool cur_inside = inside(cur);
    if (cur_inside != prev_inside) out.push_back(cross(*prev, cur));
    if (cur_inside) out.push_back(cur);
    prev = &cur;
    prev_inside = cur_inside;
  }
}

// The entries of one layer table (keys or values) by their bytes: an open-addressing hash
// set whose slots point into the table string itself (each entry is one length-delimited
// field there), so that interning allocates nothing per entry. Grows by doubling at half
// load; Clear keeps the slots (up to kKeepSlots) for the next tile.
class TableIndex {
 public:
  // The index of the entry holding bytes in table; when there is none, bytes are appended
  // to table as field tag under index next (and *added is set).
  std::uint32_t Intern(std::string_view bytes, std::string& table, protozero::pbf_tag_type tag,
                       std::uint32_t next, bool* added) {
    if (slots_.empty()) slots_.assign(kInitialSlots, Slot{});
    const std::uint64_t h = HashBytes(bytes);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == kEmpty) {
        protozero::pbf_writer(table).add_bytes(tag, bytes.data(), bytes.size());
        s = Slot{h, static_cast<std::uint32_t>(table.size() - bytes.size()),
                 static_cast<std::uint32_t>(bytes.size()), next};
        *added = true;
        if (++count_ * 2 > slots_.size()) Grow();
        return next;
      }
      if (s.hash == h && s.length == bytes.size() &&
          std::memcmp(table.data() + s.offset, bytes.data(), bytes.size()) == 0) {
        *added = false;
        return s.index;
      }
    }
  }

  void Clear() {
    if (slots_.size() > kKeepSlots) {
      slots_.clear();
    } else {
      std::fill(slots_.begin(), slots_.end(), Slot{});
    }
    count_ = 0;
  }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  static constexpr std::size_t kInitialSlots = 64;       // a power of two
  static constexpr std::size_t kKeepSlots = 1u << 16;     // beyond: freed between tiles
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // of the entry's bytes in the table
    std::uint32_t length = 0;
    std::uint32_t index = kEmpty;
  };

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index == kEmpty) continue;
      std::size_t i = s.hash & mask;
      while (slots_[i].index != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace

BBox TileBBox(const TileId& tile) {
  DOTHI_DCHECK(tile.valid());
  double n = std::ldexp(1.0, tile.z);
  return WorldFractionBox(tile.x / n, tile.y / n, (tile.x + 1.0) / n, (tile.y + 1.0) / n);
}

BBox BufferedTileBBox(const TileId& tile, const MvtOptions& options) {
  DOTHI_DCHECK(tile.valid() && options.extent > 0);
  double n = std::ldexp(1.0, tile.z);
  double b = static_cast<double>(options.buffer) / options.extent;  // in tiles
  double fx0 = std::max(0.0, (tile.x - b) / n), fx1 = std::min(1.0, (tile.x + 1 + b) / n);
  double fy0 = (tile.y - b) / n, fy1 = (tile.y + 1 + b) / n;
  BBox box = WorldFractionBox(fx0, std::max(0.0, fy0), fx1, std::min(1.0, fy1));
  if (fy0 <= 0) box.max_y = 90.0;
  if (fy1 >= 1) box.min_y = -90.0;
  return box;
}

// ---------------------------------------------------------------------------------------
// MvtLayerBuilder

struct MvtLayerBuilder::Impl {
  std::string name;
  TileId tile;
  MvtOptions options;

  // Projection lon/lat -> tile units: x = lon * kx + bx, y = by - ky * MercatorNorthing(lat).
  double kx = 0, bx = 0, ky = 0, by = 0;
  double lo = 0, hi = 0;  // clip square [lo, hi]^2 in tile units
  BBox reject_box;        // lon/lat; a geometry whose bbox misses it has nothing in the tile

  // Encoded layer parts: a layer is header + features + keys + values.
  std::string header;    // version, name, extent
  std::string features;  // Layer.features fields, one per feature
  std::string keys;      // Layer.keys fields
  std::string values;    // Layer.values fields
  std::size_t num_features = 0;
  TableIndex key_index;    // key -> index in keys
  TableIndex value_index;  // encoded Value message -> index in values
  std::uint32_t num_keys = 0;
  // Per key (by index): how many of its values were new so far, up to kDistinctProbe, or
  // kRepeats once one repeated, or kDistinct when the first kDistinctProbe were all new.
  std::vector<std::uint32_t> key_values;
  static constexpr std::uint32_t kRepeats = 0xFFFFFFFEu;
  static constexpr std::uint32_t kDistinct = 0xFFFFFFFFu;
  std::uint32_t num_values = 0;  // entries in values (extra values are not in value_index)

  // Scratch, reused by every feature.
  std::vector<std::uint32_t> commands;  // the feature's geometry integers
  std::vector<std::uint32_t> tags;
  std::vector<Position> projected;  // one line or ring in tile units
  std::vector<Position> clipped;    // clipping output (lines: the current part)
  std::vector<TilePoint> grid;      // one part on the integer grid
  std::vector<std::uint8_t> keep;   // Douglas-Peucker marks
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;  // Douglas-Peucker stack
  std::string value_scratch;
  std::string json_scratch;
  TilePoint cursor;  // the command cursor; starts at (0, 0) for each feature

  void Start(std::string_view layer_name, const TileId& t) {
    DOTHI_DCHECK(t.valid());  // callers validate request tile ids
    name.assign(layer_name);
    tile = t;
    double extent = options.extent;
    double world = extent * std::ldexp(1.0, t.z);
    kx = world / 360.0;
    bx = world / 2 - t.x * extent;
    ky = world / (2 * kPi);
    by = world / 2 - t.y * extent;
    lo = -static_cast<double>(options.buffer);
    hi = extent + options.buffer;
    reject_box = BufferedTileBBox(t, options);
    reject_box.min_x -= kRejectSlack;
    reject_box.min_y -= kRejectSlack;
    reject_box.max_x += kRejectSlack;
    reject_box.max_y += kRejectSlack;

    for (std::string* buffer : {&header, &features, &keys, &values}) {
      if (buffer->capacity() > kKeepBufferBytes) {
        std::string().swap(*buffer);
      } else {
        buffer->clear();
      }
    }
    num_features = 0;
    key_index.Clear();
    value_index.Clear();
    num_keys = 0;
    key_values.clear();
    num_values = 0;
    protozero::pbf_writer w(header);
    w.add_uint32(pb::kLayerVersion, kMvtVersion);
    w.add_string(pb::kLayerName, name);
    w.add_uint32(pb::kLayerExtent, options.extent);
  }

  // The northing of the vertices of a small geometry comes from the second-order Taylor
  // polynomial of MercatorNorthing around its middle latitude instead of a tan and a log
  // per vertex, when the remainder is provably below kTaylorMaxError tile units: with h
  // half the latitude span in radians, the third derivative is sec^3 (1 + sin^2) <= 2 sec^3,
  // so the error is at most ky * 2 sec^3(highest |latitude|) / 6 * h^3. (A parcel at zoom
  // 16 is below 1e-8 units.)
  bool taylor = false;
  double taylor_lat = 0, taylor_n0 = 0, taylor_d1 = 0, taylor_d2 = 0;
  void PrepareNorthing(const BBox& b) {
    taylor = false;
    const double top = std::max(std::fabs(b.min_y), std::fabs(b.max_y));
    if (!(top < kMaxMercatorLatitude)) return;
    const double h = (b.max_y - b.min_y) / 2 * kDegToRad;
    const double sec_top = 1 / std::cos(top * kDegToRad);
    if (ky * sec_top * sec_top * sec_top * h * h * h / 3 > kTaylorMaxError) return;
    taylor = true;
    taylor_lat = (b.min_y + b.max_y) / 2;
    const double r = taylor_lat * kDegToRad;
    const double sec = 1 / std::cos(r);
    taylor_n0 = MercatorNorthing(taylor_lat);
    taylor_d1 = sec * kDegToRad;                                   // dN/dlat, per degree
    taylor_d2 = 0.5 * sec * std::tan(r) * kDegToRad * kDegToRad;  // d2N/dlat2 / 2
  }
  double Northing(double lat) const {
    if (!taylor) return MercatorNorthing(lat);
    const double d = lat - taylor_lat;
    return taylor_n0 + d * (taylor_d1 + d * taylor_d2);
  }

  Position Project(const Position& p) const { return Position{p.x * kx + bx, by - ky * Northing(p.y)}; }
  bool Inside(const Position& p) const { return lo <= p.x && p.x <= hi && lo <= p.y && p.y <= hi; }

  // Projects positions [begin, end) into `projected`; returns whether all lie in the square.
  bool ProjectRange(const std::vector<Position>& positions, std::size_t begin, std::size_t end) {
    projected.clear();
    bool all_inside = true;
    for (std::size_t i = begin; i < end; ++i) {
      Position p = Project(positions[i]);
      all_inside = all_inside && Inside(p);
      projected.push_back(p);
    }
    return all_inside;
  }

  // Appends the grid point of p to `grid` unless it repeats the last one.
  void AppendToGrid(const Position& p) {
    TilePoint t{RoundToGrid(p.x), RoundToGrid(p.y)};
    if (grid.empty() || !(grid.back() == t)) grid.push_back(t);
  }

  // Douglas-Peucker on `grid` (first and last points kept), then drops consecutive
  // duplicates the removal created.
  void Simplify() {
    std::size_t n = grid.size();
    if (n < 3) return;
    keep.assign(n, 0);
    keep[0] = keep[n - 1] = 1;
    ranges.clear();
    ranges.emplace_back(0, static_cast<std::uint32_t>(n - 1));
    constexpr double kTolerance2 = kSimplifyTolerance * kSimplifyTolerance;
    while (!ranges.empty()) {
      auto [first, last] = ranges.back();
      ranges.pop_back();
      if (last - first < 2) continue;
      const TilePoint a = grid[first], b = grid[last];
      double dx = b.x - a.x, dy = b.y - a.y;
      double len2 = dx * dx + dy * dy;
      double scale = len2 > 0 ? len2 : 1;  // d2 below is a squared distance times scale
      double max_d2 = -1;
      std::uint32_t farthest = first;
      for (std::uint32_t i = first + 1; i < last; ++i) {
        // Squared distance to the segment (not the line, which would drop a point where the
        // line turns back on itself), multiplied by len2 to avoid a division.
        double px = grid[i].x - a.x, py = grid[i].y - a.y;
        double dot = px * dx + py * dy;
        double d2;
        if (dot <= 0) {
          d2 = (px * px + py * py) * scale;
        } else if (dot >= len2) {
          double qx = px - dx, qy = py - dy;
          d2 = (qx * qx + qy * qy) * scale;
        } else {
          double cross = px * dy - py * dx;
          d2 = cross * cross;
        }
        if (d2 > max_d2) {
          max_d2 = d2;
          farthest = i;
        }
      }
      if (max_d2 > kTolerance2 * scale) {
        keep[farthest] = 1;
        ranges.emplace_back(first, farthest);
        ranges.emplace_back(farthest, last);
      }
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep[i]) continue;
      if (out > 0 && grid[out - 1] == grid[i]) continue;
      grid[out++] = grid[i];
    }
    grid.resize(out);
  }

  void AppendCommand(std::uint32_t id, std::size_t count) {
    commands.push_back(CommandInteger(id, static_cast<std::uint32_t>(count)));
  }
  void AppendParameters(const TilePoint& p) {
    commands.push_back(protozero::encode_zigzag32(p.x - cursor.x));
    commands.push_back(protozero::encode_zigzag32(p.y - cursor.y));
    cursor = p;
  }

  bool EncodePoints(const Geometry& g) {
    grid.clear();
    for (const Position& pos : g.positions()) {
      Position p = Project(pos);
      if (Inside(p)) AppendToGrid(p);
    }
    if (grid.empty()) return false;
    AppendCommand(kMoveTo, grid.size());
    for (const TilePoint& p : grid) AppendParameters(p);
    return true;
  }

  // Rounds, simplifies and encodes one part of a line; false when it degenerates.
  bool EmitLinePart(const std::vector<Position>& part) {
    grid.clear();
    for (const Position& p : part) AppendToGrid(p);
    if (options.simplify) Simplify();
    if (grid.size() < 2) return false;
    AppendCommand(kMoveTo, 1);
    AppendParameters(grid[0]);
    AppendCommand(kLineTo, grid.size() - 1);
    for (std::size_t i = 1; i < grid.size(); ++i) AppendParameters(grid[i]);
    return true;
  }

  bool EncodeLines(const Geometry& g) {
    bool any = false;
    std::size_t begin = 0;
    for (std::uint32_t end : g.line_ends()) {
      if (ProjectRange(g.positions(), begin, end)) {
        any = EmitLinePart(projected) || any;
      } else {
        any = ClipAndEmitLine() || any;
      }
      begin = end;
    }
    return any;
  }

  // Cuts `projected` into the parts inside the clip square and emits each.
  bool ClipAndEmitLine() {
    bool any = false;
    bool open = false;  // a part is being collected in `clipped`
    for (std::size_t i = 0; i + 1 < projected.size(); ++i) {
      const Position& a = projected[i];
      const Position& b = projected[i + 1];
      double t0 = 0, t1 = 0;
      if (!ClipSegment(a, b, lo, hi, t0, t1)) {
        if (open) any = EmitLinePart(clipped) || any;  // unreachable: a is inside when open
        open = false;
        continue;
      }
      if (!open) {
        clipped.clear();
        clipped.push_back(t0 > 0 ? Lerp(a, b, t0) : a);
        open = true;
      }
      clipped.push_back(t1 < 1 ? Lerp(a, b, t1) : b);
      if (t1 < 1) {  // b is outside: the part ends here
        any = EmitLinePart(clipped) || any;
        open = false;
      }
    }
    if (open) any = EmitLinePart(clipped) || any;
    return any;
  }

  // Clips, rounds and simplifies ring positions [begin, end) into `grid` and encodes it with
  // the winding of an exterior ring or a hole. Returns false (and encodes nothing) when the
  // ring degenerates.
  bool EmitRing(const std::vector<Position>& positions, std::size_t begin, std::size_t end,
                bool exterior) {
    if (end - begin >= 2 && positions[end - 1] == positions[begin]) --end;  // implicit closing
    if (!ProjectRange(positions, begin, end)) ClipRing();
    if (projected.size() < 3) return false;
    grid.clear();
    for (const Position& p : projected) AppendToGrid(p);
    while (grid.size() > 1 && grid.back() == grid.front()) grid.pop_back();
    if (grid.size() < 3) return false;
    if (options.simplify) {
      grid.push_back(grid.front());  // simplify as a closed line anchored at the first point
      Simplify();
      grid.pop_back();
      if (grid.size() < 3) return false;
    }
    std::int64_t area = DoubleArea(grid);
    if (area == 0) return false;
    if ((area > 0) != exterior) std::reverse(grid.begin(), grid.end());
    AppendCommand(kMoveTo, 1);
    AppendParameters(grid[0]);
    AppendCommand(kLineTo, grid.size() - 1);
    for (std::size_t i = 1; i < grid.size(); ++i) AppendParameters(grid[i]);
    AppendCommand(kClosePath, 1);
    return true;
  }

  // Sutherland-Hodgman of `projected` against the clip square's edges that its box crosses;
  // the result is left in `projected`.
  void ClipRing() {
    double min_x = projected[0].x, max_x = min_x, min_y = projected[0].y, max_y = min_y;
    for (const Position& p : projected) {
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
    }
    if (max_x < lo || min_x > hi || max_y < lo || min_y > hi) {
      projected.clear();
      return;
    }
    if (min_x < lo) {
      ClipRingToEdge<true, true>(projected, lo, clipped);
      projected.swap(clipped);
    }
    if (max_x > hi) {
      ClipRingToEdge<true, false>(projected, hi, clipped);
      projected.swap(clipped);
    }
    if (min_y < lo) {
      ClipRingToEdge<false, true>(projected, lo, clipped);
      projected.swap(clipped);
    }
    if (max_y > hi) {
      ClipRingToEdge<false, false>(projected, hi, clipped);
      projected.swap(clipped);
    }
  }

  bool EncodePolygons(const Geometry& g) {
    const std::vector<std::uint32_t>& line_ends = g.line_ends();
    bool any = false;
    std::size_t ring = 0;
    for (std::uint32_t polygon_end : g.polygon_ends()) {
      std::size_t begin = ring == 0 ? 0 : line_ends[ring - 1];
      // The first ring is the exterior; without it the holes go too.
      if (EmitRing(g.positions(), begin, line_ends[ring], /*exterior=*/true)) {
        any = true;
        for (std::size_t hole = ring + 1; hole < polygon_end; ++hole) {
          EmitRing(g.positions(), line_ends[hole - 1], line_ends[hole], /*exterior=*/false);
        }
      }
      ring = polygon_end;
    }
    return any;
  }

  // The encoded Value message of v in value_scratch; false for null (no tag).
  bool EncodeValue(const Json& v) {
    value_scratch.clear();
    protozero::pbf_writer w(value_scratch);
    switch (v.type()) {
      case Json::Type::kNull:
        return false;
      case Json::Type::kBool:
        w.add_bool(pb::kValueBool, v.AsBool());
        return true;
      case Json::Type::kInt:
        if (v.AsInt() < 0) {
          w.add_sint64(pb::kValueSint, v.AsInt());
        } else {
          w.add_int64(pb::kValueInt, v.AsInt());
        }
        return true;
      case Json::Type::kDouble:
        w.add_double(pb::kValueDouble, v.AsDouble());
        return true;
      case Json::Type::kString:
        w.add_string(pb::kValueString, v.AsString());
        return true;
      case Json::Type::kArray:
      case Json::Type::kObject:
        json_scratch.clear();
        v.AppendTo(json_scratch);
        w.add_string(pb::kValueString, json_scratch);
        return true;
    }
    return false;
  }

  // Appends the key and value_scratch (an encoded Value) to the feature's tags. A value
  // that is not shared is appended to the table without looking for an equal one.
  // Values of a key whose first kDistinctProbe values were all new (addresses, areas) are
  // appended without a lookup from then on.
  void AddTag(std::string_view key, bool shared = true) {
    bool added = false;
    const std::uint32_t k = key_index.Intern(key, keys, pb::kLayerKeys, num_keys, &added);
    tags.push_back(k);
    if (added) {
      ++num_keys;
      key_values.push_back(0);
    }
    std::uint32_t& seen = key_values[k];  // values of the key so far; kDistinct: stop looking
    if (!shared || seen == kDistinct) {
      protozero::pbf_writer(values).add_message(pb::kLayerValues, value_scratch);
      tags.push_back(num_values++);
      return;
    }
    tags.push_back(value_index.Intern(value_scratch, values, pb::kLayerValues, num_values, &added));
    if (!added) {
      seen = kRepeats;
    } else {
      ++num_values;
      if (seen != kRepeats && ++seen == kDistinctProbe) seen = kDistinct;
    }
  }

  // The tags of properties; with extra_key, the string extra_value under it first (and
  // the properties' own member of that name left out).
  void EncodeTags(const Json& properties, const std::string_view* extra_key = nullptr,
                  std::string_view extra_value = {}) {
    tags.clear();
    if (extra_key != nullptr) {
      value_scratch.clear();
      protozero::pbf_writer(value_scratch).add_string(pb::kValueString, extra_value.data(),
                                                    extra_value.size());
      AddTag(*extra_key, /*shared=*/false);  // a feature's own id: unique in the layer
    }
    if (!properties.is_object()) return;
    for (const Json::Member& member : properties.AsObject()) {
      const std::string& key = member.first;
      if (extra_key != nullptr && key == *extra_key) continue;
      if (!EncodeValue(member.second)) continue;
      AddTag(key);
    }
  }
};

MvtLayerBuilder::MvtLayerBuilder(std::string_view name, const TileId& tile,
                                 const MvtOptions& options)
    : impl_(std::make_unique<Impl>()) {
  // A configuration bug otherwise; the bound keeps tile units and their deltas in int32.
  DOTHI_DCHECK(options.extent > 0 &&
               std::uint64_t{options.extent} + 2 * std::uint64_t{options.buffer} < (1u << 30));
  impl_->options = options;
  impl_->Start(name, tile);
}

MvtLayerBuilder::~MvtLayerBuilder() = default;
MvtLayerBuilder::MvtLayerBuilder(MvtLayerBuilder&&) noexcept = default;
MvtLayerBuilder& MvtLayerBuilder::operator=(MvtLayerBuilder&&) noexcept = default;

bool MvtLayerBuilder::AddFeature(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
                                 const Json& properties) {
  return Add(id, lonlat_geometry, properties, nullptr, {});
}

bool MvtLayerBuilder::AddFeature(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
                                 const Json& properties, std::string_view key,
                                 std::string_view value) {
  return Add(id, lonlat_geometry, properties, &key, value);
}

bool MvtLayerBuilder::Add(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
                          const Json& properties, const std::string_view* key,
                          std::string_view value) {
  Impl& s = *impl_;
  if (s.num_features >= s.options.max_features) return false;
  if (!lonlat_geometry.bbox().Intersects(s.reject_box)) return false;
  s.commands.clear();
  s.cursor = TilePoint{};
  s.PrepareNorthing(lonlat_geometry.bbox());
  GeomType type;
  bool kept;
  if (lonlat_geometry.is_puntal()) {
    type = GeomType::kPoint;
    kept = s.EncodePoints(lonlat_geometry);
  } else if (lonlat_geometry.is_lineal()) {
    type = GeomType::kLineString;
    kept = s.EncodeLines(lonlat_geometry);
  } else {
    type = GeomType::kPolygon;
    kept = s.EncodePolygons(lonlat_geometry);
  }
  if (!kept) return false;
  s.EncodeTags(properties, key, value);

  protozero::pbf_writer layer(s.features);
  protozero::pbf_writer feature(layer, pb::kLayerFeatures);
  if (id) feature.add_uint64(pb::kFeatureId, *id);
  if (!s.tags.empty()) feature.add_packed_uint32(pb::kFeatureTags, s.tags.begin(), s.tags.end());
  feature.add_enum(pb::kFeatureType, static_cast<std::int32_t>(type));
  feature.add_packed_uint32(pb::kFeatureGeometry, s.commands.begin(), s.commands.end());
  ++s.num_features;
  return true;
}

std::string_view MvtLayerBuilder::name() const { return impl_->name; }
const TileId& MvtLayerBuilder::tile() const { return impl_->tile; }
std::size_t MvtLayerBuilder::num_features() const { return impl_->num_features; }
bool MvtLayerBuilder::full() const { return impl_->num_features >= impl_->options.max_features; }

void MvtLayerBuilder::Reset(std::string_view name, const TileId& tile) { impl_->Start(name, tile); }

// ---------------------------------------------------------------------------------------
// MvtTileBuilder

void MvtTileBuilder::AddLayer(const MvtLayerBuilder& layer) {
  const MvtLayerBuilder::Impl& l = *layer.impl_;
  if (l.num_features == 0) return;
  // Spec 4.1: no two layers of a tile share a name.
  DOTHI_DCHECK(std::find(layer_names_.begin(), layer_names_.end(), l.name) == layer_names_.end());
  layer_names_.push_back(l.name);
  protozero::pbf_writer tile(bytes_);
  tile.add_bytes_vectored(pb::kTileLayers, l.header, l.features, l.keys, l.values);
}

std::string MvtTileBuilder::Finish() {
  layer_names_.clear();
  return std::exchange(bytes_, std::string());
}

}  // namespace dothi::geo
