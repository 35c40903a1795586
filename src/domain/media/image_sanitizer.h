#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

// SanitizeImage checks that bytes are a JPEG, PNG or WebP image by their content (not by a
// file name or a declared type) and returns a copy without the metadata that can locate or
// identify a person: JPEG APP1 (Exif with GPS, camera serials, XMP), APP13 (IPTC) and COM
// segments and anything after the image's end; PNG eXIf, tEXt, zTXt, iTXt and tIME chunks
// and anything after IEND; WebP EXIF and XMP chunks (and their VP8X flags). A JPEG's Exif
// orientation is kept, as a minimal Exif holding that tag only, so photos still display
// upright. The pixels are not decoded or changed.
// Bytes of another kind are UnsupportedMediaType; a malformed image of one of the three
// kinds is BadRequestData. Untrusted input: never a crash (fuzz target
// tests/fuzz/image_fuzz.cc). Pure function; safe from any thread.
namespace dothi::domain::media {

enum class ImageType { kJpeg, kPng, kWebp };
std::string_view ImageExtension(ImageType t);  // "jpg", "png", "webp"
std::string_view ImageMime(ImageType t);       // "image/jpeg", ...

struct CleanImage {
  ImageType type = ImageType::kJpeg;
  std::string bytes;
  int width = 0, height = 0;
};

Result<CleanImage> SanitizeImage(std::string_view bytes);

}  // namespace dothi::domain::media
