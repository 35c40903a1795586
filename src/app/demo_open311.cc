#include "app/demo_open311.h"

namespace dothi::app {

using domain::open311::AttributeDatatype;
using domain::open311::ServiceAttribute;
using domain::open311::ServiceDefinition;

namespace {

ServiceDefinition Service(const char* code, const char* vi, const char* en, const char* dvi, const char* den,
                          const char* group, std::vector<std::string> keywords, const char* department,
                          int ack_hours, int resolve_days) {
  ServiceDefinition s;
  s.code = code;
  s.name_vi = vi;
  s.name_en = en;
  s.description_vi = dvi;
  s.description_en = den;
  s.group = group;
  s.keywords = std::move(keywords);
  s.department = department;
  s.acknowledge_hours = ack_hours;
  s.resolve_days = resolve_days;
  return s;
}

ServiceAttribute List(const char* code, const char* question, int order, bool required,
                      std::vector<domain::open311::AttributeValue> values,
                      AttributeDatatype type = AttributeDatatype::kSingleValueList) {
  ServiceAttribute a;
  a.code = code;
  a.datatype = type;
  a.required = required;
  a.description = question;
  a.order = order;
  a.values = std::move(values);
  return a;
}

}  // namespace

std::vector<ServiceDefinition> DemoOpen311Services() {
  std::vector<ServiceDefinition> out;
  {
    auto s = Service("ngap-ung", "Ngập úng, tắc cống thoát nước", "Flooding, blocked drain",
                     "Đường ngập, cống tắc, nắp cống hỏng hoặc mất", "Flooded street, blocked drain, broken or missing drain cover",
                     "Thoát nước / Drainage", {"ngập", "cống", "flood", "drain"}, "Công ty Thoát nước", 4, 2);
    ServiceAttribute depth;
    depth.code = "do-sau-cm";
    depth.datatype = AttributeDatatype::kNumber;
    depth.required = true;
    depth.description = "Nước ngập sâu khoảng bao nhiêu cm? / About how deep is the water (cm)?";
    depth.order = 1;
    s.attributes.push_back(depth);
    s.attributes.push_back(List("loai", "Vấn đề là gì? / What is the problem?", 2, true,
                                {{"ngap-duong", "Đường ngập / Flooded street"},
                                 {"tac-cong", "Cống tắc / Blocked drain"},
                                 {"nap-cong", "Nắp cống hỏng, mất / Broken or missing cover"}}));
    out.push_back(std::move(s));
  }
  {
    auto s = Service("den-duong", "Đèn chiếu sáng công cộng hỏng", "Streetlight out",
                     "Đèn đường không sáng, sáng ban ngày, cột đèn nghiêng", "Streetlight off at night, on by day, or a leaning pole",
                     "Chiếu sáng / Lighting", {"đèn", "streetlight"}, "Công ty Chiếu sáng đô thị", 8, 3);
    s.attributes.push_back(List("tinh-trang", "Tình trạng / Condition", 1, true,
                                {{"khong-sang", "Không sáng / Off"},
                                 {"sang-ban-ngay", "Sáng ban ngày / On by day"},
                                 {"cot-nghieng", "Cột nghiêng, hở điện / Leaning pole, exposed wires"}}));
    out.push_back(std::move(s));
  }
  {
    auto s = Service("rac-thai", "Rác thải, xả rác bừa bãi", "Waste and littering",
                     "Rác không được thu gom, thùng rác đầy, đổ trộm phế thải", "Uncollected waste, full bins, dumped rubble",
                     "Vệ sinh môi trường / Sanitation", {"rác", "waste", "litter"}, "Công ty Môi trường đô thị", 8, 1);
    s.attributes.push_back(List("loai", "Loại rác / Kind of waste", 1, false,
                                {{"sinh-hoat", "Rác sinh hoạt / Household waste"},
                                 {"xay-dung", "Phế thải xây dựng / Construction rubble"},
                                 {"cong-kenh", "Đồ cồng kềnh / Bulky items"}},
                                AttributeDatatype::kMultiValueList));
    out.push_back(std::move(s));
  }
  out.push_back(Service("duong-via-he", "Hư hỏng mặt đường, vỉa hè", "Road or pavement damage",
                        "Ổ gà, sụt lún, vỉa hè vỡ, lấn chiếm vỉa hè", "Potholes, subsidence, broken or occupied pavement",
                        "Giao thông / Transport", {"ổ gà", "vỉa hè", "pothole"}, "Ban Quản lý hạ tầng giao thông", 8, 5));
  out.push_back(Service("cay-xanh", "Cây xanh gãy đổ, nguy hiểm", "Fallen or dangerous tree",
                        "Cây gãy, đổ, cành khô có nguy cơ rơi", "Broken or fallen tree, dead branches that may fall",
                        "Cây xanh / Trees", {"cây", "tree"}, "Công ty Công viên cây xanh", 2, 1));
  out.push_back(Service("den-tin-hieu", "Đèn tín hiệu giao thông hỏng", "Traffic signal fault",
                        "Đèn giao thông tắt, nhấp nháy, sai pha", "Traffic lights off, flashing or out of phase",
                        "Giao thông / Transport", {"đèn giao thông", "traffic light"}, "Trung tâm Điều hành giao thông", 2, 1));
  out.push_back(Service("tieng-on", "Tiếng ồn, karaoke gây ồn", "Noise",
                        "Tiếng ồn quá mức, karaoke, công trình thi công ban đêm", "Excessive noise, karaoke, construction at night",
                        "Trật tự đô thị / Public order", {"ồn", "noise"}, "Công an phường", 4, 2));
  out.push_back(Service("xay-dung-trai-phep", "Xây dựng trái phép, sai phép", "Illegal construction",
                        "Công trình không phép, sai phép, lấn chiếm đất công", "Building without or against a permit, encroachment on public land",
                        "Trật tự xây dựng / Building control", {"xây dựng", "construction"}, "Đội Thanh tra xây dựng", 8, 10));
  out.back().anonymous_allowed = false;
  return out;
}

domain::open311::WorkingCalendar DemoOpen311Calendar() {
  domain::open311::WorkingCalendar::Options o;
  for (const char* d : {"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
                        "2026-04-27", "2026-04-30", "2026-05-01", "2026-09-02"}) {
    o.holidays.insert(*domain::open311::LocalDate::Parse(d));
  }
  return *domain::open311::WorkingCalendar::Make(std::move(o));
}

}  // namespace dothi::app
