#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

// A fast 64-bit hash of bytes, 8 at a time, finished by splitmix64's finaliser so every
// input bit reaches every output bit. Not cryptographic: for hash tables and ETags (equal
// bytes, equal hash; a changed byte changes it but for a 2^-64 chance).
namespace dothi {

inline std::uint64_t HashBytes(std::string_view s) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = 0xcbf29ce484222325ull ^ (s.size() * kMul);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001B3ull;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

}  // namespace dothi
