#include "core/json.h"

#include <charconv>
#include <cmath>
#include <cstring>

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

// Binary form: one tag byte, then for int an 8-byte little-endian value, for double its
// 8 bytes, for strings a varint length and bytes, for arrays a varint count and the
// elements, for objects a varint count and (string, value) pairs.
namespace {

enum Tag : std::uint8_t { kTNull, kTFalse, kTTrue, kTInt, kTDouble, kTString, kTArray, kTObject };
constexpr int kMaxDepth = 256;  // deeper input is corrupt; the JSON parser refuses it earlier

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

struct Reader {
  std::string_view in;
  std::size_t pos = 0;

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
  bool String(std::string& s) {
    std::uint64_t n;
    if (!Varint(n) || n > in.size() - pos) return false;
    s.assign(in.data() + pos, n);
    pos += n;
    return true;
  }
  bool Fixed(void* dst) {
    if (in.size() - pos < 8) return false;
    std::memcpy(dst, in.data() + pos, 8);
    pos += 8;
    return true;
  }
  bool Value(Json& out, int depth) {
    if (depth > kMaxDepth || pos >= in.size()) return false;
    const auto tag = static_cast<std::uint8_t>(in[pos++]);
    switch (tag) {
      case kTNull: out = Json(); return true;
      case kTFalse: out = Json(false); return true;
      case kTTrue: out = Json(true); return true;
      case kTInt: {
        std::int64_t i;
        if (!Fixed(&i)) return false;
        out = Json(i);
        return true;
      }
      case kTDouble: {
        double d;
        if (!Fixed(&d)) return false;
        out = Json(d);
        return true;
      }
      case kTString: {
        std::string s;
        if (!String(s)) return false;
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
          if (!String(k) || !Value(v, depth + 1)) return false;
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
  switch (type()) {
    case Type::kNull: out.push_back(kTNull); break;
    case Type::kBool: out.push_back(AsBool() ? kTTrue : kTFalse); break;
    case Type::kInt: {
      out.push_back(kTInt);
      const std::int64_t i = AsInt();
      out.append(reinterpret_cast<const char*>(&i), 8);
      break;
    }
    case Type::kDouble: {
      out.push_back(kTDouble);
      const double d = std::get<double>(v_);
      out.append(reinterpret_cast<const char*>(&d), 8);
      break;
    }
    case Type::kString:
      out.push_back(kTString);
      PutString(out, AsString());
      break;
    case Type::kArray:
      out.push_back(kTArray);
      PutVarint(out, AsArray().size());
      for (const auto& e : AsArray()) e.EncodeBinary(out);
      break;
    case Type::kObject:
      out.push_back(kTObject);
      PutVarint(out, AsObject().size());
      for (const auto& [k, v] : AsObject()) {
        PutString(out, k);
        v.EncodeBinary(out);
      }
      break;
  }
}

Result<Json> Json::DecodeBinary(std::string_view bytes) {
  Reader r{bytes};
  Json out;
  if (!r.Value(out, 0) || r.pos != bytes.size()) {
    return Status::Internal("corrupt stored value");
  }
  return out;
}

}  // namespace dothi
