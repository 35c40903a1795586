#pragma once

#include <string>
#include <vector>

#include "api/common/ogc_extension.h"
#include "core/json.h"
#include "core/status.h"
#include "domain/entity.h"
#include "geo/crs.h"
#include "service/feature_service.h"

// Renderings of OGC API - Features resources: JSON (GeoJSON for features) and HTML pages
// with labels in Vietnamese and English. `base` is the absolute URL of the /ogc mount.
// Pure functions; safe from any thread.
namespace dothi::api::ogc {

inline constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

// extension: what other APIs under /ogc add (links, conformance classes).
Json LandingJson(const std::string& base, const OgcExtension& extension = {});
std::string LandingHtml(const std::string& base, const OgcExtension& extension = {});

Json ConformanceJson(const OgcExtension& extension = {});
std::string ConformanceHtml(const std::string& base, const OgcExtension& extension = {});

// The OpenAPI 3.0 definition: the generic paths and one items path per collection with
// its property filters.
Json OpenApiJson(const std::string& base,
                 const std::vector<service::FeatureCollectionInfo>& collections,
                 std::size_t max_limit);
std::string OpenApiHtml(const std::string& base, const Json& api);

Json CollectionJson(const std::string& base, const service::FeatureCollectionInfo& c,
                    const OgcExtension& extension = {});
Json CollectionsJson(const std::string& base,
                     const std::vector<service::FeatureCollectionInfo>& collections,
                     const OgcExtension& extension = {});
std::string CollectionHtml(const std::string& base, const service::FeatureCollectionInfo& c);
std::string CollectionsHtml(const std::string& base,
                            const std::vector<service::FeatureCollectionInfo>& collections);

// The queryables of a collection (OGC API Features Part 3): a JSON Schema
// (application/schema+json) with the geometry ("format": "geometry-any") and each property,
// typed where the type is known; "additionalProperties": false.
Json QueryablesJson(const std::string& base, const service::FeatureCollectionInfo& c);
std::string QueryablesHtml(const std::string& base, const service::FeatureCollectionInfo& c);

// A GeoJSON Feature: id, geometry, properties, without links.
Json FeatureJson(const service::Feature& f);

// The absolute links of one page of items (empty when absent).
struct ItemsLinks {
  std::string self, alternate_json, alternate_html, next, prev, collection;
  std::string next_html, prev_html;  // next and prev as HTML pages
  std::string filter;  // the filter parameter as given, shown in the HTML page's form
};
// With crs, every geometry in crs (Errors: BadRequestData when one cannot be converted).
Result<Json> ItemsJson(const std::string& base, const service::FeatureCollectionInfo& c,
                       const service::FeaturePage& page, const ItemsLinks& links,
                       const geo::CrsTransform* crs = nullptr);
std::string ItemsHtml(const std::string& base, const service::FeatureCollectionInfo& c,
                      const service::FeaturePage& page, const ItemsLinks& links);
Result<Json> ItemJson(const std::string& base, const service::FeatureCollectionInfo& c,
                      const service::Feature& e, const geo::CrsTransform* crs = nullptr);
std::string ItemHtml(const std::string& base, const service::FeatureCollectionInfo& c,
                     const service::Feature& e);

}  // namespace dothi::api::ogc
