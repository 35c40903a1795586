#pragma once

#include <string>
#include <vector>

// What an API sharing the /ogc mount with OGC API - Features (OGC API - Tiles) adds to the
// resources Features serves: conformance classes, and links on the landing page and on each
// collection. The composition root hands one API's extension to the other, so neither
// includes its sibling. Plain values.
namespace dothi::api {

struct OgcLink {
  std::string rel;
  std::string type;  // media type of the target
  std::string title;
  std::string path;  // after the /ogc base (landing page) or the collection's URL
};

struct OgcExtension {
  std::vector<std::string> conformance;  // conformance class URIs
  std::vector<OgcLink> landing_links;
  std::vector<OgcLink> collection_links;  // on every collection
};

}  // namespace dothi::api
