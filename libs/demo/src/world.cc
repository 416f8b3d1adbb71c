#include "world.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "random.h"

namespace bidtrail::demo::internal {
namespace {

// Seeds of the fixed cast: the world does not depend on the history's seed.
constexpr uint64_t kCastSeed = 0x6269647472616974u;  // "bidtrait"

struct Province {
  const char* name;
  const char* capital;
  const char* region_code;
  double weight;
};

// Territories in World::territories order: north, northeast, east, central,
// south, west.
const std::vector<std::vector<Province>>& Provinces() {
  static const auto* const kProvinces = new std::vector<std::vector<Province>>{
      {{"Beijing", "Beijing", "110000", 1.4},
       {"Tianjin", "Tianjin", "120000", 0.8},
       {"Hebei", "Shijiazhuang", "130000", 1.0},
       {"Shanxi", "Taiyuan", "140000", 0.7},
       {"Inner Mongolia", "Hohhot", "150000", 0.6}},
      {{"Liaoning", "Shenyang", "210000", 1.0},
       {"Jilin", "Changchun", "220000", 0.7},
       {"Heilongjiang", "Harbin", "230000", 0.8}},
      {{"Shanghai", "Shanghai", "310000", 1.3},
       {"Jiangsu", "Nanjing", "320000", 1.4},
       {"Zhejiang", "Hangzhou", "330000", 1.3},
       {"Anhui", "Hefei", "340000", 0.8},
       {"Fujian", "Fuzhou", "350000", 0.8},
       {"Shandong", "Jinan", "370000", 1.2}},
      {{"Jiangxi", "Nanchang", "360000", 0.7},
       {"Henan", "Zhengzhou", "410000", 1.1},
       {"Hubei", "Wuhan", "420000", 1.0},
       {"Hunan", "Changsha", "430000", 0.9}},
      {{"Guangdong", "Guangzhou", "440000", 1.6},
       {"Guangxi", "Nanning", "450000", 0.7},
       {"Hainan", "Haikou", "460000", 0.4}},
      {{"Chongqing", "Chongqing", "500000", 0.9},
       {"Sichuan", "Chengdu", "510000", 1.1},
       {"Guizhou", "Guiyang", "520000", 0.5},
       {"Yunnan", "Kunming", "530000", 0.6},
       {"Shaanxi", "Xi'an", "610000", 0.8},
       {"Gansu", "Lanzhou", "620000", 0.4},
       {"Xinjiang", "Urumqi", "650000", 0.5}},
  };
  return *kProvinces;
}

const std::vector<std::string>& Surnames() {
  static const auto* const kSurnames = new std::vector<std::string>{
      "Wang", "Li",  "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
      "Xu",   "Sun", "Hu",    "Zhu", "Gao",  "Lin",  "He",   "Guo",   "Ma",   "Luo"};
  return *kSurnames;
}

const std::vector<std::string>& GivenNames() {
  static const auto* const kGivenNames = new std::vector<std::string>{
      "Jun", "Fang", "Lei",  "Min",  "Qiang", "Yan", "Hui", "Jie", "Tao",  "Ping",
      "Xin", "Bo",   "Hong", "Ying", "Gang",  "Li",  "Wei", "Na",  "Peng", "Rui"};
  return *kGivenNames;
}

// Contact titles per buyer kind, in buying-role order.
std::array<std::string, kRoleCount> TitlesOf(BuyerKind kind) {
  switch (kind) {
    case BuyerKind::kPower:
      return {"deputy general manager",
              "head of the dispatch centre",
              "head of the IT and communications department",
              "head of procurement",
              "dispatcher",
              "senior automation engineer"};
    case BuyerKind::kTelecom:
      return {"deputy general manager", "head of network operations",  "head of the IT department",
              "procurement manager",    "network operations engineer", "senior network engineer"};
    case BuyerKind::kBank:
      return {
          "vice president",      "head of operations",        "head of the technology department",
          "procurement manager", "branch operations officer", "systems engineer"};
    case BuyerKind::kMinistry:
      return {"deputy director-general",
              "head of the business division",
              "director of the information centre",
              "head of procurement",
              "case officer",
              "engineer, information centre"};
    case BuyerKind::kUniversity:
      return {"vice president",
              "dean of the school of engineering",
              "director of the network and information centre",
              "head of the procurement office",
              "laboratory manager",
              "network engineer"};
  }
  return {};
}

// In category order: power-automation, network-equipment, data-center,
// software, security, it-services.
std::array<double, kCategoryCount> CategoryWeightsOf(BuyerKind kind) {
  switch (kind) {
    case BuyerKind::kPower:
      return {50, 10, 10, 15, 10, 5};
    case BuyerKind::kTelecom:
      return {0, 40, 30, 5, 15, 10};
    case BuyerKind::kBank:
      return {0, 5, 25, 30, 25, 15};
    case BuyerKind::kMinistry:
      return {5, 10, 15, 30, 25, 15};
    case BuyerKind::kUniversity:
      return {0, 35, 20, 20, 10, 15};
  }
  return {};
}

v1::Party MakeParty(std::string id, std::string name) {
  v1::Party party;
  party.set_id(std::move(id));
  party.set_name(std::move(name));
  return party;
}

v1::Party Company(const std::string& region_code, const std::string& name) {
  uint64_t key = kCastSeed;
  for (char c : name) key = key * 131 + static_cast<unsigned char>(c);
  return MakeParty(UsccPartyId("91", region_code, key), name);
}

std::vector<Category> MakeCategories() {
  return {
      {"power-automation",
       {"Substation automation system upgrade", "Distribution automation terminals",
        "Dispatch and control system expansion", "Power quality monitoring system",
        "Relay protection devices, framework agreement"},
       {"Station-level equipment", "Bay-level protection and control devices",
        "Communication gateways", "Installation and commissioning",
        "Software licences and training"},
       2000000},
      {"network-equipment",
       {"Core switches and routers", "Campus network upgrade", "IP backbone capacity expansion",
        "Wireless network coverage", "SD-WAN for branch offices"},
       {"Core and aggregation switches", "Access switches", "Wireless access points",
        "Optical modules and cabling", "Installation services"},
       1500000},
      {"data-center",
       {"Data centre servers and storage", "Private cloud platform expansion",
        "Disaster recovery centre equipment", "Modular data centre room", "Backup system upgrade"},
       {"Servers", "Storage arrays", "Virtualisation software", "Power and cooling",
        "Installation and migration"},
       3000000},
      {"software",
       {"Asset management system", "Core business system upgrade", "Data governance platform",
        "Smart campus platform", "Office automation system"},
       {"Platform software", "Application development", "Data migration", "Training and support"},
       1100000},
      {"security",
       {"Network security protection (MLPS level 3)", "Security operations centre",
        "Firewalls and intrusion prevention", "Data security and audit system",
        "Endpoint protection licences"},
       {"Perimeter security devices", "Security management platform",
        "Penetration testing services", "Security hardening services"},
       900000},
      {"it-services",
       {"IT operations and maintenance services", "On-site technical support services",
        "System integration services", "Equipment maintenance, three-year framework",
        "Help desk outsourcing"},
       {"Data centre operations", "Network operations", "Desktop support", "Application support"},
       600000},
  };
}

Team MakeTeam(const std::string& territory, std::vector<std::string> sales,
              const std::string& writer, const std::string& engineer, const std::string& lazy) {
  Team team;
  team.id = "team-" + territory;
  auto actor = [&](const std::string& person) { return absl::StrCat(person, "@", team.id); };
  for (const std::string& person : sales) team.sales.push_back(actor(person));
  team.bid_writer = actor(writer);
  team.engineer = actor(engineer);
  if (!lazy.empty()) team.lazy = actor(lazy);
  return team;
}

void AddBuyer(World* world, Random* random, BuyerKind kind, int territory, const Province& province,
              std::string name, double weight, double size) {
  Buyer buyer;
  const char* type_code = kind == BuyerKind::kMinistry     ? "11"
                          : kind == BuyerKind::kUniversity ? "12"
                                                           : "91";
  buyer.party = MakeParty(UsccPartyId(type_code, province.region_code, random->Int(1, 1u << 30)),
                          std::move(name));
  buyer.kind = kind;
  buyer.territory = territory;
  buyer.province = province.name;
  buyer.weight = weight * province.weight;
  buyer.size = size * (0.7 + 0.6 * random->Uniform());
  // Our relationships are older where our head office is.
  const double home = territory == 0 ? 0.15 : territory == 2 ? 0.05 : 0.0;
  buyer.affinity = home + 0.2 * random->Normal();
  buyer.category_weights = CategoryWeightsOf(kind);
  buyer.contact_titles = TitlesOf(kind);
  for (int role = 0; role < kRoleCount; ++role) {
    buyer.contacts[role] = absl::StrCat(random->Pick(Surnames()), " ", random->Pick(GivenNames()));
  }
  world->buyers_by_territory[territory].push_back(static_cast<int>(world->buyers.size()));
  world->buyers.push_back(std::move(buyer));
}

void AddBuyers(World* world) {
  Random random(MixSeed(kCastSeed, 1));
  static const char* const kTelecoms[] = {"Mobile Communications Co., Ltd.", "Unicom Branch",
                                          "Telecom Branch"};
  static const char* const kDepartments[] = {"Department of Finance", "Public Security Department",
                                             "Department of Transport", "Health Commission"};
  world->buyers_by_territory.resize(kTerritoryCount);
  const auto& provinces = Provinces();
  for (int territory = 0; territory < kTerritoryCount; ++territory) {
    for (const Province& province : provinces[territory]) {
      const std::string name = province.name;
      AddBuyer(world, &random, BuyerKind::kPower, territory, province,
               territory == 4 ? name + " Power Grid Company" : name + " Electric Power Company",
               3.0, 1.5);
      const int telecoms = province.weight >= 1.2 ? 2 : 1;
      const int first = static_cast<int>(random.Int(0, 2));
      for (int i = 0; i < telecoms; ++i) {
        AddBuyer(world, &random, BuyerKind::kTelecom, territory, province,
                 absl::StrCat(name, " ", kTelecoms[(first + i) % 3]), 1.8 / telecoms, 1.8);
      }
      AddBuyer(world, &random, BuyerKind::kBank, territory, province,
               random.Chance(0.5) ? absl::StrCat("Bank of ", province.capital)
                                  : name + " Rural Commercial Bank",
               1.0, 1.0);
      AddBuyer(world, &random, BuyerKind::kMinistry, territory, province,
               absl::StrCat(name, " ", kDepartments[random.Int(0, 3)]), 0.9, 0.8);
      AddBuyer(world, &random, BuyerKind::kUniversity, territory, province,
               random.Chance(0.5)
                   ? absl::StrCat(province.capital, " University of Science and Technology")
                   : name + " Normal University",
               0.7, 0.4);
    }
  }
  // Ministries buy centrally, in Beijing.
  AddBuyer(world, &random, BuyerKind::kMinistry, 0, provinces[0][0],
           "Ministry of Transport Information Centre", 1.2, 1.6);
  AddBuyer(world, &random, BuyerKind::kMinistry, 0, provinces[0][0],
           "Ministry of Emergency Management Communications Centre", 1.0, 1.4);
}

}  // namespace

std::string UsccPartyId(const std::string& type_code, const std::string& region_code,
                        uint64_t key) {
  // GB 32100-2015: 31 characters (no I, O, S, V, Z); weights 3^i mod 31.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};
  Random random(MixSeed(key, 7));
  std::string code = type_code + region_code;
  // Organisation code: eight digits and letters and one digit.
  for (int i = 0; i < 8; ++i) code.push_back(kAlphabet[random.Int(0, i < 2 ? 9 : 30)]);
  code.push_back(kAlphabet[random.Int(0, 9)]);
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    const char* found = std::char_traits<char>::find(kAlphabet, 31, code[i]);
    sum += static_cast<int>(found - kAlphabet) * kWeights[i];
  }
  const int check = (31 - sum % 31) % 31;
  code.push_back(kAlphabet[check]);
  return "CN-USCC-" + code;
}

World MakeWorld(const std::string& own_party_id) {
  World world;
  world.categories = MakeCategories();
  world.territories = {{"north", 0.22},   {"northeast", 0.10}, {"east", 0.26},
                       {"central", 0.15}, {"south", 0.15},     {"west", 0.12}};
  world.teams = {
      MakeTeam("north", {"li.wei", "chen.jing"}, "zhang.min", "wang.hao", ""),
      MakeTeam("northeast", {"sun.yu", "gao.feng"}, "he.li", "lin.tao", "sun.yu"),
      MakeTeam("east", {"xu.ming", "zhu.hong"}, "ma.lin", "hu.jun", ""),
      MakeTeam("central", {"guo.qing", "luo.bin"}, "liang.yan", "song.kai", ""),
      MakeTeam("south", {"huang.wen", "zheng.hui"}, "xie.na", "tang.lei", ""),
      MakeTeam("west", {"zhao.lei", "han.xue"}, "feng.jie", "deng.yong", "zhao.lei"),
  };
  AddBuyers(&world);

  // Category order: power-automation, network-equipment, data-center,
  // software, security, it-services. Territory order: north, northeast,
  // east, central, south, west.
  world.us = {MakeParty(own_party_id, "Our company"),
              0.05,
              {0.40, -0.25, -0.35, 0.25, 0.0, 0.10},
              {0.30, 0.0, 0.15, 0.0, -0.20, -0.30},
              0.92};
  world.competitors = {
      {Company("320100", "Huadian Zhikong Automation Co., Ltd."),
       0.0,
       {0.55, -0.5, -0.5, 0.05, -0.4, -0.2},
       {0.0, 0.0, 0.25, 0.1, 0.0, 0.0},
       0.90},
      {Company("440300", "Shenzhen Tongxun Networks Co., Ltd."),
       0.15,
       {-0.3, 0.50, 0.30, -0.2, 0.20, 0.0},
       {0.0, 0.0, 0.0, 0.0, 0.35, 0.05},
       0.88},
      {Company("510100", "Chengdu Yunshu Data Technology Co., Ltd."),
       0.0,
       {-0.5, 0.0, 0.45, 0.1, -0.1, 0.0},
       {-0.1, -0.1, 0.0, 0.0, 0.0, 0.45},
       0.91},
      {Company("330100", "Hangzhou Xin'an Security Technology Co., Ltd."),
       0.0,
       {-0.5, 0.0, -0.3, 0.0, 0.55, 0.0},
       {0.0, 0.0, 0.2, 0.0, 0.0, 0.0},
       0.93},
      {Company("110000", "Beijing Jinrong Software Co., Ltd."),
       0.0,
       {-0.4, -0.3, -0.2, 0.45, 0.0, 0.2},
       {0.25, 0.0, 0.0, 0.0, 0.0, 0.0},
       0.94},
      {Company("420100", "Wuhan Guangtong Systems Integration Co., Ltd."),
       -0.05,
       {0.0, 0.15, 0.05, -0.1, 0.0, 0.40},
       {0.0, 0.0, 0.0, 0.35, 0.0, 0.0},
       0.85},
      {Company("210100", "Shenyang Beifang Electric Technology Co., Ltd."),
       -0.05,
       {0.35, -0.3, -0.4, -0.2, -0.4, 0.0},
       {0.1, 0.45, 0.0, 0.0, 0.0, 0.0},
       0.90},
  };
  world.integrators = {
      Company("310000", "Shanghai Hengtai Systems Integration Co., Ltd."),
      Company("440100", "Guangzhou Tianhe Information Engineering Co., Ltd."),
      Company("610100", "Xi'an Qinling Digital Engineering Co., Ltd."),
      Company("530100", "Kunming Dianchi Network Engineering Co., Ltd."),
  };
  world.software_vendors = {
      Company("110000", "Beijing Zhongshu Database Co., Ltd."),
      Company("320100", "Nanjing Lanxin Software Co., Ltd."),
      Company("440300", "Shenzhen Qianhai Cloud Software Co., Ltd."),
  };
  return world;
}

}  // namespace bidtrail::demo::internal
