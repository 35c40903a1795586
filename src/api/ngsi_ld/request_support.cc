#include "api/ngsi_ld/request_support.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "api/common/json_parse.h"
#include "domain/entity.h"

namespace dothi::api::ngsi_ld {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type or Accept element without parameters, lower case.
std::string BareType(std::string_view s) {
  const auto semi = s.find(';');
  return Lower(Trim(s.substr(0, semi)));
}

}  // namespace

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = Trim(s.substr(start, end - start));
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

bool HasOption(const http::Request& req, std::string_view word) {
  for (const auto& [k, v] : req.query) {
    if (k != "options" && k != "format") continue;
    for (const auto& o : SplitList(v)) {
      if (o == word) return true;
    }
  }
  return false;
}

Result<MediaType> NegotiateAccept(const http::Request& req, bool allow_geojson) {
  const std::string* accept = req.Header("Accept");
  if (accept == nullptr || Trim(*accept).empty()) return MediaType::kJson;
  // Highest q wins; ties keep the listed order.
  double best_q = -1;
  std::optional<MediaType> best;
  for (const auto& item : SplitList(*accept)) {
    const std::string type = BareType(item);
    double q = 1.0;
    if (auto pos = item.find("q="); pos != std::string::npos) {
      q = std::atof(item.c_str() + pos + 2);
    }
    std::optional<MediaType> m;
    if (type == "application/json" || type == "application/*" || type == "*/*") {
      m = MediaType::kJson;
    } else if (type == "application/ld+json") {
      m = MediaType::kLdJson;
    } else if (type == "application/geo+json" && allow_geojson) {
      m = MediaType::kGeoJson;
    }
    if (m && q > 0 && q > best_q) {
      best_q = q;
      best = m;
    }
  }
  if (!best) {
    return Status::NotAcceptable("no acceptable representation; offered application/json, "
                                 "application/ld+json" +
                                 std::string(allow_geojson ? ", application/geo+json" : ""),
                                 *accept);
  }
  return *best;
}

Result<std::optional<std::string>> LinkContextUrl(const http::Request& req) {
  const std::string* link = req.Header("Link");
  if (link == nullptr) return std::optional<std::string>();
  // Link: <url>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"
  std::string_view rest = *link;
  while (!rest.empty()) {
    rest = Trim(rest);
    if (rest.empty() || rest.front() != '<') {
      return Status::BadRequestData("malformed Link header", *link);
    }
    const auto close = rest.find('>');
    if (close == std::string_view::npos) return Status::BadRequestData("malformed Link header", *link);
    std::string url(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    // Parameters up to the next link (a comma outside quotes).
    std::size_t end = 0;
    bool quoted = false;
    for (; end < rest.size(); ++end) {
      if (rest[end] == '"') quoted = !quoted;
      if (rest[end] == ',' && !quoted) break;
    }
    std::string_view params = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (params.find(kJsonLdContextRel) != std::string_view::npos) {
      if (url.empty()) return Status::BadRequestData("empty @context URL in Link header");
      return std::optional<std::string>(std::move(url));
    }
  }
  return std::optional<std::string>();
}

Result<std::shared_ptr<const LdContext>> ContextFromLink(ContextRegistry& registry,
                                                        const http::Request& req) {
  Result<std::optional<std::string>> url = LinkContextUrl(req);
  if (!url.ok()) return url.status();
  if (!url->has_value()) return LdContext::Core();
  return registry.Resolve(Json(**url));
}

namespace {

struct TypedBody {
  Json body;
  bool ld = false;  // application/ld+json
};

// The checks every body goes through: Content-Type (415), a non-empty body (400
// InvalidRequest) of JSON, and, with application/ld+json, no @context in a Link header
// (clause 6.3.5: it is in the body).
Result<TypedBody> ReadTypedBody(const http::Request& req, bool allow_merge_patch) {
  const std::string* ct = req.Header("Content-Type");
  const std::string type = ct ? BareType(*ct) : std::string();
  TypedBody out;
  out.ld = type == "application/ld+json";
  const bool json = type == "application/json" ||
                    (allow_merge_patch && type == "application/merge-patch+json");
  if (!out.ld && !json) {
    return Status::UnsupportedMediaType(
        "Content-Type must be application/json or application/ld+json",
        type.empty() ? "none" : type);
  }
  if (req.body.empty()) return Status::InvalidRequest("empty request body");
  Result<Json> body = ParseJson(req.body);
  if (!body.ok()) return body.status();
  if (out.ld) {
    Result<std::optional<std::string>> link = LinkContextUrl(req);
    if (!link.ok()) return link.status();
    if (link->has_value()) {
      return Status::BadRequestData("JSON-LD Link header together with application/ld+json",
                                    **link);
    }
  }
  out.body = std::move(*body);
  return out;
}

Status ContextInPlainJson() {
  return Status::BadRequestData(
      "@context in an application/json body; send it in a Link header or use "
      "application/ld+json");
}

}  // namespace

Result<JsonLdBody> ReadBody(ContextRegistry& registry, const http::Request& req,
                            bool allow_merge_patch) {
  Result<TypedBody> typed = ReadTypedBody(req, allow_merge_patch);
  if (!typed.ok()) return typed.status();
  Json* body = &typed->body;
  JsonLdBody out;
  const auto find_context = [](const Json& j) -> const Json* {
    return j.is_object() ? j.Find("@context") : nullptr;
  };
  const Json* inline_ctx = find_context(*body);
  if (typed->ld) {
    if (inline_ctx == nullptr && body->is_array()) {
      // An array of entities read as one body: the first entity's @context serves all
      // (batch operations use ReadBatchBody, which resolves each entity's own).
      for (const auto& e : body->AsArray()) {
        if (const Json* c = find_context(e)) {
          inline_ctx = c;
          break;
        }
      }
    }
    // A body with no JSON-LD object in it (batch delete's array of ids) needs no @context.
    bool has_object = body->is_object();
    if (body->is_array()) {
      for (const auto& e : body->AsArray()) has_object = has_object || e.is_object();
    }
    if (inline_ctx == nullptr && has_object) {
      return Status::BadRequestData("application/ld+json body without @context");
    }
    Result<std::shared_ptr<const LdContext>> c =
        inline_ctx != nullptr ? registry.Resolve(*inline_ctx) : registry.Resolve(Json());
    if (!c.ok()) return c.status();
    out.context = std::move(*c);
  } else {
    if (inline_ctx != nullptr) return ContextInPlainJson();
    Result<std::shared_ptr<const LdContext>> c = ContextFromLink(registry, req);
    if (!c.ok()) return c.status();
    out.context = std::move(*c);
  }
  out.body = std::move(*body);
  return out;
}

Status CheckQueryParams(const http::Request& req) {
  static constexpr std::string_view kKnown[] = {
      // entities, queries and representations
      "id", "type", "idPattern", "attrs", "pick", "omit", "q", "georel", "geometry",
      "coordinates", "geoproperty", "geometryProperty", "csf", "limit", "offset", "count",
      "options", "format", "lang", "scopeQ", "local", "join", "joinLevel", "containedBy",
      "datasetId", "entityMap", "orderBy", "collect", "expandValues", "jsonKeys", "via",
      // attributes, batches and @context management
      "deleteAll", "details", "kind", "reload",
      // temporal (clause 6.18-6.19)
      "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "aggrMethods",
      "aggrPeriodDuration"};
  for (const auto& [name, value] : req.query) {
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return Status::InvalidRequest("unknown query parameter", name);
    }
  }
  return Status::OK();
}

Result<std::string> EntityIdParam(const http::Request& req) {
  std::string id(req.PathParam("entityId"));
  if (!domain::IsValidUri(id)) return Status::BadRequestData("entity id is not a URI", id);
  return id;
}

Result<AttrDeletion> AttrDeletionFromQuery(const http::Request& req) {
  AttrDeletion d;
  if (const std::string* ds = req.Query("datasetId")) {
    if (!domain::IsValidUri(*ds)) return Status::BadRequestData("datasetId must be a URI", *ds);
    d.dataset_id = *ds;
  }
  if (const std::string* all = req.Query("deleteAll")) {
    if (*all != "true" && *all != "false") {
      return Status::BadRequestData("deleteAll must be true or false", *all);
    }
    d.delete_all = *all == "true";
  }
  return d;
}

Result<BatchBody> ReadBatchBody(ContextRegistry& registry, const http::Request& req) {
  Result<TypedBody> typed = ReadTypedBody(req, false);
  if (!typed.ok()) return typed.status();
  const bool ld = typed->ld;
  Json* body = &typed->body;
  if (!body->is_array()) return Status::BadRequestData("batch body must be a JSON array");
  BatchBody out;
  std::shared_ptr<const LdContext> link_context;
  if (!ld) {
    Result<std::shared_ptr<const LdContext>> c = ContextFromLink(registry, req);
    if (!c.ok()) return c.status();
    link_context = std::move(*c);
  }
  // Entities of one batch usually share one @context: resolve each distinct one once.
  std::vector<std::pair<std::string, Result<std::shared_ptr<const LdContext>>>> resolved;
  for (const Json& item : body->AsArray()) {
    const Json* c = item.is_object() ? item.Find("@context") : nullptr;
    if (!ld) {
      if (c != nullptr) {
        out.contexts.push_back(ContextInPlainJson());
      } else {
        out.contexts.push_back(link_context);
      }
      continue;
    }
    if (c == nullptr) {
      // Not an object: decoding reports it. An object needs its @context.
      out.contexts.push_back(item.is_object()
                                 ? Result<std::shared_ptr<const LdContext>>(Status::BadRequestData(
                                       "application/ld+json entity without @context"))
                                 : Result<std::shared_ptr<const LdContext>>(registry.Core()));
      continue;
    }
    const std::string key = c->Dump();
    auto it = std::find_if(resolved.begin(), resolved.end(),
                           [&](const auto& r) { return r.first == key; });
    if (it == resolved.end()) {
      resolved.emplace_back(key, registry.Resolve(*c));
      it = std::prev(resolved.end());
    }
    out.contexts.push_back(it->second);
  }
  out.body = std::move(*body);
  return out;
}

Result<RenderOptions> RenderOptionsFromQuery(const http::Request& req, const LdContext& context,
                                             MediaType media) {
  RenderOptions o;
  o.include_context = media == MediaType::kLdJson;
  // format names the representation and wins over one named in options (018_15_07).
  bool key_values = false, concise = false, normalized = false, from_format = false;
  for (const auto& [k, v] : req.query) {
    if (k != "options" && k != "format") continue;
    for (const auto& opt : SplitList(v)) {
      const bool representation = opt == "keyValues" || opt == "simplified" ||
                                  opt == "concise" || opt == "normalized";
      if (k == "format" && !representation) {
        return Status::InvalidRequest("unknown format", opt);
      }
      if (!representation && opt != "sysAttrs") return Status::InvalidRequest("unknown option", opt);
      if (opt == "sysAttrs") {
        o.sys_attrs = true;
        continue;
      }
      if (from_format && k == "options") continue;
      if (k == "format" && !from_format) {
        key_values = concise = normalized = false;
        from_format = true;
      }
      if (opt == "keyValues" || opt == "simplified") key_values = true;
      if (opt == "concise") concise = true;
      if (opt == "normalized") normalized = true;
    }
  }
  if (int(key_values) + int(concise) + int(normalized) > 1) {
    return Status::BadRequestData("options name more than one representation");
  }
  if (key_values) o.format = Format::kKeyValues;
  if (concise) o.format = Format::kConcise;
  if (const std::string* lang = req.Query("lang")) {
    if (lang->empty()) return Status::BadRequestData("empty lang");
    o.lang = *lang;
  }
  auto expand = [&](const std::string& name) {
    return name == "id" || name == "type" || name == "scope" ? name : context.ExpandTerm(name);
  };
  if (const std::string* attrs = req.Query("attrs")) {
    std::set<std::string> pick{"id", "type", "scope"};
    for (const auto& name : SplitList(*attrs)) {
      if (name == "id" || name == "type" || name == "@id" || name == "@type") {
        return Status::BadRequestData("attrs names attributes; id and type are not", name);
      }
      if (name.empty()) return Status::BadRequestData("empty attribute name in attrs");
      pick.insert(expand(name));
    }
    o.pick = std::move(pick);
  }
  // pick/omit, with "rel{...}" for the entities a join brings through rel.
  const auto apply = [&](const Projection& p, bool is_pick, RenderOptions& target,
                         const auto& self) -> void {
    std::set<std::string> names;
    for (const auto& n : p.names) names.insert(expand(n));
    if (is_pick) {
      target.pick = std::move(names);
    } else {
      target.omit = std::move(names);
    }
    for (const auto& [index, inner] : p.nested) {
      const std::string& name = p.names[index];
      auto linked = std::make_shared<RenderOptions>();
      linked->format = target.format;
      linked->sys_attrs = target.sys_attrs;
      linked->lang = target.lang;
      self(inner, is_pick, *linked, self);
      target.linked[expand(name)] = std::move(linked);
    }
  };
  if (const std::string* pick = req.Query("pick")) {
    if (o.pick) return Status::BadRequestData("pick and attrs cannot be used together");
    Result<Projection> p = ParseProjection(*pick, "pick");
    if (!p.ok()) return p.status();
    apply(*p, true, o, apply);
  }
  if (const std::string* omit = req.Query("omit")) {
    if (req.Query("pick")) return Status::BadRequestData("pick and omit cannot be used together");
    if (req.Query("attrs")) return Status::BadRequestData("omit and attrs cannot be used together");
    Result<Projection> p = ParseProjection(*omit, "omit");
    if (!p.ok()) return p.status();
    apply(*p, false, o, apply);
  }
  if (const std::string* ds = req.Query("datasetId")) {
    o.dataset_ids.emplace();
    for (const auto& id : SplitList(*ds)) {
      if (id == "@none") {
        o.dataset_ids->insert("");
      } else if (domain::IsValidUri(id)) {
        o.dataset_ids->insert(id);
      } else {
        return Status::BadRequestData("datasetId must be a URI or @none", id);
      }
    }
  }
  return o;
}

http::Response JsonResponse(int status, const Json& body, MediaType media, const LdContext& context) {
  http::Response r;
  r.status = status;
  switch (media) {
    case MediaType::kJson: {
      r.SetHeader("Content-Type", "application/json");
      const std::string& url = context.source().is_string() ? context.source().AsString()
                                                            : std::string(kCoreContextUrl);
      r.SetHeader("Link", "<" + url + ">; rel=\"" + std::string(kJsonLdContextRel) +
                              "\"; type=\"application/ld+json\"");
      break;
    }
    case MediaType::kLdJson: r.SetHeader("Content-Type", "application/ld+json"); break;
    case MediaType::kGeoJson: r.SetHeader("Content-Type", "application/geo+json"); break;
  }
  r.body = body.Dump();
  return r;
}

http::Response NoContent() {
  http::Response r;
  r.status = 204;
  return r;
}

}  // namespace dothi::api::ngsi_ld
