#include "domain/media/image_sanitizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dothi::domain::media {
namespace {

std::string Seg(unsigned char marker, const std::string& payload) {
  std::string s = {'\xFF', static_cast<char>(marker)};
  const std::size_t len = payload.size() + 2;
  s += static_cast<char>(len >> 8);
  s += static_cast<char>(len & 0xff);
  return s + payload;
}
std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}
// Exif (big-endian TIFF) with Orientation and a GPS IFD pointer, plus a camera serial text.
std::string Exif(int orientation) {
  return std::string("Exif\0\0", 6) + B({'M', 'M', 0, 0x2A, 0, 0, 0, 8, 0, 2,                 //
                                         0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0,  // Orientation
                                         0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0x26,        // GPS IFD
                                         0, 0, 0, 0}) +
         "SERIAL-12345";
}
// The markers of a JPEG's segments, in order (the scan's data skipped).
std::vector<int> Markers(const std::string& j) {
  std::vector<int> out;
  std::size_t i = 2;
  while (i + 1 < j.size()) {
    const int m = static_cast<unsigned char>(j[i + 1]);
    out.push_back(m);
    if (m == 0xD9) break;
    const std::size_t len = (static_cast<unsigned char>(j[i + 2]) << 8) | static_cast<unsigned char>(j[i + 3]);
    i += 2 + len;
    if (m == 0xDA) {  // skip entropy-coded data
      while (i + 1 < j.size() && !(j[i] == '\xFF' && j[i + 1] != '\0' && (static_cast<unsigned char>(j[i + 1]) < 0xD0 ||
                                                                          static_cast<unsigned char>(j[i + 1]) > 0xD7))) {
        ++i;
      }
    }
  }
  return out;
}

std::string Jpeg(const std::string& app1, const std::string& trailer = "") {
  return B({0xFF, 0xD8}) + Seg(0xE0, std::string("JFIF\0\1\1\0\0\1\0\1\0\0", 14)) + Seg(0xE1, app1) +
         Seg(0xFE, "Nguyễn Văn A") + Seg(0xDB, std::string(65, '\1')) +
         Seg(0xC0, B({8, 0, 24, 0, 32, 1, 1, 0x11, 0})) + Seg(0xED, "Photoshop 3.0 IPTC") +
         Seg(0xDA, B({1, 1, 0, 0, 63, 0})) + B({0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD9}) + trailer;
}

TEST(ImageSanitizerTest, JpegKeepsImageSegmentsAndOnlyTheOrientationOfItsExif) {
  const std::string in = Jpeg(Exif(6), "TRAILER");
  Result<CleanImage> out = SanitizeImage(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->type, ImageType::kJpeg);
  EXPECT_EQ(out->width, 32);
  EXPECT_EQ(out->height, 24);
  EXPECT_EQ(Markers(out->bytes), (std::vector<int>{0xE0, 0xE1, 0xDB, 0xC0, 0xDA, 0xD9}));
  for (const char* gone : {"SERIAL", "Nguy", "Photoshop", "TRAILER"}) {
    EXPECT_EQ(out->bytes.find(gone), std::string::npos) << gone;
  }
  EXPECT_EQ(out->bytes.find(B({0x88, 0x25})), std::string::npos) << "no GPS pointer";
  // The orientation survives; the entropy-coded data (with its stuffing and restart) too.
  const std::size_t exif = out->bytes.find(std::string("Exif\0\0MM", 8));
  ASSERT_NE(exif, std::string::npos);
  EXPECT_EQ(out->bytes.substr(exif + 6 + 10, 2), B({0x01, 0x12}));
  EXPECT_EQ(out->bytes[exif + 6 + 19], 6);
  EXPECT_NE(out->bytes.find(B({0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56})), std::string::npos);

  Result<CleanImage> upright = SanitizeImage(Jpeg(Exif(1)));
  ASSERT_TRUE(upright.ok());
  EXPECT_EQ(Markers(upright->bytes), (std::vector<int>{0xE0, 0xDB, 0xC0, 0xDA, 0xD9})) << "orientation 1: no Exif";
}

TEST(ImageSanitizerTest, BrokenJpegsAreRefused) {
  const std::string good = Jpeg(Exif(6));
  EXPECT_EQ(SanitizeImage(good.substr(0, good.size() - 2)).status().code(), ErrorCode::kBadRequestData);
  EXPECT_FALSE(SanitizeImage(good.substr(0, 30)).ok());
  std::string no_frame = B({0xFF, 0xD8}) + Seg(0xDA, B({1, 1, 0, 0, 63, 0})) + B({0xFF, 0xD9});
  EXPECT_FALSE(SanitizeImage(no_frame).ok());
  std::string bad_len = B({0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0, 0});
  EXPECT_FALSE(SanitizeImage(bad_len).ok());
}

std::string Chunk(const std::string& type, const std::string& data) {
  const std::size_t n = data.size();
  return B({static_cast<int>(n >> 24), static_cast<int>((n >> 16) & 255), static_cast<int>((n >> 8) & 255),
            static_cast<int>(n & 255)}) +
         type + data + "CRC!";
}

TEST(ImageSanitizerTest, PngLosesTextTimeAndExifChunks) {
  const std::string sig = "\x89PNG\r\n\x1A\n";
  const std::string ihdr = Chunk("IHDR", B({0, 0, 0, 32, 0, 0, 0, 24, 8, 2, 0, 0, 0}));
  const std::string in = sig + ihdr + Chunk("tEXt", std::string("Author\0Tran Thi B", 17)) +
                         Chunk("eXIf", Exif(6)) + Chunk("pHYs", std::string(9, '\1')) + Chunk("tIME", std::string(7, '\2')) +
                         Chunk("IDAT", "pixels") + Chunk("iTXt", "x") + Chunk("IEND", "") + "after";
  Result<CleanImage> out = SanitizeImage(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->type, ImageType::kPng);
  EXPECT_EQ(out->bytes, sig + ihdr + Chunk("pHYs", std::string(9, '\1')) + Chunk("IDAT", "pixels") + Chunk("IEND", ""));
  EXPECT_EQ(out->width, 32);
  EXPECT_FALSE(SanitizeImage(sig + Chunk("IDAT", "x") + Chunk("IEND", "")).ok()) << "IHDR first";
  EXPECT_FALSE(SanitizeImage(sig + ihdr + Chunk("IDAT", "x")).ok()) << "IEND missing";
}

std::string Riff(const std::string& chunks) {
  const std::size_t n = chunks.size() + 4;
  return "RIFF" + B({static_cast<int>(n & 255), static_cast<int>((n >> 8) & 255), static_cast<int>((n >> 16) & 255), 0}) +
         "WEBP" + chunks;
}
std::string RiffChunk(const std::string& fourcc, const std::string& data) {
  const std::size_t n = data.size();
  return fourcc + B({static_cast<int>(n & 255), static_cast<int>((n >> 8) & 255), 0, 0}) + data +
         (n % 2 ? std::string(1, '\0') : "");
}

TEST(ImageSanitizerTest, WebpLosesExifAndXmpAndTheirFlags) {
  const std::string vp8x = B({0x0C | 0x10, 0, 0, 0, 31, 0, 0, 23, 0, 0});
  const std::string vp8l = RiffChunk("VP8L", B({0x2F, 31, 0xC0, 0x05, 0}));
  const std::string in = Riff(RiffChunk("VP8X", vp8x) + RiffChunk("ALPH", "a") + vp8l + RiffChunk("EXIF", Exif(6)) +
                              RiffChunk("XMP ", "<x>Le Van C</x>"));
  Result<CleanImage> out = SanitizeImage(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->type, ImageType::kWebp);
  EXPECT_EQ(out->width, 32);
  EXPECT_EQ(out->height, 24);
  const std::string clean_vp8x = B({0x10, 0, 0, 0, 31, 0, 0, 23, 0, 0});
  EXPECT_EQ(out->bytes, Riff(RiffChunk("VP8X", clean_vp8x) + RiffChunk("ALPH", "a") + vp8l));
  EXPECT_FALSE(SanitizeImage(Riff(RiffChunk("EXIF", Exif(6)))).ok()) << "no image";
  EXPECT_FALSE(SanitizeImage(in.substr(0, in.size() - 10)).ok()) << "truncated";
}

TEST(ImageSanitizerTest, OtherBytesAreNotImages) {
  EXPECT_EQ(SanitizeImage("đây là văn bản").status().code(), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(SanitizeImage("GIF89a.........").status().code(), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(SanitizeImage("").status().code(), ErrorCode::kUnsupportedMediaType);
}

}  // namespace
}  // namespace dothi::domain::media
