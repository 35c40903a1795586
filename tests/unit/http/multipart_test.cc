#include "http/multipart.h"

#include <gtest/gtest.h>

namespace dothi::http {
namespace {

TEST(MultipartTest, BoundaryComesFromTheContentType) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;charset=utf-8; boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(MultipartBoundary("application/json").status().code(), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(MultipartBoundary("multipart/form-data").status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=\"open").status().code(), ErrorCode::kInvalidRequest);
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(MultipartTest, PartsAreSplitWithNamesFilesAndTypes) {
  const std::string body =
      "preamble\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"service_code\"\r\n\r\n"
      "den-duong\r\n--XyZ\r\n"
      "content-disposition: form-data; name=\"description\"\r\n\r\n"
      "d\xC3\xB2ng 1\r\nd\xC3\xB2ng 2\r\n--XyZ  \r\n"
      "Content-Disposition: form-data; name=\"media\"; filename=\"\xE1\xBA\xA3nh \\\"1\\\".jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n"
      "\xFF\xD8--XyZ inside\r\n\xFF\xD9\r\n--XyZ--\r\nepilogue";
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "service_code");
  EXPECT_EQ((*parts)[0].data, "den-duong");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[1].data, "d\xC3\xB2ng 1\r\nd\xC3\xB2ng 2");
  EXPECT_EQ((*parts)[2].name, "media");
  EXPECT_EQ((*parts)[2].filename, "\xE1\xBA\xA3nh \"1\".jpg");
  EXPECT_EQ((*parts)[2].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[2].data, "\xFF\xD8--XyZ inside\r\n\xFF\xD9");
}

TEST(MultipartTest, MalformedBodiesAreInvalidRequests) {
  const char* bodies[] = {
      "",
      "no delimiter at all",
      "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
      "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
      "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
      "--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--b--",
      "--b\r\nno colon\r\n\r\nx\r\n--b--",
      "--b\r\n\r\nx\r\n--b--",
      "--bX\r\n",
      "--b",
  };
  for (const char* body : bodies) {
    auto parts = ParseMultipart(body, "b");
    EXPECT_EQ(parts.status().code(), ErrorCode::kInvalidRequest) << body;
  }
  std::string many;
  for (int i = 0; i < 5; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
  many += "--b--";
  EXPECT_TRUE(ParseMultipart(many, "b", 5).ok());
  EXPECT_FALSE(ParseMultipart(many, "b", 4).ok());
  const std::string long_header = "--b\r\nX: " + std::string(9000, 'h') + "\r\n\r\nx\r\n--b--";
  EXPECT_FALSE(ParseMultipart(long_header, "b").ok());
}

}  // namespace
}  // namespace dothi::http
