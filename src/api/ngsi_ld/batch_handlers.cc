// Handlers for /ngsi-ld/v1/entityOperations/{create,upsert,update,delete,merge}.
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/request_support.h"
#include "http/status_mapping.h"

namespace dothi::api::ngsi_ld {

using domain::Entity;
using http::Request;
using http::Response;

namespace {


struct Decoded {
  std::vector<Entity> entities;
  std::vector<std::pair<std::string, Status>> errors;  // entity id (or index), decode error
};

Json ProblemObject(const Status& s) {
  return Json::MakeObject({{"type", ProblemTypeFor(s.code())},
                           {"title", ErrorCodeName(s.code())},
                           {"status", http::HttpStatusFor(s.code())},
                           {"detail", s.message()}});
}

Result<Decoded> DecodeBatch(ContextRegistry& registry, const Request& req,
                            const DecodeLimits& limits, DecodeMode mode, std::size_t max_entities) {
  Result<BatchBody> body = ReadBatchBody(registry, req);
  if (!body.ok()) return body.status();
  if (body->body.size() == 0) return Status::BadRequestData("batch body is empty");
  if (body->body.size() > max_entities) {
    return Status::PayloadTooLarge("too many entities in batch", std::to_string(max_entities));
  }
  Decoded out;
  const Json::Array& items = body->body.AsArray();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    const Json* id = item.is_object() ? item.Find("id") : nullptr;
    const std::string id_text = id && id->is_string() ? id->AsString() : std::string();
    const Result<std::shared_ptr<const LdContext>>& context = body->contexts[i];
    if (!context.ok()) {
      out.errors.emplace_back(id_text, context.status());
      continue;
    }
    Result<Entity> e = DecodeEntity(item, **context, mode, limits);
    if (!e.ok()) {
      out.errors.emplace_back(id_text, e.status());
      continue;
    }
    if (mode == DecodeMode::kFragment && e->id.empty()) {
      out.errors.emplace_back(std::string(), Status::BadRequestData("entity id missing"));
      continue;
    }
    out.entities.push_back(std::move(*e));
  }
  return out;
}

// 201 with ids / 204 when everything worked, else 207 with a BatchOperationResult.
Response BatchResponse(const Decoded& d, const std::vector<service::BatchItemResult>& results,
                       bool only_created, bool success_201) {
  Json success = Json::MakeArray();
  Json errors = Json::MakeArray();
  for (const auto& r : results) {
    if (r.status.ok()) {
      if (!only_created || r.created) success.Push(r.id);
    } else {
      errors.Push(Json::MakeObject({{"entityId", r.id}, {"error", ProblemObject(r.status)}}));
    }
  }
  for (const auto& [id, s] : d.errors) {
    errors.Push(Json::MakeObject({{"entityId", id}, {"error", ProblemObject(s)}}));
  }
  if (errors.size() == 0) {
    if (success_201 && success.size() > 0) {
      Response r;
      r.status = 201;
      r.SetHeader("Content-Type", "application/json");
      r.body = success.Dump();
      return r;
    }
    return NoContent();
  }
  if (only_created) {
    // In a 207 the success list names every entity that was written.
    success = Json::MakeArray();
    for (const auto& r : results) {
      if (r.status.ok()) success.Push(r.id);
    }
  }
  Response r;
  r.status = 207;
  r.SetHeader("Content-Type", "application/json");
  r.body = Json::MakeObject({{"success", std::move(success)}, {"errors", std::move(errors)}}).Dump();
  return r;
}

}  // namespace

Response NgsiLdApi::BatchCreate(const RequestContext& ctx, Request& req) {
  Result<Decoded> d = DecodeBatch(contexts_, req, options_.limits, DecodeMode::kCreate,
                                  entities_.options().max_batch_entities);
  if (!d.ok()) return ProblemResponse(ctx, d.status());
  Result<std::vector<service::BatchItemResult>> r = entities_.BatchCreate(ctx, d->entities);
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return BatchResponse(*d, *r, false, true);
}

Response NgsiLdApi::BatchUpsert(const RequestContext& ctx, Request& req) {
  Result<Decoded> d = DecodeBatch(contexts_, req, options_.limits, DecodeMode::kCreate,
                                  entities_.options().max_batch_entities);
  if (!d.ok()) return ProblemResponse(ctx, d.status());
  const bool update = HasOption(req, "update");
  if (update && HasOption(req, "replace")) {
    return ProblemResponse(ctx, Status::BadRequestData("options update and replace are exclusive"));
  }
  Result<std::vector<service::BatchItemResult>> r = entities_.BatchUpsert(
      ctx, d->entities, update ? service::UpsertMode::kUpdate : service::UpsertMode::kReplace);
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  // Which entities are new decides between 201 (some created) and 204.
  return BatchResponse(*d, *r, /*only_created=*/true, true);
}

Response NgsiLdApi::BatchUpdate(const RequestContext& ctx, Request& req) {
  Result<Decoded> d = DecodeBatch(contexts_, req, options_.limits, DecodeMode::kFragment,
                                  entities_.options().max_batch_entities);
  if (!d.ok()) return ProblemResponse(ctx, d.status());
  Result<std::vector<service::BatchItemResult>> r =
      entities_.BatchUpdate(ctx, d->entities, HasOption(req, "noOverwrite"));
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return BatchResponse(*d, *r, false, false);
}

Response NgsiLdApi::BatchMerge(const RequestContext& ctx, Request& req) {
  Result<Decoded> d = DecodeBatch(contexts_, req, options_.limits, DecodeMode::kFragment,
                                  entities_.options().max_batch_entities);
  if (!d.ok()) return ProblemResponse(ctx, d.status());
  Result<std::vector<service::BatchItemResult>> r = entities_.BatchMerge(ctx, d->entities);
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return BatchResponse(*d, *r, false, false);
}

Response NgsiLdApi::BatchDelete(const RequestContext& ctx, Request& req) {
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  if (!body->body.is_array() || body->body.size() == 0) {
    return ProblemResponse(ctx, Status::BadRequestData("batch delete body must be a non-empty array of ids"));
  }
  if (body->body.size() > entities_.options().max_batch_entities) {
    return ProblemResponse(ctx, Status::PayloadTooLarge("too many entities in batch"));
  }
  Decoded d;
  std::vector<std::string> ids;
  for (const auto& id : body->body.AsArray()) {
    if (!id.is_string() || !domain::IsValidUri(id.AsString())) {
      d.errors.emplace_back(id.is_string() ? id.AsString() : id.Dump(),
                            Status::BadRequestData("entity id is not a URI"));
      continue;
    }
    ids.push_back(id.AsString());
  }
  Result<std::vector<service::BatchItemResult>> r = entities_.BatchDelete(ctx, ids);
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return BatchResponse(d, *r, false, false);
}

}  // namespace dothi::api::ngsi_ld
