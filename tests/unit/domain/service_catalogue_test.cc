#include "domain/open311/service_catalogue.h"

#include <gtest/gtest.h>

namespace dothi::domain::open311 {
namespace {

ServiceDefinition Drain() {
  ServiceDefinition s;
  s.code = "thoat-nuoc";
  s.name_vi = "Ngập úng, tắc cống";
  s.name_en = "Flooding, blocked drain";
  ServiceAttribute depth{"do-sau", AttributeDatatype::kNumber, true, true, "Nước sâu bao nhiêu cm?", "", 1, {}};
  ServiceAttribute kind{"loai", AttributeDatatype::kSingleValueList, true, false, "Loại", "", 2,
                        {{"cong", "Cống"}, {"duong", "Mặt đường"}}};
  ServiceAttribute seen{"luc", AttributeDatatype::kDatetime, true, false, "Thấy lúc", "", 3, {}};
  ServiceAttribute tags{"anh-huong", AttributeDatatype::kMultiValueList, true, false, "Ảnh hưởng", "", 4,
                        {{"xe", "Xe cộ"}, {"nha", "Nhà dân"}}};
  ServiceAttribute note{"luu-y", AttributeDatatype::kText, false, false, "Không lội qua chỗ ngập sâu", "", 0, {}};
  s.attributes = {depth, kind, seen, tags, note};
  return s;
}

using Answers = std::vector<std::pair<std::string, std::string>>;

TEST(ServiceCatalogueTest, AnswersAreCheckedAgainstTheDefinition) {
  const ServiceDefinition s = Drain();
  EXPECT_TRUE(CheckAttributes(s, {{"do-sau", "35"}}).ok());
  EXPECT_TRUE(CheckAttributes(s, {{"do-sau", "35.5"}, {"loai", "cong"}, {"luc", "2026-11-24T07:30:00+07:00"},
                                  {"anh-huong", "xe"}, {"anh-huong", "nha"}}).ok());
  for (const auto& [answers, why] : std::vector<std::pair<Answers, std::string>>{
           {{}, "do-sau is required"},
           {{{"do-sau", "sâu"}}, "do-sau is a number"},
           {{{"do-sau", "nan"}}, "do-sau is a number"},
           {{{"do-sau", "3"}, {"loai", "song"}}, "no such value"},
           {{{"do-sau", "3"}, {"loai", "cong"}, {"loai", "duong"}}, "takes one value"},
           {{{"do-sau", "3"}, {"luc", "hôm qua"}}, "ISO 8601"},
           {{{"do-sau", "3"}, {"mau", "do"}}, "no such attribute"},
           {{{"do-sau", "3"}, {"luu-y", "x"}}, "no such attribute"},
       }) {
    Status st = CheckAttributes(s, answers);
    EXPECT_EQ(st.code(), ErrorCode::kBadRequestData) << why;
    EXPECT_NE(st.message().find(why), std::string::npos) << st.message();
  }
}

TEST(ServiceCatalogueTest, CataloguesAreValidated) {
  std::vector<ServiceDefinition> all = {Drain()};
  EXPECT_TRUE(ValidateCatalogue(all).ok());
  all.push_back(Drain());
  EXPECT_EQ(ValidateCatalogue(all).code(), ErrorCode::kInvalidRequest) << "duplicate code";
  all.pop_back();
  all[0].attributes[1].values.clear();
  EXPECT_FALSE(ValidateCatalogue(all).ok()) << "a list without values";
  all = {Drain()};
  all[0].resolve_days = 0;
  EXPECT_FALSE(ValidateCatalogue(all).ok());
  EXPECT_EQ(ParseDatatype("singlevaluelist"), AttributeDatatype::kSingleValueList);
  EXPECT_EQ(DatatypeName(AttributeDatatype::kMultiValueList), "multivaluelist");
  EXPECT_FALSE(ParseDatatype("list"));
}

}  // namespace
}  // namespace dothi::domain::open311
