#pragma once

#include <string>

#include "http/request.h"

namespace dothi::api {

// The server's absolute URL for links: base_url (scheme://host[:port], no trailing slash)
// when configured, else from the request's Host header. A Host is one authority: one with
// characters that would break a URL becomes "localhost".
inline std::string BaseUrl(const std::string& base_url, const http::Request& req) {
  if (!base_url.empty()) return base_url;
  const std::string* host = req.Header("Host");
  std::string h = host != nullptr && !host->empty() ? *host : "localhost";
  if (h.find_first_of("/\\ \"<>?#@") != std::string::npos) h = "localhost";
  return "http://" + h;
}

// The absolute URL of the /ogc mount.
inline std::string OgcBaseUrl(const std::string& base_url, const http::Request& req) {
  return BaseUrl(base_url, req) + "/ogc";
}

}  // namespace dothi::api
