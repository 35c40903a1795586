#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

// Json is dothi's own JSON value: null, bool, integer, double, string, array and an object
// that keeps insertion order. Parsing text into a Json lives in api/common (simdjson);
// writing text and the compact binary form used by the stores live here (std only).
// A Json is a plain value: not synchronised, copy it or guard it to share it.
namespace dothi {

class Json {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  using Object = std::vector<Member>;

  Json() = default;
  Json(std::nullptr_t) {}                                 // NOLINT
  Json(bool b) : v_(b) {}                                 // NOLINT
  Json(int i) : v_(static_cast<std::int64_t>(i)) {}       // NOLINT
  Json(std::int64_t i) : v_(i) {}                         // NOLINT
  Json(std::uint64_t i) : v_(static_cast<double>(i)) {}   // NOLINT: above int64 becomes double
  Json(double d) : v_(d) {}                               // NOLINT
  Json(const char* s) : v_(std::string(s)) {}             // NOLINT
  Json(std::string s) : v_(std::move(s)) {}               // NOLINT
  Json(std::string_view s) : v_(std::string(s)) {}        // NOLINT
  Json(Array a) : v_(std::move(a)) {}                     // NOLINT
  Json(Object o) : v_(std::move(o)) {}                    // NOLINT

  static Json MakeObject() { return Json(Object{}); }
  static Json MakeArray() { return Json(Array{}); }
  // {"a", 1}, {"b", "x"} pairs, for building literals in code and tests.
  static Json MakeObject(std::initializer_list<Member> members) { return Json(Object(members)); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_double() const { return type() == Type::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors: the caller checks the type first (programmer error otherwise).
  bool AsBool() const { return std::get<bool>(v_); }
  std::int64_t AsInt() const { return std::get<std::int64_t>(v_); }
  double AsDouble() const {  // any number
    return is_int() ? static_cast<double>(std::get<std::int64_t>(v_)) : std::get<double>(v_);
  }
  const std::string& AsString() const { return std::get<std::string>(v_); }
  std::string& AsString() { return std::get<std::string>(v_); }
  const Array& AsArray() const { return std::get<Array>(v_); }
  Array& AsArray() { return std::get<Array>(v_); }
  const Object& AsObject() const { return std::get<Object>(v_); }
  Object& AsObject() { return std::get<Object>(v_); }

  // Object helpers. Find returns nullptr when the key is absent or this is no object.
  const Json* Find(std::string_view key) const;
  Json* Find(std::string_view key);
  bool Contains(std::string_view key) const { return Find(key) != nullptr; }
  // Sets key to value, replacing an existing member in place or appending a new one.
  Json& Set(std::string_view key, Json value);
  // Removes key; returns whether it was there.
  bool Erase(std::string_view key);
  // Array helper.
  Json& Push(Json value);
  std::size_t size() const;  // members or elements; 0 for scalars

  // Compact JSON text (RFC 8259), UTF-8 kept as is, control characters escaped.
  std::string Dump() const;
  void AppendTo(std::string& out) const;

  // Compact binary form for stores and in-memory caches (versioned; see json.cc);
  // DecodeBinary refuses corrupt input.
  void EncodeBinary(std::string& out) const;
  static Result<Json> DecodeBinary(std::string_view bytes);
  // The binary form of an object with these members, written without building the object
  // (saves a deep copy when the members already exist elsewhere).
  static void EncodeObjectBinary(std::string& out,
                                 std::initializer_list<std::pair<std::string_view, const Json*>> members);

  // Encoded objects piece by piece, to rewrite a few members of a large stored value
  // without decoding the others. A value encoding is the binary form of one value without
  // the leading version byte; an object is written as BeginBinaryObject, then per member
  // AppendBinaryKey and its value (EncodeValue, or an existing value encoding appended as is).
  struct BinaryMember {
    std::string_view key;    // the member's key encoding (as AppendBinaryKey writes it)
    std::string_view value;  // the member's value encoding
  };  // both inside the input bytes; nothing is decoded or copied
  // The members of an encoded object: versioned (EncodeBinary output) or a value encoding.
  // With last_to_end, the last member's value is taken to run to the end of bytes without
  // being walked: for a caller that opens that value next (which checks it).
  static Result<std::vector<BinaryMember>> BinaryObjectMembers(std::string_view bytes,
                                                               bool versioned,
                                                               bool last_to_end = false);
  // An encoded object walked one member at a time, for a caller that stops at the member
  // it wants and copies the rest (bytes.substr(pos)) as it is.
  struct BinaryObjectCursor {
    std::string_view bytes;  // the object's value encoding
    std::size_t pos = 0;     // where the next member starts
    std::size_t count = 0;   // members in all
    std::size_t walked = 0;  // members read so far
  };
  // The cursor before an object's first member (a value encoding); an error when it is no object.
  static Result<BinaryObjectCursor> OpenBinaryObject(std::string_view value);
  // The next member, walked and checked (after the last one, also that nothing trails); an
  // error past the last member or on corrupt bytes.
  static Result<BinaryMember> NextBinaryMember(BinaryObjectCursor& cursor);
  static Result<Json> DecodeBinaryValue(std::string_view value);
  // The value encoding of element `index` of an encoded array (a value encoding), found by
  // walking the elements before it; an error when that is no array or is too short.
  static Result<std::string_view> BinaryArrayElement(std::string_view value, std::size_t index);
  // The number of elements of an encoded array (a value encoding), read from its header.
  static Result<std::size_t> BinaryArraySize(std::string_view value);
  // EncodeBinary's output for the value whose value encoding (EncodeValue output) is given.
  static void EncodeBinaryFromValue(std::string& out, std::string_view value);
  static void BeginBinaryObject(std::string& out, std::size_t members, bool versioned);
  // The bytes BeginBinaryObject writes, for sizing a buffer exactly.
  static std::size_t BinaryObjectHeaderSize(std::size_t members, bool versioned);
  static void AppendBinaryKey(std::string& out, std::string_view key);
  // Whether a key encoding (BinaryMember::key) stands for key, without decoding it. Compares
  // meaning, not bytes: one key may have more than one encoding (the dictionary grows).
  static bool BinaryKeyEquals(std::string_view key_encoding, std::string_view key);
  // The key a key encoding stands for; an error when the encoding is corrupt.
  static Result<std::string> DecodeBinaryKey(std::string_view key_encoding);
  void EncodeValue(std::string& out) const;

  friend bool operator==(const Json& a, const Json& b);

 private:

  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> v_;
};

// Appends s as a JSON string literal with quotes and escapes.
void AppendJsonString(std::string& out, std::string_view s);
// Appends a double the shortest way that reads back the same, as a double: an integral
// value gets ".0" (21.0, not 21). Non-finite becomes null.
void AppendJsonNumber(std::string& out, double d);
// The shortest text that reads back as d ("2000", "2.5"): for messages and query texts,
// where a JSON double's ".0" would be noise.
std::string ShortestNumberText(double d);

}  // namespace dothi
