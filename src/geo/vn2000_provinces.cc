#include "geo/vn2000_provinces.h"

#include <algorithm>

namespace dothi::geo {
namespace {

const Vn2000Province kProvinces[] = {
    {"VN-01", "Lai Châu", "lai-chau", 103.00, 9205},
    {"VN-71", "Điện Biên", "dien-bien", 103.00, 9205},
    {"VN-05", "Sơn La", "son-la", 104.00, 9206},
    {"VN-47", "Kiên Giang", "kien-giang", 104.50, 9207},
    {"VN-59", "Cà Mau", "ca-mau", 104.50, 9207},
    {"VN-02", "Lào Cai", "lao-cai", 104.75, 9208},
    {"VN-06", "Yên Bái", "yen-bai", 104.75, 9208},
    {"VN-22", "Nghệ An", "nghe-an", 104.75, 9208},
    {"VN-68", "Phú Thọ", "phu-tho", 104.75, 9208},
    {"VN-44", "An Giang", "an-giang", 104.75, 9208},
    {"VN-HN", "Hà Nội", "ha-noi", 105.00, 5897},
    {"VN-63", "Hà Nam", "ha-nam", 105.00, 5897},
    {"VN-18", "Ninh Bình", "ninh-binh", 105.00, 5897},
    {"VN-21", "Thanh Hóa", "thanh-hoa", 105.00, 5897},
    {"VN-70", "Vĩnh Phúc", "vinh-phuc", 105.00, 5897},
    {"VN-CT", "Cần Thơ", "can-tho", 105.00, 5897},
    {"VN-73", "Hậu Giang", "hau-giang", 105.00, 5897},
    {"VN-55", "Bạc Liêu", "bac-lieu", 105.00, 5897},
    {"VN-45", "Đồng Tháp", "dong-thap", 105.00, 5897},
    {"VN-03", "Hà Giang", "ha-giang", 105.50, 9209},
    {"VN-56", "Bắc Ninh", "bac-ninh", 105.50, 9209},
    {"VN-61", "Hải Dương", "hai-duong", 105.50, 9209},
    {"VN-66", "Hưng Yên", "hung-yen", 105.50, 9209},
    {"VN-20", "Thái Bình", "thai-binh", 105.50, 9209},
    {"VN-67", "Nam Định", "nam-dinh", 105.50, 9209},
    {"VN-23", "Hà Tĩnh", "ha-tinh", 105.50, 9209},
    {"VN-37", "Tây Ninh", "tay-ninh", 105.50, 9209},
    {"VN-49", "Vĩnh Long", "vinh-long", 105.50, 9209},
    {"VN-51", "Trà Vinh", "tra-vinh", 105.50, 9209},
    {"VN-52", "Sóc Trăng", "soc-trang", 105.50, 9209},
    {"VN-04", "Cao Bằng", "cao-bang", 105.75, 9210},
    {"VN-HP", "Hải Phòng", "hai-phong", 105.75, 9210},
    {"VN-SG", "TP. Hồ Chí Minh", "ho-chi-minh", 105.75, 9210},
    {"VN-57", "Bình Dương", "binh-duong", 105.75, 9210},
    {"VN-41", "Long An", "long-an", 105.75, 9210},
    {"VN-46", "Tiền Giang", "tien-giang", 105.75, 9210},
    {"VN-50", "Bến Tre", "ben-tre", 105.75, 9210},
    {"VN-07", "Tuyên Quang", "tuyen-quang", 106.00, 9211},
    {"VN-14", "Hòa Bình", "hoa-binh", 106.00, 9211},
    {"VN-24", "Quảng Bình", "quang-binh", 106.00, 9211},
    {"VN-25", "Quảng Trị", "quang-tri", 106.25, 9212},
    {"VN-58", "Bình Phước", "binh-phuoc", 106.25, 9212},
    {"VN-53", "Bắc Kạn", "bac-kan", 106.50, 9213},
    {"VN-69", "Thái Nguyên", "thai-nguyen", 106.50, 9213},
    {"VN-54", "Bắc Giang", "bac-giang", 107.00, 9214},
    {"VN-26", "Thừa Thiên Huế", "thua-thien-hue", 107.00, 9214},
    {"VN-09", "Lạng Sơn", "lang-son", 107.25, 9215},
    {"VN-28", "Kon Tum", "kon-tum", 107.50, 9216},
    {"VN-13", "Quảng Ninh", "quang-ninh", 107.75, 5899},
    {"VN-DN", "Đà Nẵng", "da-nang", 107.75, 5899},
    {"VN-27", "Quảng Nam", "quang-nam", 107.75, 5899},
    {"VN-43", "Bà Rịa–Vũng Tàu", "ba-ria-vung-tau", 107.75, 5899},
    {"VN-39", "Đồng Nai", "dong-nai", 107.75, 5899},
    {"VN-35", "Lâm Đồng", "lam-dong", 107.75, 5899},
    {"VN-29", "Quảng Ngãi", "quang-ngai", 108.00, 5898},
    {"VN-31", "Bình Định", "binh-dinh", 108.25, 9217},
    {"VN-34", "Khánh Hòa", "khanh-hoa", 108.25, 9217},
    {"VN-36", "Ninh Thuận", "ninh-thuan", 108.25, 9217},
    {"VN-30", "Gia Lai", "gia-lai", 108.50, 9218},
    {"VN-33", "Đắk Lắk", "dak-lak", 108.50, 9218},
    {"VN-72", "Đắk Nông", "dak-nong", 108.50, 9218},
    {"VN-32", "Phú Yên", "phu-yen", 108.50, 9218},
    {"VN-40", "Bình Thuận", "binh-thuan", 108.50, 9218},
};

// The 2025 units spanning more than one TM-3 meridian (vn2000.md §6): slug -> components.
constexpr std::pair<std::string_view, std::string_view> kMixedUnits[] = {
    {"tuyen-quang", "Tuyên Quang 106°00′, Hà Giang 105°30′"},
    {"phu-tho", "Phú Thọ 104°45′, Vĩnh Phúc 105°00′, Hòa Bình 106°00′"},
    {"bac-ninh", "Bắc Ninh 105°30′, Bắc Giang 107°00′"},
    {"hai-phong", "Hải Phòng 105°45′, Hải Dương 105°30′"},
    {"ninh-binh", "Ninh Bình 105°00′, Hà Nam 105°00′, Nam Định 105°30′"},
    {"quang-tri", "Quảng Trị 106°15′, Quảng Bình 106°00′"},
    {"quang-ngai", "Quảng Ngãi 108°00′, Kon Tum 107°30′"},
    {"gia-lai", "Gia Lai 108°30′, Bình Định 108°15′"},
    {"lam-dong", "Lâm Đồng 107°45′, Đắk Nông 108°30′, Bình Thuận 108°30′"},
    {"ho-chi-minh", "TP. Hồ Chí Minh 105°45′, Bình Dương 105°45′, Bà Rịa–Vũng Tàu 107°45′"},
    {"dong-nai", "Đồng Nai 107°45′, Bình Phước 106°15′"},
    {"tay-ninh", "Tây Ninh 105°30′, Long An 105°45′"},
    {"can-tho", "Cần Thơ 105°00′, Hậu Giang 105°00′, Sóc Trăng 105°30′"},
    {"vinh-long", "Vĩnh Long 105°30′, Trà Vinh 105°30′, Bến Tre 105°45′"},
    {"dong-thap", "Đồng Tháp 105°00′, Tiền Giang 105°45′"},
    {"ca-mau", "Cà Mau 104°30′, Bạc Liêu 105°00′"},
    {"an-giang", "An Giang 104°45′, Kiên Giang 104°30′"},
};

std::string Slug(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '_') c = '-';
    s.push_back(c);
  }
  for (std::string_view prefix : {"thanh-pho-", "tp-", "tp.-", "tinh-"}) {
    if (s.rfind(prefix, 0) == 0) {
      s.erase(0, prefix.size());
      break;
    }
  }
  return s;
}

}  // namespace

const std::vector<Vn2000Province>& Vn2000Provinces() {
  static const std::vector<Vn2000Province> all(std::begin(kProvinces), std::end(kProvinces));
  return all;
}

Result<Vn2000ProvinceMatch> FindVn2000Province(std::string_view text) {
  std::string slug = Slug(text);
  if (slug == "hue" || slug == "tp-hue") slug = "thua-thien-hue";
  if (slug == "hcm" || slug == "sai-gon") slug = "ho-chi-minh";
  for (const Vn2000Province& p : kProvinces) {
    std::string iso = p.iso;
    std::transform(iso.begin(), iso.end(), iso.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (slug == p.slug || slug == iso || text == p.name) {
      Vn2000ProvinceMatch m;
      m.province = &p;
      for (const auto& [unit, components] : kMixedUnits) {
        if (unit == p.slug) m.other_meridians = std::string(components);
      }
      return m;
    }
  }
  return Status::InvalidRequest(
      "no such province for VN-2000",
      std::string(text) + " (give the pre-2025 province, e.g. VN2000:ha-noi, VN2000:VN-HN, "
                          "or the meridian, e.g. VN2000:105.75)");
}

}  // namespace dothi::geo
