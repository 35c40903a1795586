#include "domain/media/image_sanitizer.h"

#include <cstdint>
#include <cstring>

namespace dothi::domain::media {
namespace {

Status Bad(std::string_view what) { return Status::BadRequestData("not a valid image", what); }

std::uint32_t Be16(std::string_view s, std::size_t i) {
  return (std::uint32_t(std::uint8_t(s[i])) << 8) | std::uint8_t(s[i + 1]);
}
std::uint32_t Be32(std::string_view s, std::size_t i) { return (Be16(s, i) << 16) | Be16(s, i + 2); }
std::uint32_t Le16(std::string_view s, std::size_t i) {
  return std::uint8_t(s[i]) | (std::uint32_t(std::uint8_t(s[i + 1])) << 8);
}
std::uint32_t Le24(std::string_view s, std::size_t i) { return Le16(s, i) | (std::uint32_t(std::uint8_t(s[i + 2])) << 16); }
std::uint32_t Le32(std::string_view s, std::size_t i) { return Le16(s, i) | (Le16(s, i + 2) << 16); }
void PutLe32(std::string& s, std::size_t i, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) s[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
}

// The orientation (1-8) in an Exif APP1 payload ("Exif\0\0" + TIFF), or 0.
int ExifOrientation(std::string_view app1) {
  if (app1.size() < 14 || app1.substr(0, 6) != std::string_view("Exif\0\0", 6)) return 0;
  const std::string_view tiff = app1.substr(6);
  const bool le = tiff.substr(0, 4) == std::string_view("II*\0", 4);
  if (!le && tiff.substr(0, 4) != std::string_view("MM\0*", 4)) return 0;
  auto u16 = [&](std::size_t i) { return le ? Le16(tiff, i) : Be16(tiff, i); };
  auto u32 = [&](std::size_t i) { return le ? Le32(tiff, i) : Be32(tiff, i); };
  const std::uint32_t ifd = u32(4);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 0;
  const std::uint32_t n = u16(ifd);
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::size_t e = ifd + 2 + std::size_t{12} * k;
    if (e + 12 > tiff.size()) return 0;
    if (u16(e) == 0x0112 && u16(e + 2) == 3) {
      const std::uint32_t v = u16(e + 8);
      return v >= 1 && v <= 8 ? static_cast<int>(v) : 0;
    }
  }
  return 0;
}

// An APP1 segment with an Exif holding the orientation only.
std::string OrientationSegment(int orientation) {
  static constexpr unsigned char kSeg[] = {
      0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // TIFF header
      0x00, 0x01,                                                                                 // one entry
      0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,                     // Orientation
      0x00, 0x00, 0x00, 0x00};                                                                    // no next IFD
  std::string s(reinterpret_cast<const char*>(kSeg), sizeof kSeg);
  s[29] = static_cast<char>(orientation);
  return s;
}

Result<CleanImage> Jpeg(std::string_view in) {
  CleanImage out;
  out.type = ImageType::kJpeg;
  out.bytes.reserve(in.size());
  out.bytes.append("\xFF\xD8", 2);
  std::size_t i = 2;
  bool frame = false, scan = false;
  for (;;) {
    if (i >= in.size()) return Bad("JPEG without its end marker");
    if (scan) {
      // Entropy-coded data: FF 00 (stuffing) and FF D0-D7 (restarts) belong to it.
      const std::size_t ff = in.find('\xFF', i);
      if (ff == std::string_view::npos || ff + 1 >= in.size()) return Bad("JPEG without its end marker");
      const auto m = static_cast<std::uint8_t>(in[ff + 1]);
      if (m == 0x00 || (m >= 0xD0 && m <= 0xD7)) {
        out.bytes.append(in.substr(i, ff + 2 - i));
        i = ff + 2;
        continue;
      }
      if (m == 0xFF) {  // a fill byte before a marker: dropped
        out.bytes.append(in.substr(i, ff - i));
        i = ff + 1;
        continue;
      }
      out.bytes.append(in.substr(i, ff - i));
      i = ff;
      scan = false;
    }
    if (static_cast<std::uint8_t>(in[i]) != 0xFF) return Bad("JPEG segment without its marker");
    while (i < in.size() && static_cast<std::uint8_t>(in[i]) == 0xFF) ++i;  // fill bytes
    if (i >= in.size()) return Bad("JPEG without its end marker");
    const auto marker = static_cast<std::uint8_t>(in[i++]);
    if (marker == 0xD9) {  // EOI: anything after it is dropped
      if (!frame) return Bad("JPEG without a frame");
      out.bytes.append("\xFF\xD9", 2);
      return out;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      out.bytes += '\xFF';
      out.bytes += static_cast<char>(marker);
      continue;
    }
    if (marker == 0xD8 || marker == 0x00) return Bad("JPEG marker out of place");
    if (i + 2 > in.size()) return Bad("truncated JPEG segment");
    const std::uint32_t len = Be16(in, i);
    if (len < 2 || i + len > in.size()) return Bad("truncated JPEG segment");
    const std::string_view payload = in.substr(i + 2, len - 2);
    const std::string_view segment = in.substr(i - 2, len + 2);  // with FF and the marker
    i += len;
    if (marker == 0xE1) {  // Exif or XMP: dropped, the orientation kept
      const int orientation = ExifOrientation(payload);
      if (orientation > 1) out.bytes += OrientationSegment(orientation);
      continue;
    }
    if (marker == 0xED || marker == 0xFE) continue;  // IPTC / Photoshop, comments
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (payload.size() < 6) return Bad("truncated JPEG frame header");
      out.height = static_cast<int>(Be16(payload, 1));
      out.width = static_cast<int>(Be16(payload, 3));
      if (out.width == 0) return Bad("JPEG with zero width");
      frame = true;
    }
    out.bytes.push_back('\xFF');
    out.bytes.push_back(static_cast<char>(marker));
    out.bytes.append(segment.substr(2));
    if (marker == 0xDA) {
      if (!frame) return Bad("JPEG scan before its frame");
      scan = true;
    }
  }
}

Result<CleanImage> Png(std::string_view in) {
  CleanImage out;
  out.type = ImageType::kPng;
  out.bytes.append(in.substr(0, 8));
  std::size_t i = 8;
  bool first = true;
  for (;;) {
    if (in.size() - i < 12) return Bad("PNG without IEND");
    const std::uint32_t len = Be32(in, i);
    if (len > in.size() - i - 12) return Bad("truncated PNG chunk");
    const std::string_view type = in.substr(i + 4, 4);
    for (char c : type) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return Bad("PNG chunk type is not letters");
    }
    const std::string_view chunk = in.substr(i, std::size_t{len} + 12);
    i += std::size_t{len} + 12;
    if (first) {
      if (type != "IHDR" || len != 13) return Bad("PNG does not start with IHDR");
      out.width = static_cast<int>(Be32(chunk, 8));
      out.height = static_cast<int>(Be32(chunk, 12));
      if (out.width <= 0 || out.height <= 0) return Bad("PNG with zero or huge dimensions");
      first = false;
    }
    if (type == "eXIf" || type == "tEXt" || type == "zTXt" || type == "iTXt" || type == "tIME") continue;
    out.bytes.append(chunk);
    if (type == "IEND") return out;
  }
}

Result<CleanImage> Webp(std::string_view in) {
  CleanImage out;
  out.type = ImageType::kWebp;
  const std::uint32_t riff = Le32(in, 4);
  if (riff < 4 || riff > in.size() - 8) return Bad("truncated WebP");
  const std::string_view body = in.substr(12, riff - 4);
  out.bytes.append(in.substr(0, 12));
  std::size_t i = 0;
  std::size_t vp8x_at = std::string::npos;
  bool image = false;
  while (i < body.size()) {
    if (body.size() - i < 8) return Bad("truncated WebP chunk");
    const std::string_view fourcc = body.substr(i, 4);
    const std::uint32_t size = Le32(body, i + 4);
    if (size > body.size() - i - 8) return Bad("truncated WebP chunk");
    const std::size_t padded = std::size_t{size} + (size & 1);
    const std::string_view data = body.substr(i + 8, size);
    const std::string_view chunk = body.substr(i, std::min(body.size() - i, 8 + padded));
    if (i == 0) {
      if (fourcc == "VP8X") {
        if (size < 10) return Bad("truncated WebP VP8X");
        out.width = static_cast<int>(Le24(data, 4)) + 1;
        out.height = static_cast<int>(Le24(data, 7)) + 1;
        vp8x_at = out.bytes.size();
      } else if (fourcc == "VP8 ") {
        if (size < 10 || data.substr(3, 3) != "\x9D\x01\x2A") return Bad("WebP VP8 without its start code");
        out.width = static_cast<int>(Le16(data, 6) & 0x3FFF);
        out.height = static_cast<int>(Le16(data, 8) & 0x3FFF);
        image = true;
      } else if (fourcc == "VP8L") {
        if (size < 5 || data[0] != '\x2F') return Bad("WebP VP8L without its signature");
        const std::uint32_t bits = Le32(data, 1);
        out.width = static_cast<int>(bits & 0x3FFF) + 1;
        out.height = static_cast<int>((bits >> 14) & 0x3FFF) + 1;
        image = true;
      } else {
        return Bad("WebP does not start with VP8, VP8L or VP8X");
      }
    } else if (fourcc == "VP8 " || fourcc == "VP8L" || fourcc == "ANMF") {
      image = true;
    }
    i += 8 + padded;
    if (fourcc == "EXIF" || fourcc == "XMP ") continue;
    out.bytes.append(chunk);
  }
  if (!image || out.width <= 0 || out.height <= 0) return Bad("WebP without an image");
  if (vp8x_at != std::string::npos) out.bytes[vp8x_at + 8] = static_cast<char>(out.bytes[vp8x_at + 8] & ~0x0C);
  if (out.bytes.size() % 2 == 1) out.bytes.push_back('\0');
  PutLe32(out.bytes, 4, static_cast<std::uint32_t>(out.bytes.size() - 8));
  return out;
}

}  // namespace

std::string_view ImageExtension(ImageType t) {
  switch (t) {
    case ImageType::kJpeg: return "jpg";
    case ImageType::kPng: return "png";
    case ImageType::kWebp: return "webp";
  }
  return "bin";
}

std::string_view ImageMime(ImageType t) {
  switch (t) {
    case ImageType::kJpeg: return "image/jpeg";
    case ImageType::kPng: return "image/png";
    case ImageType::kWebp: return "image/webp";
  }
  return "application/octet-stream";
}

Result<CleanImage> SanitizeImage(std::string_view bytes) {
  if (bytes.size() >= 4 && bytes.substr(0, 3) == "\xFF\xD8\xFF") return Jpeg(bytes);
  if (bytes.size() >= 8 && bytes.substr(0, 8) == "\x89PNG\r\n\x1A\n") return Png(bytes);
  if (bytes.size() >= 20 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") return Webp(bytes);
  return Status::UnsupportedMediaType("not a JPEG, PNG or WebP image");
}

}  // namespace dothi::domain::media
