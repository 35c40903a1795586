#include "api/ngsi_ld/linked_entities.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <string>

namespace dothi::api::ngsi_ld {

using domain::Entity;
namespace attr = domain::attr;

namespace {

constexpr int kMaxJoinLevel = 8;  // hops a join may follow
// Linked entities one answer may look up: fan-out over several levels grows as
// relationships^levels, so a join stops adding entities past this (they stay references).
constexpr std::size_t kMaxLookups = 1000;

class Joiner {
 public:
  Joiner(const LdContext& context, const JoinOptions& join, const EntityLookup& lookup)
      : context_(context), join_(join), lookup_(lookup) {}

  Json Render(const Entity& e, const RenderOptions& o, int levels) {
    Json out = RenderEntity(e, context_, o);
    if (levels <= 0) return out;
    for (const auto& [iri, instances] : e.attrs.AsObject()) {
      Json* rendered = out.Find(context_.CompactIri(iri));
      if (rendered == nullptr) continue;  // not selected by pick/omit
      RenderOptions linked;
      auto it = o.linked.find(iri);
      if (it != o.linked.end()) {
        linked = *it->second;
      } else {
        linked.format = o.format;
        linked.sys_attrs = o.sys_attrs;
        linked.lang = o.lang;
      }
      linked.include_context = false;
      const Json::Array& arr = instances.AsArray();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const Json* kind = arr[i].Find(attr::kType);
        const Json* object = arr[i].Find(attr::kObject);
        if (kind == nullptr || !kind->is_string() || kind->AsString() != attr::kRelationship ||
            object == nullptr || !object->is_string()) {
          continue;
        }
        if (join_.flat && seen_.count(object->AsString())) continue;  // listed already
        if (lookups_ >= kMaxLookups) continue;
        ++lookups_;
        std::optional<Entity> target = lookup_(object->AsString());
        if (!target) continue;
        if (join_.flat) {
          // Its place comes before the entities it links to in turn.
          seen_.insert(target->id);
          const std::size_t at = flat_.size();
          flat_.emplace_back();
          Json child = Render(*target, linked, levels - 1);
          flat_[at] = std::move(child);
          continue;
        }
        Json child = Render(*target, linked, levels - 1);
        // The rendered instance: the attribute itself, or element i of its array.
        Json* slot = rendered->is_array() && i < rendered->size() ? &rendered->AsArray()[i]
                                                                    : rendered;
        if (o.format == Format::kKeyValues || !slot->is_object()) {
          *slot = std::move(child);
        } else {
          slot->Set("entity", std::move(child));
        }
      }
    }
    return out;
  }

  void MarkRoot(const std::string& id) { seen_.insert(id); }
  std::vector<Json>& flat() { return flat_; }

 private:
  const LdContext& context_;
  const JoinOptions& join_;
  const EntityLookup& lookup_;
  std::set<std::string> seen_;  // ids already in a flat answer
  std::vector<Json> flat_;
  std::size_t lookups_ = 0;
};

}  // namespace

Result<std::optional<JoinOptions>> JoinFromQuery(const http::Request& req) {
  const std::string* join = req.Query("join");
  if (join == nullptr || *join == "@none") return std::optional<JoinOptions>();
  JoinOptions o;
  if (*join == "flat") {
    o.flat = true;
  } else if (*join != "inline") {
    return Status::BadRequestData("join must be flat, inline or @none", *join);
  }
  if (const std::string* level = req.Query("joinLevel")) {
    int n = 0;
    const auto [end, ec] = std::from_chars(level->data(), level->data() + level->size(), n);
    if (ec != std::errc() || end != level->data() + level->size() || n < 1) {
      return Status::BadRequestData("joinLevel must be a positive integer", *level);
    }
    o.levels = std::min(n, kMaxJoinLevel);
  }
  return std::optional<JoinOptions>(o);
}

EntityLookup LookupIn(const service::EntityService& service, const RequestContext& ctx) {
  return [&service, &ctx](std::string_view id) -> std::optional<Entity> {
    Result<Entity> e = service.Get(ctx, id);
    if (!e.ok()) return std::nullopt;
    return std::move(*e);
  };
}

Json RenderJoined(const std::vector<Entity>& entities, const LdContext& context,
                  const RenderOptions& options, const JoinOptions& join,
                  const EntityLookup& lookup) {
  Joiner joiner(context, join, lookup);
  Json out = Json::MakeArray();
  for (const Entity& e : entities) joiner.MarkRoot(e.id);
  for (const Entity& e : entities) out.Push(joiner.Render(e, options, join.levels));
  for (Json& linked : joiner.flat()) out.Push(std::move(linked));
  return out;
}

}  // namespace dothi::api::ngsi_ld
