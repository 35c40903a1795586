#include "domain/land_use.h"

namespace dothi::domain {
namespace {

constexpr LandUseCode kCodes[] = {
    {"LUC", "Đất chuyên trồng lúa", "Land specialised for rice"},
    {"LUK", "Đất trồng lúa còn lại", "Other rice land"},
    {"LUN", "Đất trồng lúa nương", "Upland (rain-fed) rice land"},
    {"HNK", "Đất trồng cây hằng năm khác", "Land for other annual crops"},
    {"BHK", "Đất bằng trồng cây hàng năm khác", "Flat land for other annual crops"},
    {"NHK", "Đất nương rẫy trồng cây hàng năm khác", "Swidden/upland fields for other annual crops"},
    {"CLN", "Đất trồng cây lâu năm", "Perennial-crop land"},
    {"RSX", "Đất rừng sản xuất", "Production forest land"},
    {"RSN", "Đất rừng sản xuất là rừng tự nhiên", "Production forest land"},
    {"RPH", "Đất rừng phòng hộ", "Protection forest land"},
    {"RDD", "Đất rừng đặc dụng", "Special-use forest land"},
    {"NTS", "Đất nuôi trồng thủy sản", "Aquaculture land"},
    {"CNT", "Đất chăn nuôi tập trung", "Concentrated livestock-farming land"},
    {"LMU", "Đất làm muối", "Salt-production land"},
    {"NKH", "Đất nông nghiệp khác", "Other agricultural land"},
    {"ONT", "Đất ở tại nông thôn", "Rural residential land"},
    {"ODT", "Đất ở tại đô thị", "Urban residential land"},
    {"TSC", "Đất xây dựng trụ sở cơ quan", "Land for state agency offices"},
    {"CQP", "Đất quốc phòng", "National-defence land"},
    {"CAN", "Đất an ninh", "Public-security land"},
    {"DTS", "Đất xây dựng trụ sở của tổ chức sự nghiệp", "Offices of public service units"},
    {"DVH", "Đất xây dựng cơ sở văn hóa", "Cultural facilities"},
    {"DXH", "Đất xây dựng cơ sở xã hội", "Social (welfare) facilities"},
    {"DYT", "Đất xây dựng cơ sở y tế", "Health-care facilities"},
    {"DGD", "Đất xây dựng cơ sở giáo dục và đào tạo", "Education and training facilities"},
    {"DTT", "Đất xây dựng cơ sở thể dục, thể thao", "Sports facilities"},
    {"DKH", "Đất xây dựng cơ sở khoa học và công nghệ", "Science and technology facilities"},
    {"DMT", "Đất xây dựng cơ sở môi trường", "Environmental facilities"},
    {"DKT", "Đất xây dựng cơ sở khí tượng thủy văn", "Hydro-meteorological facilities"},
    {"DNG", "Đất xây dựng cơ sở ngoại giao", "Diplomatic facilities"},
    {"DSK", "Đất xây dựng công trình sự nghiệp khác", "Other public-service facilities"},
    {"SKK", "Đất khu công nghiệp", "Industrial-park land"},
    {"SKN", "Đất cụm công nghiệp", "Industrial-cluster land"},
    {"SKT", "Đất khu chế xuất", "Export-processing-zone land"},
    {"TMD", "Đất thương mại, dịch vụ", "Commercial and service land"},
    {"SKC", "Đất cơ sở sản xuất phi nông nghiệp", "Non-agricultural production facilities"},
    {"SKS", "Đất sử dụng cho hoạt động khoáng sản", "Mining land"},
    {"SKX", "Đất sản xuất vật liệu xây dựng, làm đồ gốm", "Building-material and ceramics production land"},
    {"DGT", "Đất công trình giao thông", "Transport infrastructure land"},
    {"DTL", "Đất công trình thủy lợi", "Irrigation and water-resource works"},
    {"DCT", "Đất công trình cấp nước, thoát nước", "Water supply and drainage works"},
    {"DPC", "Đất công trình phòng, chống thiên tai", "Disaster-prevention works"},
    {"DDD", "Đất có di tích lịch sử – văn hóa, danh lam thắng cảnh, di sản thiên nhiên", "Historic-cultural relics, scenic spots, natural heritage"},
    {"DDT", "Đất có di tích lịch sử – văn hóa", "Historic-cultural relic land"},
    {"DDL", "Đất danh lam thắng cảnh", "Scenic-spot land"},
    {"DRA", "Đất công trình xử lý chất thải", "Waste treatment/disposal works"},
    {"DNL", "Đất công trình năng lượng, chiếu sáng công cộng", "Energy and public-lighting works"},
    {"DBV", "Đất công trình hạ tầng bưu chính, viễn thông, công nghệ thông tin", "Postal, telecom and IT infrastructure"},
    {"DCH", "Đất chợ dân sinh, chợ đầu mối", "Markets"},
    {"DKV", "Đất khu vui chơi, giải trí công cộng, sinh hoạt cộng đồng", "Public recreation and community-activity areas"},
    {"DSH", "Đất sinh hoạt cộng đồng", "Community-activity land"},
    {"DCK", "Đất công trình công cộng khác", "Other public works"},
    {"TON", "Đất tôn giáo", "Religious land"},
    {"TIN", "Đất tín ngưỡng", "Folk-belief sites"},
    {"NTD", "Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng; đất cơ sở lưu giữ tro cốt", "Cemeteries, funeral homes, crematoria, columbaria"},
    {"SON", "Đất có mặt nước dạng sông, ngòi, kênh, rạch, suối", "Rivers, canals, creeks and streams"},
    {"MNC", "Đất có mặt nước chuyên dùng", "Special-use water surface"},
    {"PNK", "Đất phi nông nghiệp khác", "Other non-agricultural land"},
    {"BCS", "Đất bằng chưa sử dụng", "Unused flat land"},
    {"DCS", "Đất đồi núi chưa sử dụng", "Unused hill and mountain land"},
    {"NCS", "Núi đá không có rừng cây", "Rocky mountain without forest"},
    {"MCS", "Đất có mặt nước chưa sử dụng", "Unused water surface"},
    {"NNP", "Nhóm đất nông nghiệp", "Agricultural land"},
    {"SXN", "Đất sản xuất nông nghiệp", "Agricultural production land"},
    {"CHN", "Đất trồng cây hàng năm", "Annual-crop land"},
    {"LUA", "Đất trồng lúa", "Rice land"},
    {"LNP", "Đất lâm nghiệp", "Forestry land"},
    {"PNN", "Nhóm đất phi nông nghiệp", "Non-agricultural land"},
    {"OTC", "Đất ở", "Residential land"},
    {"CDG", "Đất chuyên dùng", "Special-use land"},
    {"DSN", "Đất xây dựng công trình sự nghiệp", "Public-service facilities"},
    {"CSK", "Đất sản xuất, kinh doanh phi nông nghiệp", "Non-agricultural production and business land"},
    {"CCC", "Đất sử dụng vào mục đích công cộng", "Public-purpose land"},
    {"CSD", "Nhóm đất chưa sử dụng", "Unused land"},
    {"DSH", "DKV", "[unverified]"},    {"CXX", "Đất cây xanh", "Green space (zoning plans)"},
};

}  // namespace

const LandUseCode* FindLandUse(std::string_view code) {
  for (const LandUseCode& c : kCodes) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

}  // namespace dothi::domain
