#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <optional>

#include "core/time.h"

namespace dothi {

const Json* Json::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : AsObject()) {
    if (k == key) return &v;
  }
  return nullptr;
}

Json* Json::Find(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->Find(key));
}

Json& Json::Set(std::string_view key, Json value) {
  if (!is_object()) v_ = Object{};
  for (auto& [k, v] : AsObject()) {
    if (k == key) {
      v = std::move(value);
      return v;
    }
  }
  auto& obj = AsObject();
  obj.emplace_back(std::string(key), std::move(value));
  return obj.back().second;
}

bool Json::Erase(std::string_view key) {
  if (!is_object()) return false;
  auto& obj = AsObject();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it->first == key) {
      obj.erase(it);
      return true;
    }
  }
  return false;
}

Json& Json::Push(Json value) {
  if (!is_array()) v_ = Array{};
  auto& arr = AsArray();
  arr.push_back(std::move(value));
  return arr.back();
}

std::size_t Json::size() const {
  if (is_array()) return AsArray().size();
  if (is_object()) return AsObject().size();
  return 0;
}

bool operator==(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.AsInt() == b.AsInt();
    return a.AsDouble() == b.AsDouble();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::Type::kNull: return true;
    case Json::Type::kBool: return a.AsBool() == b.AsBool();
    case Json::Type::kString: return a.AsString() == b.AsString();
    case Json::Type::kArray: return a.AsArray() == b.AsArray();
    case Json::Type::kObject: {
      // Member order does not matter for equality.
      const auto& ao = a.AsObject();
      if (ao.size() != b.size()) return false;
      for (const auto& [k, v] : ao) {
        const Json* bv = b.Find(k);
        if (bv == nullptr || !(*bv == v)) return false;
      }
      return true;
    }
    default: return false;
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void AppendJsonNumber(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
  // A double stays a double when read back: 80.0 is written "80.0", not "80" (clients in
  // typed languages tell the two apart).
  if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == r.ptr) {
    out += ".0";
  }
}

std::string ShortestNumberText(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

void Json::AppendTo(std::string& out) const {
  switch (type()) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += AsBool() ? "true" : "false"; break;
    case Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, AsInt());
      out.append(buf, r.ptr);
      break;
    }
    case Type::kDouble: AppendJsonNumber(out, std::get<double>(v_)); break;
    case Type::kString: AppendJsonString(out, AsString()); break;
    case Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : AsArray()) {
        if (!first) out.push_back(',');
        first = false;
        e.AppendTo(out);
      }
      out.push_back(']');
      break;
    }
    case Type::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : AsObject()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, k);
        out.push_back(':');
        v.AppendTo(out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string Json::Dump() const {
  std::string out;
  AppendTo(out);
  return out;
}

// Binary form (version 1): a version byte, then one value. A value is a tag byte and its
// payload: ints as zigzag varints, doubles as 8 bytes, arrays and objects as a varint count
// and their items. Strings, including object keys, take one of three compact forms: a
// one-byte index into kDictionary (the words every NGSI-LD entity repeats), a known IRI
// prefix plus the rest, or a canonical ISO 8601 UTC millisecond timestamp stored as a
// varint. Entities shrink to about a third of their JSON size; memory holds this form.
namespace {

enum Tag : std::uint8_t {
  kTNull, kTFalse, kTTrue, kTInt, kTDouble, kTString, kTArray, kTObject,
  kTDict,    // one byte: index into kDictionary
  kTPrefix,  // one byte: index into kPrefixes, then the rest as varint length + bytes
  kTTime,    // zigzag varint: milliseconds since the epoch of "YYYY-MM-DDThh:mm:ss.sssZ"
};
constexpr std::uint8_t kFormatVersion = 0xD1;  // first byte of every encoded value
constexpr int kMaxDepth = 256;  // deeper input is corrupt; the JSON parser refuses it earlier

// Append-only: stored data refers to these by position.
constexpr std::string_view kDictionary[] = {
    "type", "value", "object", "objectList", "languageMap", "valueList", "json", "vocab",
    "observedAt", "createdAt", "modifiedAt", "unitCode", "datasetId", "Property",
    "Relationship", "GeoProperty", "LanguageProperty", "ListProperty", "JsonProperty",
    "VocabProperty", "ListRelationship", "Point", "LineString", "Polygon", "MultiPoint",
    "MultiLineString", "MultiPolygon", "coordinates", "id", "attrs", "scope",
    "https://uri.etsi.org/ngsi-ld/location", "@type", "@value", "DateTime", "vi", "en",
    "CEL", "GQ", "P1", "C62", "MTR", "KMH", "true", "false", "on", "off", "ok",
};
constexpr std::string_view kPrefixes[] = {
    "https://uri.etsi.org/ngsi-ld/default-context/", "https://uri.etsi.org/ngsi-ld/",
    "https://smartdatamodels.org/", "urn:ngsi-ld:", "https://", "http://",
};
static_assert(std::size(kDictionary) < 256 && std::size(kPrefixes) < 256);

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// The dictionary's words grouped by length, so a lookup compares a few candidates only.
constexpr std::size_t kLongestWord = 40;
struct WordsByLength {
  std::uint8_t first[kLongestWord + 1];  // index into order of the first word of each length
  std::uint8_t count[kLongestWord + 1];
  std::uint8_t order[std::size(kDictionary)];
};
constexpr WordsByLength kWordsByLength = [] {
  WordsByLength t{};
  std::size_t next = 0;
  for (std::size_t len = 0; len <= kLongestWord; ++len) {
    t.first[len] = static_cast<std::uint8_t>(next);
    for (std::size_t i = 0; i < std::size(kDictionary); ++i) {
      if (kDictionary[i].size() != len) continue;
      t.order[next++] = static_cast<std::uint8_t>(i);
      ++t.count[len];
    }
  }
  return t;
}();
static_assert([] {
  for (std::string_view w : kDictionary) {
    if (w.size() > kLongestWord) return false;
  }
  return true;
}());

int DictionaryIndex(std::string_view s) {
  if (s.size() > kLongestWord) return -1;
  const std::size_t first = kWordsByLength.first[s.size()];
  for (std::size_t k = 0; k < kWordsByLength.count[s.size()]; ++k) {
    const std::uint8_t i = kWordsByLength.order[first + k];
    if (kDictionary[i] == s) return i;
  }
  return -1;
}

// Milliseconds of a canonical "YYYY-MM-DDThh:mm:ss.sssZ", when s is exactly that form.
std::optional<std::int64_t> CanonicalMillis(std::string_view s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z') {
    return std::nullopt;
  }
  // With that layout, a time the parser accepts formats back to the same text, except a
  // leap second (:60), which formats as the next minute.
  std::optional<Timestamp> t = ParseIso8601(s);
  if (!t || s[17] > '5') return std::nullopt;
  return t->micros / 1000;
}

void PutString(std::string& out, std::string_view s) {
  if (int d = DictionaryIndex(s); d >= 0) {
    out.push_back(static_cast<char>(kTDict));
    out.push_back(static_cast<char>(d));
    return;
  }
  if (std::optional<std::int64_t> ms = CanonicalMillis(s)) {
    out.push_back(static_cast<char>(kTTime));
    PutVarint(out, ZigZag(*ms));
    return;
  }
  for (std::size_t i = 0; i < std::size(kPrefixes); ++i) {
    if (s.size() > kPrefixes[i].size() && s.substr(0, kPrefixes[i].size()) == kPrefixes[i]) {
      out.push_back(static_cast<char>(kTPrefix));
      out.push_back(static_cast<char>(i));
      s.remove_prefix(kPrefixes[i].size());
      PutVarint(out, s.size());
      out.append(s);
      return;
    }
  }
  out.push_back(static_cast<char>(kTString));
  PutVarint(out, s.size());
  out.append(s);
}

struct Reader {
  std::string_view in;
  std::size_t pos = 0;

  bool Byte(std::uint8_t& b) {
    if (pos >= in.size()) return false;
    b = static_cast<std::uint8_t>(in[pos++]);
    return true;
  }
  bool Varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) return false;
      const auto b = static_cast<std::uint8_t>(in[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Raw(std::string& s) {
    std::uint64_t n;
    if (!Varint(n) || n > in.size() - pos) return false;
    s.append(in.data() + pos, n);
    pos += n;
    return true;
  }
  // A string in any of its forms, given its tag.
  bool StringOf(std::uint8_t tag, std::string& s) {
    s.clear();
    switch (tag) {
      case kTString: return Raw(s);
      case kTDict: {
        std::uint8_t i;
        if (!Byte(i) || i >= std::size(kDictionary)) return false;
        s.assign(kDictionary[i]);
        return true;
      }
      case kTPrefix: {
        std::uint8_t i;
        if (!Byte(i) || i >= std::size(kPrefixes)) return false;
        s.assign(kPrefixes[i]);
        return Raw(s);
      }
      case kTTime: {
        std::uint64_t v;
        if (!Varint(v)) return false;
        const std::int64_t ms = UnZigZag(v);
        constexpr std::int64_t kLimit = std::int64_t{1} << 50;  // ms; far beyond year 9999
        if (ms > kLimit || ms < -kLimit) return false;
        char buf[kIso8601BufferSize];
        s.assign(buf, FormatIso8601(Timestamp{ms * 1000}, buf));
        return true;
      }
      default: return false;
    }
  }
  // A container's tag (kTArray or kTObject) and its element count, which cannot exceed the
  // bytes left (each element takes at least one).
  bool Header(std::uint8_t want, std::uint64_t& n) {
    std::uint8_t tag;
    return Byte(tag) && tag == want && Varint(n) && n <= in.size() - pos;
  }
  bool Fixed(void* dst) {
    if (in.size() - pos < 8) return false;
    std::memcpy(dst, in.data() + pos, 8);
    pos += 8;
    return true;
  }
  // Moves past one string (a key or a string value) in any of its forms without building
  // it, checking what StringOf would check.
  bool SkipKey() {
    std::uint8_t tag;
    std::uint64_t n;
    if (!Byte(tag)) return false;
    switch (tag) {
      case kTString: return Varint(n) && n <= in.size() - pos && (pos += n, true);
      case kTDict: return Byte(tag) && tag < std::size(kDictionary);
      case kTPrefix:
        return Byte(tag) && tag < std::size(kPrefixes) && Varint(n) && n <= in.size() - pos &&
               (pos += n, true);
      case kTTime: {
        std::string s;
        return StringOf(tag, s);  // rare as a key; checks the time's range
      }
      default: return false;
    }
  }
  // Moves past one value without building it.
  bool Skip(int depth) {
    std::uint8_t tag;
    if (depth > kMaxDepth || !Byte(tag)) return false;
    std::uint64_t n;
    switch (tag) {
      case kTNull: case kTFalse: case kTTrue: return true;
      case kTInt: case kTTime: return Varint(n);
      case kTDouble: return in.size() - pos >= 8 && (pos += 8, true);
      case kTString: return Varint(n) && n <= in.size() - pos && (pos += n, true);
      case kTDict: return Byte(tag);
      case kTPrefix: return Byte(tag) && Varint(n) && n <= in.size() - pos && (pos += n, true);
      case kTArray:
        if (!Varint(n) || n > in.size() - pos) return false;
        for (std::uint64_t i = 0; i < n; ++i) {
          if (!Skip(depth + 1)) return false;
        }
        return true;
      case kTObject: {
        if (!Varint(n) || n > in.size() - pos) return false;
        for (std::uint64_t i = 0; i < n; ++i) {
          if (!SkipKey() || !Skip(depth + 1)) return false;
        }
        return true;
      }
      default: return false;
    }
  }
  bool Value(Json& out, int depth) {
    std::uint8_t tag;
    if (depth > kMaxDepth || !Byte(tag)) return false;
    switch (tag) {
      case kTNull: out = Json(); return true;
      case kTFalse: out = Json(false); return true;
      case kTTrue: out = Json(true); return true;
      case kTInt: {
        std::uint64_t v;
        if (!Varint(v)) return false;
        out = Json(UnZigZag(v));
        return true;
      }
      case kTDouble: {
        double d;
        if (!Fixed(&d)) return false;
        out = Json(d);
        return true;
      }
      case kTString:
      case kTDict:
      case kTPrefix:
      case kTTime: {
        std::string s;
        if (!StringOf(tag, s)) return false;
        out = Json(std::move(s));
        return true;
      }
      case kTArray: {
        std::uint64_t n;
        if (!Varint(n) || n > in.size() - pos) return false;
        Json::Array arr;
        arr.resize(n);
        for (auto& e : arr) {
          if (!Value(e, depth + 1)) return false;
        }
        out = Json(std::move(arr));
        return true;
      }
      case kTObject: {
        std::uint64_t n;
        if (!Varint(n) || n > in.size() - pos) return false;
        Json::Object obj;
        obj.resize(n);
        for (auto& [k, v] : obj) {
          std::uint8_t key_tag;
          if (!Byte(key_tag) || !StringOf(key_tag, k) || !Value(v, depth + 1)) return false;
        }
        out = Json(std::move(obj));
        return true;
      }
      default: return false;
    }
  }
};

}  // namespace

void Json::EncodeBinary(std::string& out) const {
  out.push_back(static_cast<char>(kFormatVersion));
  EncodeValue(out);
}

void Json::EncodeObjectBinary(
    std::string& out, std::initializer_list<std::pair<std::string_view, const Json*>> members) {
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(kTObject);
  PutVarint(out, members.size());
  for (const auto& [key, value] : members) {
    PutString(out, key);
    value->EncodeValue(out);
  }
}

void Json::EncodeValue(std::string& out) const {
  switch (type()) {
    case Type::kNull: out.push_back(kTNull); break;
    case Type::kBool: out.push_back(AsBool() ? kTTrue : kTFalse); break;
    case Type::kInt:
      out.push_back(kTInt);
      PutVarint(out, ZigZag(AsInt()));
      break;
    case Type::kDouble: {
      out.push_back(kTDouble);
      const double d = std::get<double>(v_);
      out.append(reinterpret_cast<const char*>(&d), 8);
      break;
    }
    case Type::kString: PutString(out, AsString()); break;
    case Type::kArray:
      out.push_back(kTArray);
      PutVarint(out, AsArray().size());
      for (const auto& e : AsArray()) e.EncodeValue(out);
      break;
    case Type::kObject:
      out.push_back(kTObject);
      PutVarint(out, AsObject().size());
      for (const auto& [k, v] : AsObject()) {
        PutString(out, k);
        v.EncodeValue(out);
      }
      break;
  }
}

Result<std::vector<Json::BinaryMember>> Json::BinaryObjectMembers(std::string_view bytes,
                                                                  bool versioned,
                                                                  bool last_to_end) {
  std::size_t start = 0;
  if (versioned) {
    if (bytes.empty() || static_cast<std::uint8_t>(bytes[0]) != kFormatVersion) {
      return Status::Internal("corrupt stored value: unknown format");
    }
    start = 1;
  }
  Reader r{bytes, start};
  std::uint64_t n;
  if (!r.Header(kTObject, n)) {
    return Status::Internal("corrupt stored value: not an object");
  }
  std::vector<BinaryMember> members(n);
  for (BinaryMember& m : members) {
    const std::size_t key_start = r.pos;
    if (!r.SkipKey()) return Status::Internal("corrupt stored value");
    const std::size_t value_start = r.pos;
    if (last_to_end && &m == &members.back()) {
      if (r.pos >= bytes.size()) return Status::Internal("corrupt stored value");
      r.pos = bytes.size();
    } else if (!r.Skip(1)) {
      return Status::Internal("corrupt stored value");
    }
    m.key = bytes.substr(key_start, value_start - key_start);
    m.value = bytes.substr(value_start, r.pos - value_start);
  }
  if (r.pos != bytes.size()) return Status::Internal("corrupt stored value: trailing bytes");
  return members;
}

Result<Json::BinaryObjectCursor> Json::OpenBinaryObject(std::string_view value) {
  Reader r{value, 0};
  std::uint64_t n;
  if (!r.Header(kTObject, n)) {
    return Status::Internal("corrupt stored value: not an object");
  }
  BinaryObjectCursor c;
  c.bytes = value;
  c.pos = r.pos;
  c.count = static_cast<std::size_t>(n);
  if (c.count == 0 && c.pos != value.size()) {
    return Status::Internal("corrupt stored value: trailing bytes");
  }
  return c;
}

Result<Json::BinaryMember> Json::NextBinaryMember(BinaryObjectCursor& c) {
  if (c.walked >= c.count) return Status::Internal("corrupt stored value: no more members");
  Reader r{c.bytes, c.pos};
  if (!r.SkipKey()) return Status::Internal("corrupt stored value");
  const std::size_t value_start = r.pos;
  if (!r.Skip(1)) return Status::Internal("corrupt stored value");
  BinaryMember m{c.bytes.substr(c.pos, value_start - c.pos),
                 c.bytes.substr(value_start, r.pos - value_start)};
  c.pos = r.pos;
  if (++c.walked == c.count && c.pos != c.bytes.size()) {
    return Status::Internal("corrupt stored value: trailing bytes");
  }
  return m;
}

Result<Json> Json::DecodeBinaryValue(std::string_view value) {
  Reader r{value, 0};
  Json out;
  if (!r.Value(out, 0) || r.pos != value.size()) return Status::Internal("corrupt stored value");
  return out;
}

Result<std::size_t> Json::BinaryArraySize(std::string_view value) {
  Reader r{value, 0};
  std::uint64_t n;
  if (!r.Header(kTArray, n)) {
    return Status::Internal("corrupt stored value: not an array");
  }
  return static_cast<std::size_t>(n);
}

Result<std::string_view> Json::BinaryArrayElement(std::string_view value, std::size_t index) {
  Reader r{value, 0};
  std::uint64_t n;
  if (!r.Header(kTArray, n) || index >= n) {
    return Status::Internal("corrupt stored value: no such array element");
  }
  for (std::size_t i = 0; i < index; ++i) {
    if (!r.Skip(1)) return Status::Internal("corrupt stored value");
  }
  const std::size_t start = r.pos;
  if (!r.Skip(1)) return Status::Internal("corrupt stored value");
  return value.substr(start, r.pos - start);
}

void Json::EncodeBinaryFromValue(std::string& out, std::string_view value) {
  out.reserve(out.size() + 1 + value.size());
  out.push_back(static_cast<char>(kFormatVersion));
  out.append(value);
}

void Json::BeginBinaryObject(std::string& out, std::size_t members, bool versioned) {
  if (versioned) out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(kTObject);
  PutVarint(out, members);
}

std::size_t Json::BinaryObjectHeaderSize(std::size_t members, bool versioned) {
  std::size_t n = (versioned ? 1 : 0) + 2;  // version, tag, the varint's last byte
  for (std::uint64_t v = members; v >= 0x80; v >>= 7) ++n;
  return n;
}

void Json::AppendBinaryKey(std::string& out, std::string_view key) { PutString(out, key); }

bool Json::BinaryKeyEquals(std::string_view key_encoding, std::string_view key) {
  Reader r{key_encoding, 0};
  std::uint8_t tag;
  std::uint8_t i;
  std::uint64_t n;
  if (!r.Byte(tag)) return false;
  switch (tag) {
    case kTString:
      return r.Varint(n) && n == key_encoding.size() - r.pos && key_encoding.substr(r.pos) == key;
    case kTDict:
      return r.Byte(i) && i < std::size(kDictionary) && r.pos == key_encoding.size() &&
             kDictionary[i] == key;
    case kTPrefix:
      return r.Byte(i) && i < std::size(kPrefixes) && r.Varint(n) &&
             n == key_encoding.size() - r.pos && key.size() == kPrefixes[i].size() + n &&
             key.substr(0, kPrefixes[i].size()) == kPrefixes[i] &&
             key.substr(kPrefixes[i].size()) == key_encoding.substr(r.pos);
    default: {
      Result<std::string> decoded = DecodeBinaryKey(key_encoding);
      return decoded.ok() && *decoded == key;
    }
  }
}

Result<std::string> Json::DecodeBinaryKey(std::string_view key_encoding) {
  Reader r{key_encoding, 0};
  std::uint8_t tag;
  std::string key;
  if (!r.Byte(tag) || !r.StringOf(tag, key) || r.pos != key_encoding.size()) {
    return Status::Internal("corrupt stored key");
  }
  return key;
}

Result<Json> Json::DecodeBinary(std::string_view bytes) {
  if (bytes.empty() || static_cast<std::uint8_t>(bytes[0]) != kFormatVersion) {
    return Status::Internal("corrupt stored value: unknown format");
  }
  Reader r{bytes, 1};
  Json out;
  if (!r.Value(out, 0) || r.pos != bytes.size()) {
    return Status::Internal("corrupt stored value");
  }
  return out;
}

}  // namespace dothi
