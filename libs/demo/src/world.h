// The cast of the demo history: territories and the bid teams that own them,
// buyers, our company, competitors and partners, and the categories of what
// is bought. Internal to libs/demo. Built once per Generator; immutable after
// construction, so it may be read from several threads.
//
// The cast is the same for every seed (the seed varies the tenders, not who
// exists), so that histories of different seeds tell comparable stories: we
// are strong in power automation and software in the north and east, weak in
// data centres and in the west and south; each competitor has its own
// strongholds.
#ifndef BIDTRAIL_LIBS_DEMO_SRC_WORLD_H_
#define BIDTRAIL_LIBS_DEMO_SRC_WORLD_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::demo::internal {

inline constexpr int kCategoryCount = 6;
inline constexpr int kTerritoryCount = 6;
// The six buying roles, in BuyingRole order (BUYING_ROLE_EXECUTIVE = 1 is [0]).
inline constexpr int kRoleCount = 6;

enum class BuyerKind { kPower, kTelecom, kBank, kMinistry, kUniversity };

struct Category {
  std::string id;
  // Tender titles; the year is appended.
  std::vector<std::string> titles;
  // Titles of lots when the tender is split.
  std::vector<std::string> lot_titles;
  // Median estimated value of a tender, in CNY, before the buyer's size.
  double median_value_cny;
};

struct Team {
  std::string id;  // "team-north"
  // Actors: "li.wei@team-north".
  std::vector<std::string> sales;
  std::string bid_writer;
  std::string engineer;
  // A sales representative who has stopped visiting customers: fewer
  // activities, outcomes left unrecorded, a pipeline that goes stale.
  std::string lazy;
};

struct Territory {
  std::string id;  // "north"
  // Share of the tenders found here.
  double weight;
};

struct Buyer {
  v1::Party party;
  BuyerKind kind;
  int territory;
  std::string province;
  // How often it tenders, relative to others.
  double weight;
  // Multiplies the category's median value.
  double size;
  // Relative frequency of each category among its tenders.
  std::array<double, kCategoryCount> category_weights;
  // Our relationship with it: added to our strength on its tenders.
  double affinity;
  // One contact per buying role.
  std::array<std::string, kRoleCount> contacts;
  std::array<std::string, kRoleCount> contact_titles;
};

// A bidder's strength on a tender is base + category + territory; strength
// sets how often it bids and how well its bids score.
struct Bidder {
  v1::Party party;
  double base;
  std::array<double, kCategoryCount> category;
  std::array<double, kTerritoryCount> territory;
  // Bid price relative to the estimate: the centre of its price range.
  double price_level;
};

struct World {
  std::vector<Category> categories;
  std::vector<Territory> territories;
  std::vector<Team> teams;  // teams[i] owns territories[i]
  std::vector<Buyer> buyers;
  std::vector<std::vector<int>> buyers_by_territory;
  Bidder us;
  std::vector<Bidder> competitors;
  std::vector<v1::Party> integrators;
  std::vector<v1::Party> software_vendors;
};

// The cast, with our company under `own_party_id`.
World MakeWorld(const std::string& own_party_id);

// A Chinese Unified Social Credit Code as a party id: "CN-USCC-" followed by
// 18 characters (registration authority and type, region code, organisation
// code, check character per GB 32100-2015), derived from `key`.
std::string UsccPartyId(const std::string& type_code, const std::string& region_code, uint64_t key);

}  // namespace bidtrail::demo::internal

#endif  // BIDTRAIL_LIBS_DEMO_SRC_WORLD_H_
