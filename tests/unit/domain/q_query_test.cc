#include "domain/query/q_query.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>

#include "core/json.h"
#include "domain/entity.h"

namespace dothi::domain {
namespace {

Json Prop(Json value) {
  return Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
}
Json Rel(std::string object) {
  return Json::MakeObject({{"type", "Relationship"}, {"object", std::move(object)}});
}

void Add(Entity& e, std::string_view iri, Json instance) {
  Json* a = e.attrs.Find(iri);
  if (a == nullptr) a = &e.attrs.Set(iri, Json::MakeArray());
  a->Push(std::move(instance));
}

// The OffStreetParking / Vehicle entity used by most cases (names unexpanded).
Entity Parking() {
  Entity e;
  e.id = "urn:ngsi-ld:OffStreetParking:Downtown1";
  e.types = {"OffStreetParking"};
  Json spots = Prop(120);
  spots.Set("observedAt", "2017-07-29T12:00:04Z");
  spots.Set("unitCode", "C62");
  spots.Set("reliability", Prop(0.7));
  Json provider = Rel("urn:ngsi-ld:Camera:C1");
  provider.Set("observedAt", "2017-07-29T12:00:00Z");
  spots.Set("providedBy", std::move(provider));
  Add(e, "availableSpotNumber", std::move(spots));
  Add(e, "totalSpotNumber", Prop(200));
  Add(e, "name", Prop("Downtown One"));
  Add(e, "status", Prop(Json(Json::Array{"open", "paid"})));
  Add(e, "isOpen", Prop(true));
  Add(e, "temperature", Prop(21.5));
  Add(e, "openingDate", Prop("2016-04-01T08:00:00Z"));
  Add(e, "openingTime", Prop("08:30:00"));
  Add(e, "address", Prop(Json::MakeObject({{"streetAddress", "Main St 1"},
                                            {"city", "Hanoi"},
                                            {"geo", Json::MakeObject({{"zip", 10000}})}})));
  Add(e, "owner", Rel("urn:ngsi-ld:Person:Alice"));
  Json street = Json::MakeObject({{"type", "LanguageProperty"},
                                  {"languageMap", Json::MakeObject({{"vi", "Phố Huế"},
                                                                    {"en", "Hue Street"}})}});
  Add(e, "street", std::move(street));
  Add(e, "sizes", Json::MakeObject({{"type", "ListProperty"},
                                    {"valueList", Json(Json::Array{1, 2, 3})}}));
  Add(e, "category", Json::MakeObject({{"type", "VocabProperty"}, {"vocab", "public"}}));
  Add(e, "config", Json::MakeObject({{"type", "JsonProperty"},
                                     {"json", Json::MakeObject({{"mode", "auto"}})}}));
  Add(e, "maxDate", Prop(Json::MakeObject({{"@type", "DateTime"},
                                           {"@value", "2030-01-01T00:00:00Z"}})));
  // Multi-attribute: two instances of "speed", told apart by datasetId.
  Json s1 = Prop(50);
  s1.Set("datasetId", "urn:ngsi-ld:Dataset:gps");
  Json s2 = Prop(80);
  s2.Set("datasetId", "urn:ngsi-ld:Dataset:radar");
  Add(e, "speed", std::move(s1));
  Add(e, "speed", std::move(s2));
  return e;
}

bool Match(std::string_view q, const Entity& e) {
  Result<QQuery> r = ParseQ(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  return r.ok() && r->Matches(e);
}

Status ParseError(std::string_view q, const QLimits& limits = {}) {
  Result<QQuery> r = ParseQ(q, limits);
  EXPECT_FALSE(r.ok()) << q << " parsed as " << (r.ok() ? r->DebugString() : "");
  return r.status();
}

class QQueryTest : public ::testing::Test {
 protected:
  Entity e_ = Parking();
};

TEST_F(QQueryTest, BareAttributeTestsExistence) {
  EXPECT_TRUE(Match("availableSpotNumber", e_));
  EXPECT_FALSE(Match("missing", e_));
  EXPECT_FALSE(Match("!availableSpotNumber", e_));
  EXPECT_TRUE(Match("!missing", e_));
}

TEST_F(QQueryTest, NumericOperators) {
  EXPECT_TRUE(Match("availableSpotNumber==120", e_));
  EXPECT_FALSE(Match("availableSpotNumber==121", e_));
  EXPECT_TRUE(Match("availableSpotNumber!=121", e_));
  EXPECT_FALSE(Match("availableSpotNumber!=120", e_));
  EXPECT_TRUE(Match("availableSpotNumber>119", e_));
  EXPECT_FALSE(Match("availableSpotNumber>120", e_));
  EXPECT_TRUE(Match("availableSpotNumber>=120", e_));
  EXPECT_TRUE(Match("availableSpotNumber<121", e_));
  EXPECT_FALSE(Match("availableSpotNumber<120", e_));
  EXPECT_TRUE(Match("availableSpotNumber<=120", e_));
  EXPECT_TRUE(Match("temperature>21.4", e_));
  EXPECT_TRUE(Match("temperature<21.6", e_));
  EXPECT_TRUE(Match("temperature==21.5", e_));
  EXPECT_TRUE(Match("temperature>-5", e_));
  EXPECT_TRUE(Match("availableSpotNumber==1.2e2", e_));
  EXPECT_TRUE(Match("availableSpotNumber==120.0", e_));
}

TEST_F(QQueryTest, MissingAttributeNeverMatchesAComparison) {
  EXPECT_FALSE(Match("missing!=1", e_));
  EXPECT_FALSE(Match("missing<1", e_));
  EXPECT_FALSE(Match("missing!~=x", e_));
}

TEST_F(QQueryTest, SpecExampleAvailableSpotsAndTotal) {
  // ETSI GS CIM 009 clause 4.9: "availableSpotNumber>100;totalSpotNumber<500"-style queries.
  EXPECT_TRUE(Match("availableSpotNumber>100;totalSpotNumber<500", e_));
  EXPECT_FALSE(Match("availableSpotNumber>100;totalSpotNumber<150", e_));
  EXPECT_TRUE(Match("availableSpotNumber>100|totalSpotNumber<150", e_));
}

TEST_F(QQueryTest, StringsCompareQuotedAndLexicographically) {
  EXPECT_TRUE(Match("name==\"Downtown One\"", e_));
  EXPECT_FALSE(Match("name==\"downtown one\"", e_));
  EXPECT_TRUE(Match("name>\"Downtown\"", e_));
  EXPECT_TRUE(Match("name<\"E\"", e_));
  EXPECT_TRUE(Match("name!=\"x\"", e_));
}

TEST_F(QQueryTest, QuotedStringsUnescape) {
  Entity e;
  Add(e, "quote", Prop("say \"hi\"\\"));
  EXPECT_TRUE(Match(R"q(quote=="say \"hi\"\\")q", e));
  Add(e, "sym", Prop("a;b|c)"));
  EXPECT_TRUE(Match(R"q(sym=="a;b|c)")q", e));
}

TEST_F(QQueryTest, TypeMismatchIsNoMatchNotError) {
  EXPECT_FALSE(Match("name>5", e_));
  EXPECT_FALSE(Match("availableSpotNumber==\"120\"", e_));
  EXPECT_FALSE(Match("isOpen==1", e_));
  EXPECT_TRUE(Match("availableSpotNumber!=\"120\"", e_));  // != negates ==
}

TEST_F(QQueryTest, Booleans) {
  EXPECT_TRUE(Match("isOpen==true", e_));
  EXPECT_FALSE(Match("isOpen==false", e_));
  EXPECT_TRUE(Match("isOpen!=false", e_));
}

TEST_F(QQueryTest, ValueListsMatchAnyValue) {
  EXPECT_TRUE(Match("availableSpotNumber==1,120,3", e_));
  EXPECT_FALSE(Match("availableSpotNumber==1,2,3", e_));
  EXPECT_TRUE(Match("availableSpotNumber!=1,2,3", e_));
  EXPECT_FALSE(Match("availableSpotNumber!=1,120", e_));
  EXPECT_TRUE(Match("name==\"a\",\"Downtown One\"", e_));
  EXPECT_TRUE(Match("owner==urn:ngsi-ld:Person:Bob,urn:ngsi-ld:Person:Alice", e_));
}

TEST_F(QQueryTest, RangesAreInclusive) {
  EXPECT_TRUE(Match("availableSpotNumber==100..200", e_));
  EXPECT_TRUE(Match("availableSpotNumber==120..130", e_));
  EXPECT_TRUE(Match("availableSpotNumber==110..120", e_));
  EXPECT_FALSE(Match("availableSpotNumber==121..130", e_));
  EXPECT_TRUE(Match("availableSpotNumber!=121..130", e_));
  EXPECT_TRUE(Match("temperature==21.4..21.6", e_));
  EXPECT_TRUE(Match("name==\"D\"..\"E\"", e_));
  EXPECT_TRUE(Match("openingDate==2016-01-01T00:00:00Z..2016-12-31T00:00:00Z", e_));
  EXPECT_FALSE(Match("openingDate==2017-01-01..2017-12-31", e_));
  EXPECT_TRUE(Match("temperature==-10..30", e_));
}

TEST_F(QQueryTest, DateTimesCompareChronologically) {
  EXPECT_TRUE(Match("openingDate>2016-03-31T23:59:59Z", e_));
  EXPECT_TRUE(Match("openingDate<2016-04-01T09:00:00+00:30", e_));
  EXPECT_TRUE(Match("openingDate==2016-04-01T10:00:00+02:00", e_));  // same instant
  EXPECT_TRUE(Match("openingDate>2016-04-01", e_));                  // a date is midnight
  EXPECT_FALSE(Match("openingDate<2016-04-01", e_));
  EXPECT_TRUE(Match("maxDate>2029-12-31T00:00:00Z", e_));  // {"@type": "DateTime"} value
}

TEST_F(QQueryTest, TimesCompareAsTimeOfDay) {
  EXPECT_TRUE(Match("openingTime>08:00:00Z", e_));
  EXPECT_TRUE(Match("openingTime<09:00:00", e_));
  EXPECT_TRUE(Match("openingTime==08:30:00Z", e_));
  EXPECT_TRUE(Match("openingDate==08:00:00Z", e_));  // time of a date-time
}

TEST_F(QQueryTest, RelationshipsCompareTheirObject) {
  EXPECT_TRUE(Match("owner==urn:ngsi-ld:Person:Alice", e_));
  EXPECT_TRUE(Match("owner==\"urn:ngsi-ld:Person:Alice\"", e_));
  EXPECT_FALSE(Match("owner==urn:ngsi-ld:Person:Bob", e_));
  EXPECT_TRUE(Match("owner!=urn:ngsi-ld:Person:Bob", e_));
  EXPECT_TRUE(Match("owner~=Alice$", e_));
}

TEST_F(QQueryTest, ArraysMatchWhenAnyElementMatches) {
  EXPECT_TRUE(Match("status==\"open\"", e_));
  EXPECT_TRUE(Match("status==\"paid\"", e_));
  EXPECT_FALSE(Match("status==\"closed\"", e_));
  EXPECT_FALSE(Match("status!=\"paid\"", e_));
  EXPECT_TRUE(Match("status!=\"closed\"", e_));
  EXPECT_TRUE(Match("status~=^pa", e_));
}

TEST_F(QQueryTest, PatternsUseRegexSearch) {
  EXPECT_TRUE(Match("name~=Down", e_));
  EXPECT_TRUE(Match("name~=^Down.*One$", e_));
  EXPECT_FALSE(Match("name~=^One", e_));
  EXPECT_TRUE(Match("name!~=^One", e_));
  EXPECT_FALSE(Match("name!~=Down", e_));
  EXPECT_FALSE(Match("name~=downtown", e_));
  EXPECT_TRUE(Match("name~=(?i)downtown", e_));
  EXPECT_TRUE(Match("name~=(Up|Down)town", e_));
  EXPECT_TRUE(Match("name~=\"Down|Up\"", e_));
  EXPECT_TRUE(Match("name~=[A-Z][a-z]+ One", e_));
  EXPECT_FALSE(Match("availableSpotNumber~=120", e_));  // numbers are not strings
}

TEST_F(QQueryTest, PatternEndsAtLogicalOperatorOutsideGroups) {
  Result<QQuery> q = ParseQ("name~=^Down;isOpen==true");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->DebugString(), "(name~=^Down;isOpen==true)");
  EXPECT_TRUE(q->Matches(e_));
  Result<QQuery> g = ParseQ("(name~=(a|b);x)|y");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->DebugString(), "((name~=(a|b);x)|y)");
}

TEST_F(QQueryTest, SubAttributesFollowDots) {
  EXPECT_TRUE(Match("availableSpotNumber.reliability", e_));
  EXPECT_TRUE(Match("availableSpotNumber.reliability>0.5", e_));
  EXPECT_FALSE(Match("availableSpotNumber.reliability>0.8", e_));
  EXPECT_TRUE(Match("availableSpotNumber.providedBy==urn:ngsi-ld:Camera:C1", e_));
  EXPECT_FALSE(Match("availableSpotNumber.missing", e_));
  EXPECT_TRUE(Match("!availableSpotNumber.missing", e_));
  EXPECT_FALSE(Match("totalSpotNumber.reliability", e_));
}

TEST_F(QQueryTest, SpecialMembers) {
  EXPECT_TRUE(Match("availableSpotNumber.observedAt>=2017-07-29T12:00:00Z", e_));
  EXPECT_FALSE(Match("availableSpotNumber.observedAt<2017-07-29T12:00:00Z", e_));
  EXPECT_TRUE(Match("availableSpotNumber.observedAt", e_));
  EXPECT_FALSE(Match("totalSpotNumber.observedAt", e_));
  EXPECT_TRUE(Match("availableSpotNumber.unitCode==\"C62\"", e_));
  EXPECT_TRUE(Match("availableSpotNumber.providedBy.observedAt==2017-07-29T12:00:00Z", e_));
  EXPECT_TRUE(Match("speed.datasetId==urn:ngsi-ld:Dataset:radar", e_));
  EXPECT_FALSE(Match("speed.datasetId==urn:ngsi-ld:Dataset:other", e_));
}

TEST_F(QQueryTest, BracketsReachIntoCompoundValues) {
  EXPECT_TRUE(Match("address[city]==\"Hanoi\"", e_));
  EXPECT_FALSE(Match("address[city]==\"Hue\"", e_));
  EXPECT_TRUE(Match("address[geo][zip]==10000", e_));
  EXPECT_TRUE(Match("address[geo][zip]", e_));
  EXPECT_FALSE(Match("address[country]", e_));
  EXPECT_TRUE(Match("!address[country]", e_));
  EXPECT_TRUE(Match("address[street Address]!=1|address[streetAddress]~=Main", e_));
  EXPECT_TRUE(Match("config[mode]==\"auto\"", e_));  // JsonProperty
}

TEST_F(QQueryTest, DotsThenBrackets) {
  Entity e;
  Json p = Prop(1);
  p.Set("calibration", Prop(Json::MakeObject({{"offset", 0.25}})));
  Add(e, "temperature", std::move(p));
  EXPECT_TRUE(Match("temperature.calibration[offset]<0.5", e));
  EXPECT_FALSE(Match("temperature.calibration[offset]>0.5", e));
}

TEST_F(QQueryTest, LanguagePropertiesMatchAnyLanguageOrOne) {
  EXPECT_TRUE(Match("street==\"Hue Street\"", e_));
  EXPECT_TRUE(Match("street==\"Phố Huế\"", e_));
  EXPECT_TRUE(Match("street[en]==\"Hue Street\"", e_));
  EXPECT_FALSE(Match("street[vi]==\"Hue Street\"", e_));
  EXPECT_TRUE(Match("street~=^Hue", e_));
  EXPECT_FALSE(Match("street!=\"Hue Street\"", e_));
  EXPECT_TRUE(Match("street[fr]|street[en]", e_));
}

TEST_F(QQueryTest, ListVocabAndJsonProperties) {
  EXPECT_TRUE(Match("sizes==2", e_));
  EXPECT_FALSE(Match("sizes==4", e_));
  EXPECT_TRUE(Match("sizes>2", e_));
  EXPECT_TRUE(Match("category==\"public\"", e_));
  EXPECT_TRUE(Match("config", e_));
}

TEST_F(QQueryTest, MultiAttributeMatchesWhenAnyInstanceMatches) {
  EXPECT_TRUE(Match("speed==50", e_));
  EXPECT_TRUE(Match("speed==80", e_));
  EXPECT_TRUE(Match("speed>70", e_));
  EXPECT_FALSE(Match("speed>90", e_));
  EXPECT_TRUE(Match("speed!=50", e_));  // the radar instance differs
}

TEST_F(QQueryTest, AndBindsTighterThanOr) {
  Result<QQuery> q = ParseQ("a|b;c");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->DebugString(), "(a|(b;c))");
  Result<QQuery> p = ParseQ("(a|b);c");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->DebugString(), "((a|b);c)");
  // Here "missing|isOpen==true;isOpen==false" is missing|(true;false): no match.
  EXPECT_FALSE(Match("missing|isOpen==true;isOpen==false", e_));
  EXPECT_TRUE(Match("isOpen==false;missing|name", e_));
  EXPECT_FALSE(Match("(isOpen==false|missing);name", e_));
  EXPECT_TRUE(Match("((isOpen==true));((name))", e_));
}

TEST_F(QQueryTest, WhitespaceAroundTokensIsTolerated) {
  EXPECT_TRUE(Match(" availableSpotNumber > 100 ; ( name == \"Downtown One\" | x ) ", e_));
}

TEST_F(QQueryTest, ResolveExpandsAttributeAndSubAttributeNamesOnly) {
  Entity e;
  Json p = Prop(Json::MakeObject({{"city", "Hanoi"}}));
  p.Set("https://ex.org/accuracy", Prop(0.9));
  p.Set("observedAt", "2020-01-01T00:00:00Z");
  Add(e, "https://ex.org/address", std::move(p));
  Result<QQuery> q = ParseQ(
      "address[city]==\"Hanoi\";address.accuracy>0.5;address.observedAt<2021-01-01T00:00:00Z");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->Matches(e));
  std::vector<std::string> seen;
  ASSERT_TRUE(q->Resolve([&](std::string_view t) {
                 seen.emplace_back(t);
                 return "https://ex.org/" + std::string(t);
               }).ok());
  EXPECT_TRUE(q->Matches(e));
  for (const auto& s : seen) {
    EXPECT_NE(s, "city");
    EXPECT_NE(s, "observedAt");
  }
  EXPECT_EQ(q->terms()[0].attr.text, "address");  // original kept for messages
  EXPECT_EQ(q->AttributeIris(), std::vector<std::string>{"https://ex.org/address"});
}

TEST_F(QQueryTest, ResolveFailsWhenATermCannotBeExpanded) {
  Result<QQuery> q = ParseQ("a>1");
  ASSERT_TRUE(q.ok());
  Status s = q->Resolve([](std::string_view) { return std::string(); });
  EXPECT_EQ(s.code(), ErrorCode::kBadRequestData);
}

TEST_F(QQueryTest, AttributeIrisAreTopLevelAndUnique) {
  Result<QQuery> q = ParseQ("a.b>1;(c|a[x]==2);!d;c.observedAt");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->AttributeIris(), (std::vector<std::string>{"a", "c", "d"}));
}

TEST_F(QQueryTest, ParsedTermsExposeTheirStructure) {
  Result<QQuery> q = ParseQ("a.b.observedAt>2020-01-01T00:00:00Z");
  ASSERT_TRUE(q.ok());
  const QTerm& t = q->terms()[0];
  EXPECT_EQ(t.attr.text, "a");
  ASSERT_EQ(t.subs.size(), 1u);
  EXPECT_EQ(t.subs[0].text, "b");
  EXPECT_EQ(t.member, QMember::kObservedAt);
  EXPECT_EQ(t.op, QOp::kGreater);
  ASSERT_EQ(t.values.size(), 1u);
  EXPECT_EQ(t.values[0].kind, QValue::Kind::kDateTime);
  Result<QQuery> r = ParseQ("a==1..5");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->terms()[0].is_range);
  Result<QQuery> big = ParseQ("a==9223372036854775807");
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(big->terms()[0].values[0].is_int);
}

TEST_F(QQueryTest, LargeIntegersCompareExactly) {
  Entity e;
  Add(e, "n", Prop(Json(std::int64_t{9007199254740993})));
  EXPECT_TRUE(Match("n==9007199254740993", e));
  EXPECT_FALSE(Match("n==9007199254740992", e));
}

TEST_F(QQueryTest, ErrorsAreBadRequestDataWithPosition) {
  Status s = ParseError("a==1)");
  EXPECT_EQ(s.code(), ErrorCode::kBadRequestData);
  EXPECT_NE(s.message().find("position 4"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("')'"), std::string::npos) << s.message();
}

TEST_F(QQueryTest, RejectsMalformedInput) {
  for (const char* q : {"", "   ", "(", ")", "(a", "a)", "((a)", "a;", "a|", ";a", "|a", "a;;b",
                        "a==", "a>", "a==1,", "a==,1", "a==1..", "a==..1", "a=1", "a===1",
                        "a==b", "a==\"unterminated", "a==1 2", "a b", "a.", ".a", "a..b",
                        "a[", "a[]", "a[b", "!", "!a==1", "a>true", "a>urn:x:y", "a>1,2",
                        "a<1..2", "a==1..\"x\"", "a==1..2,3", "a==1,2..3", "a~=", "a~=(",
                        "a~=[", "a~=*", "a==null", "a==tru", "()", "a&b", "a==1;(b"}) {
    Status s = ParseError(q);
    EXPECT_EQ(s.code(), ErrorCode::kBadRequestData) << q;
  }
}

TEST_F(QQueryTest, RejectsTooDeepTooLongTooManyTerms) {
  std::string deep(40, '(');
  deep += "a";
  deep += std::string(40, ')');
  EXPECT_NE(ParseError(deep).message().find("nested too deeply"), std::string::npos);
  std::string ok_depth(32, '(');
  ok_depth += "a" + std::string(32, ')');
  EXPECT_TRUE(ParseQ(ok_depth).ok());

  std::string very_deep(100000, '(');
  EXPECT_EQ(ParseError(very_deep).code(), ErrorCode::kBadRequestData);

  std::string longq = "a==\"" + std::string(5000, 'x') + "\"";
  EXPECT_NE(ParseError(longq).message().find("longer than"), std::string::npos);

  std::string many = "a";
  for (int i = 0; i < 300; ++i) many += ";a";
  EXPECT_NE(ParseError(many).message().find("query terms"), std::string::npos);

  QLimits tight;
  tight.max_terms = 2;
  EXPECT_TRUE(ParseQ("a;b", tight).ok());
  EXPECT_FALSE(ParseQ("a;b;c", tight).ok());
}

TEST_F(QQueryTest, RejectsInvalidOrOversizedRegex) {
  EXPECT_NE(ParseError("a~=(ab").message().find("invalid regular expression"),
            std::string::npos);
  EXPECT_NE(ParseError("a~=" + std::string(300, 'x')).message().find("longer than"),
            std::string::npos);
  EXPECT_NE(ParseError("a~=((a{100}){100}){100}").message().find("too complex"),
            std::string::npos);
  EXPECT_FALSE(ParseQ("a~=(a)\\1").ok());  // back-references are not supported
}

TEST_F(QQueryTest, PathologicalRegexStaysFast) {
  Entity e;
  Add(e, "s", Prop(std::string(4000, 'a')));
  Result<QQuery> q = ParseQ("s~=(a*)*b");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->Matches(e));
  Result<QQuery> q2 = ParseQ("s~=(a|aa)+$");
  ASSERT_TRUE(q2.ok()) << q2.status().ToString();
  EXPECT_TRUE(q2->Matches(e));
}

TEST_F(QQueryTest, OverlongSubjectsNeverMatchPatterns) {
  Entity e;
  Add(e, "s", Prop(std::string(5000, 'a')));
  EXPECT_FALSE(Match("s~=a", e));
  EXPECT_FALSE(Match("s!~=b", e));
}

TEST_F(QQueryTest, DefaultConstructedQueryMatchesEverything) {
  QQuery q;
  EXPECT_TRUE(q.Matches(e_));
}

TEST_F(QQueryTest, CopiesShareCompiledPatterns) {
  Result<QQuery> q = ParseQ("name~=One$");
  ASSERT_TRUE(q.ok());
  QQuery copy = *q;
  EXPECT_TRUE(copy.Matches(e_));
}

}  // namespace
}  // namespace dothi::domain
