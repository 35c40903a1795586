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

// Vietnamese letters (precomposed, as NFC text has them) and the ASCII letter they fold to.
constexpr std::pair<char32_t, char> kVietnamese[] = {{0x00E0, 'a'}, {0x00C0, 'a'}, {0x00E1, 'a'}, {0x00C1, 'a'}, {0x1EA3, 'a'}, {0x1EA2, 'a'}, {0x00E3, 'a'}, {0x00C3, 'a'}, {0x1EA1, 'a'}, {0x1EA0, 'a'}, {0x0103, 'a'}, {0x0102, 'a'}, {0x1EB1, 'a'}, {0x1EB0, 'a'}, {0x1EAF, 'a'}, {0x1EAE, 'a'}, {0x1EB3, 'a'}, {0x1EB2, 'a'}, {0x1EB5, 'a'}, {0x1EB4, 'a'}, {0x1EB7, 'a'}, {0x1EB6, 'a'}, {0x00E2, 'a'}, {0x00C2, 'a'}, {0x1EA7, 'a'}, {0x1EA6, 'a'}, {0x1EA5, 'a'}, {0x1EA4, 'a'}, {0x1EA9, 'a'}, {0x1EA8, 'a'}, {0x1EAB, 'a'}, {0x1EAA, 'a'}, {0x1EAD, 'a'}, {0x1EAC, 'a'}, {0x00E8, 'e'}, {0x00C8, 'e'}, {0x00E9, 'e'}, {0x00C9, 'e'}, {0x1EBB, 'e'}, {0x1EBA, 'e'}, {0x1EBD, 'e'}, {0x1EBC, 'e'}, {0x1EB9, 'e'}, {0x1EB8, 'e'}, {0x00EA, 'e'}, {0x00CA, 'e'}, {0x1EC1, 'e'}, {0x1EC0, 'e'}, {0x1EBF, 'e'}, {0x1EBE, 'e'}, {0x1EC3, 'e'}, {0x1EC2, 'e'}, {0x1EC5, 'e'}, {0x1EC4, 'e'}, {0x1EC7, 'e'}, {0x1EC6, 'e'}, {0x00EC, 'i'}, {0x00CC, 'i'}, {0x00ED, 'i'}, {0x00CD, 'i'}, {0x1EC9, 'i'}, {0x1EC8, 'i'}, {0x0129, 'i'}, {0x0128, 'i'}, {0x1ECB, 'i'}, {0x1ECA, 'i'}, {0x00F2, 'o'}, {0x00D2, 'o'}, {0x00F3, 'o'}, {0x00D3, 'o'}, {0x1ECF, 'o'}, {0x1ECE, 'o'}, {0x00F5, 'o'}, {0x00D5, 'o'}, {0x1ECD, 'o'}, {0x1ECC, 'o'}, {0x00F4, 'o'}, {0x00D4, 'o'}, {0x1ED3, 'o'}, {0x1ED2, 'o'}, {0x1ED1, 'o'}, {0x1ED0, 'o'}, {0x1ED5, 'o'}, {0x1ED4, 'o'}, {0x1ED7, 'o'}, {0x1ED6, 'o'}, {0x1ED9, 'o'}, {0x1ED8, 'o'}, {0x01A1, 'o'}, {0x01A0, 'o'}, {0x1EDD, 'o'}, {0x1EDC, 'o'}, {0x1EDB, 'o'}, {0x1EDA, 'o'}, {0x1EDF, 'o'}, {0x1EDE, 'o'}, {0x1EE1, 'o'}, {0x1EE0, 'o'}, {0x1EE3, 'o'}, {0x1EE2, 'o'}, {0x00F9, 'u'}, {0x00D9, 'u'}, {0x00FA, 'u'}, {0x00DA, 'u'}, {0x1EE7, 'u'}, {0x1EE6, 'u'}, {0x0169, 'u'}, {0x0168, 'u'}, {0x1EE5, 'u'}, {0x1EE4, 'u'}, {0x01B0, 'u'}, {0x01AF, 'u'}, {0x1EEB, 'u'}, {0x1EEA, 'u'}, {0x1EE9, 'u'}, {0x1EE8, 'u'}, {0x1EED, 'u'}, {0x1EEC, 'u'}, {0x1EEF, 'u'}, {0x1EEE, 'u'}, {0x1EF1, 'u'}, {0x1EF0, 'u'}, {0x1EF3, 'y'}, {0x1EF2, 'y'}, {0x00FD, 'y'}, {0x00DD, 'y'}, {0x1EF7, 'y'}, {0x1EF6, 'y'}, {0x1EF9, 'y'}, {0x1EF8, 'y'}, {0x1EF5, 'y'}, {0x1EF4, 'y'}, {0x0111, 'd'}, {0x0110, 'd'}};

// Lower-case ASCII with Vietnamese letters folded ("Hồ Chí Minh" -> "ho chi minh"); other
// non-ASCII code points are kept as they are.
std::string FoldVietnamese(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    if (i + len > text.size()) len = 1;
    char32_t cp = len == 1 ? b : (b & (0xFF >> (len + 1)));
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    char folded = 0;
    if (len == 1) {
      folded = static_cast<char>(b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
    } else {
      for (const auto& [from, to] : kVietnamese) {
        if (from == cp) folded = to;
      }
    }
    if (folded != 0) out.push_back(folded);
    else out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string Slug(std::string_view text) {
  std::string s;
  for (char c : FoldVietnamese(text)) {
    if (c == ' ' || c == '_') c = '-';
    if (c == '.' ) continue;
    s.push_back(c);
  }
  while (s.find("--") != std::string::npos) s.erase(s.find("--"), 1);
  for (std::string_view prefix : {"thanh-pho-", "tp-", "tinh-"}) {
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
  if (slug == "ba-ria–vung-tau") slug = "ba-ria-vung-tau";  // with its en dash
  for (const Vn2000Province& p : Vn2000Provinces()) {
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
