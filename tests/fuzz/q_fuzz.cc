// libFuzzer target for the query languages: the input is parsed as q, as a type selection
// and as scopeQ; whatever parses is resolved with a trivial expander and evaluated against
// a fixed entity. Build (not wired into CMake):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/q_fuzz.cc src/domain/query/*.cc src/domain/entity.cc src/core/*.cc -o q_fuzz
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "domain/entity.h"
#include "domain/query/q_query.h"
#include "domain/query/scope_query.h"
#include "domain/query/type_query.h"

namespace {

using dothi::Json;
using dothi::domain::Entity;

Json Prop(Json value) {
  return Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
}

void Add(Entity& e, std::string_view iri, Json instance) {
  Json* a = e.attrs.Find(iri);
  if (a == nullptr) a = &e.attrs.Set(iri, Json::MakeArray());
  a->Push(std::move(instance));
}

Entity MakeEntity() {
  Entity e;
  e.id = "urn:ngsi-ld:Thing:1";
  e.types = {"x:A", "x:B"};
  e.scope = Json(Json::Array{"/Madrid/Gardens/ParqueNorte", "/Hanoi"});
  Json n = Prop(120);
  n.Set("observedAt", "2017-07-29T12:00:04Z");
  n.Set("unitCode", "C62");
  n.Set("x:sub", Prop(0.5));
  Add(e, "x:a", std::move(n));
  Add(e, "x:b", Prop("Downtown One"));
  Add(e, "x:c", Prop(Json(Json::Array{1, "two", 3.5, true})));
  Add(e, "x:d", Prop(Json::MakeObject({{"k", Json::MakeObject({{"k2", "v"}})}, {"n", 1}})));
  Add(e, "x:e", Json::MakeObject({{"type", "Relationship"}, {"object", "urn:x:y"}}));
  Add(e, "x:f", Json::MakeObject({{"type", "LanguageProperty"},
                                  {"languageMap", Json::MakeObject({{"en", "Hi"}})}}));
  Add(e, "x:g", Prop("2016-04-01T08:00:00Z"));
  Add(e, "x:h", Prop(std::string(5000, 'a')));
  Json s = Prop(80);
  s.Set("datasetId", "urn:ds:1");
  Add(e, "x:a", std::move(s));
  return e;
}

std::string Expand(std::string_view term) {
  if (term == "bad") return {};
  return "x:" + std::string(term);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Entity entity = MakeEntity();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto q = dothi::domain::ParseQ(text);
  if (q.ok()) {
    (void)q->Matches(entity);  // with the names as written
    (void)q->DebugString();
    if (q->Resolve(Expand).ok()) {
      (void)q->Matches(entity);
      (void)q->AttributeIris();
    }
  }

  auto t = dothi::domain::ParseTypeQuery(text);
  if (t.ok()) {
    (void)t->Matches(entity.types);
    (void)t->AnyOfIris();
    (void)t->DebugString();
    if (t->Resolve(Expand).ok()) (void)t->Matches(entity.types);
  }

  auto s = dothi::domain::ParseScopeQuery(text);
  if (s.ok()) {
    (void)s->Matches(entity.scope);
    (void)s->DebugString();
  }
  (void)dothi::domain::ValidateScope(Json(text));
  return 0;
}
