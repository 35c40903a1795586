#include "api/open311/open311_api.h"

#include <string_view>

#include "api/common/markup.h"
#include "core/json.h"
#include "http/status_mapping.h"

namespace dothi::api::open311 {
namespace {

using domain::open311::ServiceDefinition;

enum class Format { kJson, kXml };

// <name>value</name>
void Element(std::string& out, std::string_view name, std::string_view value) {
  out += '<';
  out += name;
  out += '>';
  out += EscapeMarkup(value);
  out += "</";
  out += name;
  out += '>';
}

http::Response Body(Format f, std::string body, int status = 200) {
  http::Response r;
  r.status = status;
  r.SetHeader("Content-Type", f == Format::kJson ? "application/json; charset=utf-8" : "text/xml; charset=utf-8");
  r.body = std::move(body);
  return r;
}

http::Response Error(Format f, const Status& s) {
  const int status = http::HttpStatusFor(s.code());
  if (f == Format::kJson) {
    Json e = Json::MakeArray();
    e.Push(Json::MakeObject({{"code", status}, {"description", s.message()}}));
    return Body(f, e.Dump(), status);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error>";
  Element(out, "code", std::to_string(status));
  Element(out, "description", s.message());
  out += "</error></errors>";
  return Body(f, std::move(out), status);
}

// The format of a last path segment ("services.xml", "thoat-nuoc.json"); strips it.
Result<Format> SplitFormat(std::string& segment) {
  for (auto [suffix, f] : {std::pair{std::string_view(".json"), Format::kJson}, {".xml", Format::kXml}}) {
    if (segment.size() > suffix.size() && segment.compare(segment.size() - suffix.size(), suffix.size(), suffix) == 0) {
      segment.resize(segment.size() - suffix.size());
      return f;
    }
  }
  return Status::NotFound("the path ends in .json or .xml");
}

bool English(const http::Request& req) {
  if (const std::string* lang = req.Query("lang")) return lang->rfind("en", 0) == 0;
  const std::string* accept = req.Header("Accept-Language");
  return accept != nullptr && accept->rfind("en", 0) == 0;
}

std::string Keywords(const ServiceDefinition& s) {
  std::string out;
  for (const auto& k : s.keywords) out += (out.empty() ? "" : ",") + k;
  return out;
}

}  // namespace

Open311Api::Open311Api(service::Open311Catalogues& catalogues, Open311Options options)
    : catalogues_(catalogues), options_(std::move(options)) {}

void Open311Api::RegisterRoutes(http::Router& router) {
  using M = http::Method;
  auto bind = [this](http::Response (Open311Api::*fn)(const RequestContext&, http::Request&) const) {
    return [this, fn](const RequestContext& ctx, http::Request& req) { return (this->*fn)(ctx, req); };
  };
  router.Add(M::kGet, "/open311/v2/{services}", "open311.services", bind(&Open311Api::Services));
  router.Add(M::kGet, "/open311/v2/services/{service}", "open311.service", bind(&Open311Api::Definition));
  router.SetErrorRenderer("/open311", [](const RequestContext&, const http::Request& req, const Status& s) {
    return Error(req.path.size() >= 4 && req.path.compare(req.path.size() - 4, 4, ".xml") == 0 ? Format::kXml
                                                                                                : Format::kJson,
                 s);
  });
}

RequestContext Open311Api::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  const std::string* j = req.Query("jurisdiction_id");
  out.tenant = j != nullptr ? *j : options_.default_tenant;
  return out;
}

http::Response Open311Api::Services(const RequestContext& ctx, http::Request& req) const {
  std::string segment(req.PathParam("services"));
  Result<Format> f = SplitFormat(segment);
  if (!f.ok() || segment != "services") return Error(f.ok() ? *f : Format::kJson, Status::NotFound("no such resource", req.path));
  auto all = catalogues_.For(TenantContext(ctx, req));
  if (!all.ok()) return Error(*f, all.status());
  const bool en = English(req);
  if (*f == Format::kJson) {
    Json out = Json::MakeArray();
    for (const domain::open311::ServiceDefinition& s : **all) {
      out.Push(Json::MakeObject({{"service_code", s.code},
                                 {"service_name", en ? s.name_en : s.name_vi},
                                 {"description", en ? s.description_en : s.description_vi},
                                 {"metadata", s.metadata()},
                                 {"type", "realtime"},
                                 {"keywords", Keywords(s)},
                                 {"group", s.group}}));
    }
    return Body(*f, out.Dump());
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><services>";
  for (const domain::open311::ServiceDefinition& s : **all) {
    out += "<service>";
    Element(out, "service_code", s.code);
    Element(out, "service_name", en ? s.name_en : s.name_vi);
    Element(out, "description", en ? s.description_en : s.description_vi);
    Element(out, "metadata", s.metadata() ? "true" : "false");
    Element(out, "type", "realtime");
    Element(out, "keywords", Keywords(s));
    Element(out, "group", s.group);
    out += "</service>";
  }
  out += "</services>";
  return Body(*f, std::move(out));
}

http::Response Open311Api::Definition(const RequestContext& ctx, http::Request& req) const {
  std::string code(req.PathParam("service"));
  Result<Format> f = SplitFormat(code);
  if (!f.ok()) return Error(Format::kJson, f.status());
  Result<domain::open311::ServiceDefinition> s = catalogues_.Service(TenantContext(ctx, req), code);
  if (!s.ok()) return Error(*f, s.status());
  if (*f == Format::kJson) {
    Json attrs = Json::MakeArray();
    for (const auto& a : s->attributes) {
      Json values = Json::MakeArray();
      for (const auto& v : a.values) values.Push(Json::MakeObject({{"key", v.key}, {"name", v.name}}));
      attrs.Push(Json::MakeObject({{"variable", a.variable},
                                   {"code", a.code},
                                   {"datatype", std::string(domain::open311::DatatypeName(a.datatype))},
                                   {"required", a.required},
                                   {"datatype_description", a.datatype_description},
                                   {"order", a.order},
                                   {"description", a.description},
                                   {"values", std::move(values)}}));
    }
    return Body(*f, Json::MakeObject({{"service_code", s->code}, {"attributes", std::move(attrs)}}).Dump());
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition>";
  Element(out, "service_code", s->code);
  out += "<attributes>";
  for (const auto& a : s->attributes) {
    out += "<attribute>";
    Element(out, "variable", a.variable ? "true" : "false");
    Element(out, "code", a.code);
    Element(out, "datatype", domain::open311::DatatypeName(a.datatype));
    Element(out, "required", a.required ? "true" : "false");
    Element(out, "datatype_description", a.datatype_description);
    Element(out, "order", std::to_string(a.order));
    Element(out, "description", a.description);
    out += "<values>";
    for (const auto& v : a.values) {
      out += "<value>";
      Element(out, "key", v.key);
      Element(out, "name", v.name);
      out += "</value>";
    }
    out += "</values></attribute>";
  }
  out += "</attributes></service_definition>";
  return Body(*f, std::move(out));
}

}  // namespace dothi::api::open311
