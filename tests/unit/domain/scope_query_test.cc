#include "domain/query/scope_query.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>

#include "core/json.h"

namespace dothi::domain {
namespace {

Json Scopes(std::initializer_list<const char*> s) {
  Json a = Json::MakeArray();
  for (const char* x : s) a.Push(x);
  return a;
}

bool Match(std::string_view q, const Json& scope) {
  Result<ScopeQuery> r = ParseScopeQuery(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  return r.ok() && r->Matches(scope);
}

const Json kParque = Scopes({"/Madrid/Gardens/ParqueNorte"});

TEST(ScopeQueryTest, ExactScope) {
  EXPECT_TRUE(Match("/Madrid/Gardens/ParqueNorte", kParque));
  EXPECT_FALSE(Match("/Madrid/Gardens", kParque));
  EXPECT_FALSE(Match("/Madrid/Gardens/ParqueNorte/Bench", kParque));
  EXPECT_FALSE(Match("/Madrid/Gardens/Parque", kParque));
}

TEST(ScopeQueryTest, HashMatchesScopeAndDescendants) {
  EXPECT_TRUE(Match("/Madrid/#", kParque));
  EXPECT_TRUE(Match("/Madrid/Gardens/#", kParque));
  EXPECT_TRUE(Match("/Madrid/Gardens/ParqueNorte/#", kParque));  // the scope itself
  EXPECT_FALSE(Match("/Barcelona/#", kParque));
  EXPECT_FALSE(Match("/Madrid/Gardens/ParqueNorte/Bench/#", kParque));
}

TEST(ScopeQueryTest, SlashHashMatchesAnyScope) {
  EXPECT_TRUE(Match("/#", kParque));
  EXPECT_TRUE(Match("/#", Scopes({"/X"})));
  EXPECT_FALSE(Match("/#", Json()));
  EXPECT_FALSE(Match("/#", Json::MakeArray()));
}

TEST(ScopeQueryTest, PlusMatchesExactlyOneLevel) {
  EXPECT_TRUE(Match("/Madrid/+/ParqueNorte", kParque));
  EXPECT_TRUE(Match("/Madrid/Gardens/+", kParque));
  EXPECT_FALSE(Match("/Madrid/+", kParque));
  EXPECT_TRUE(Match("/Madrid/+/#", kParque));
  EXPECT_TRUE(Match("/+/+/+", kParque));
  EXPECT_FALSE(Match("/+/+/+/+", kParque));
}

TEST(ScopeQueryTest, NullScopeNeverMatches) {
  EXPECT_FALSE(Match("/Madrid/#", Json()));
  EXPECT_FALSE(Match("/#", Json()));
  EXPECT_TRUE(ScopeQuery().Matches(Json()));  // no scopeQ: no filtering
}

TEST(ScopeQueryTest, AnyOfSeveralEntityScopes) {
  Json s = Scopes({"/Hanoi/BaDinh", "/Company/Sales"});
  EXPECT_TRUE(Match("/Company/#", s));
  EXPECT_TRUE(Match("/Hanoi/BaDinh", s));
  EXPECT_TRUE(Match("/Hanoi/#;/Company/Sales", s));  // AND over the entity's scopes
  EXPECT_FALSE(Match("/Hanoi/#;/Company/HR", s));
  EXPECT_TRUE(Match("/Hanoi/HoanKiem|/Company/Sales", s));
  EXPECT_TRUE(Match("/Hanoi/HoanKiem,/Company/Sales", s));
  EXPECT_TRUE(Match(" ( /X | /Hanoi/# ) ; /Company/+ ", s));
  EXPECT_TRUE(Match("/Company/Sales", Json("/Company/Sales")));  // a single string
}

TEST(ScopeQueryTest, AndBindsTighterThanOr) {
  Result<ScopeQuery> q = ParseScopeQuery("/A|/B;/C");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->DebugString(), "(/A|(/B;/C))");
  EXPECT_TRUE(q->Matches(Scopes({"/A"})));
  EXPECT_FALSE(q->Matches(Scopes({"/B"})));
}

TEST(ScopeQueryTest, RejectsMalformedInput) {
  for (const char* q : {"", " ", "Madrid", "/", "//", "/Madrid/", "/Madrid//X", "/Madrid/#/X",
                        "/Madrid#", "/Mad+rid", "/+x", "(/A", "/A)", "/A;", "|/A", "()",
                        "/A /B", "/A/##", "/A b"}) {
    Result<ScopeQuery> r = ParseScopeQuery(q);
    EXPECT_FALSE(r.ok()) << "'" << q << "' parsed as " << (r.ok() ? r->DebugString() : "");
    EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData) << q;
  }
  std::string deep(40, '(');
  deep += "/A" + std::string(40, ')');
  EXPECT_FALSE(ParseScopeQuery(deep).ok());
  EXPECT_FALSE(ParseScopeQuery(std::string(100000, '(')).ok());
}

TEST(ScopeQueryTest, ValidateScopeAcceptsWellFormedScopes) {
  EXPECT_TRUE(ValidateScope(Json("/Madrid/Gardens/ParqueNorte")).ok());
  EXPECT_TRUE(ValidateScope(Scopes({"/Hanoi/BaDinh", "/Company_1/Sales-2"})).ok());
  EXPECT_TRUE(ValidateScope(Json("/Hà_Nội")).ok());
  EXPECT_TRUE(ValidateScope(Json()).ok());
}

TEST(ScopeQueryTest, ValidateScopeRejectsBadScopes) {
  for (const Json& bad : {Json("Madrid"), Json(""), Json("/"), Json("/Madrid/"),
                          Json("//Madrid"), Json("/Madrid/#"), Json("/Madrid/+"),
                          Json("/Ma drid"), Json("/A;B"), Json("/A|B"), Json("/A,B"),
                          Json("/A(B)"), Json(5), Scopes({"/ok", "bad"}),
                          Json(Json::Array{Json(1)}), Json::MakeObject()}) {
    Status s = ValidateScope(bad);
    EXPECT_EQ(s.code(), ErrorCode::kBadRequestData) << bad.Dump();
  }
}

}  // namespace
}  // namespace dothi::domain
