// The commands that ask questions (QueriesService).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "commands.h"
#include "google/protobuf/duration.pb.h"

namespace bidtrail::cli {
namespace {

// Applies optional --NAME flags of each kind to request fields.
absl::Status TimeFlag(const Args& args, const char* name, google::protobuf::Timestamp* out,
                      bool* present = nullptr) {
  absl::StatusOr<std::optional<absl::Time>> time = args.Time(name);
  if (!time.ok()) return time.status();
  if (*time) ToProtoTime(**time, out);
  if (present != nullptr) *present = time->has_value();
  return absl::OkStatus();
}

// --from and --to into a request's from/to (left unset when not given).
template <typename Request>
absl::Status PeriodFlags(const Args& args, Request* request) {
  bool has_from = false;
  bool has_to = false;
  RETURN_IF_ERROR(TimeFlag(args, "from", request->mutable_from(), &has_from));
  RETURN_IF_ERROR(TimeFlag(args, "to", request->mutable_to(), &has_to));
  if (!has_from) request->clear_from();
  if (!has_to) request->clear_to();
  return absl::OkStatus();
}

absl::Status DurationFlag(const Args& args, const char* name, google::protobuf::Duration* out) {
  absl::StatusOr<std::optional<absl::Duration>> duration = args.Duration(name);
  if (!duration.ok()) return duration.status();
  if (*duration) ToProtoDuration(**duration, out);
  return absl::OkStatus();
}

// --currency and --rate CUR=VALUE.
absl::Status ReportingFlags(const Args& args, v1::Reporting* reporting) {
  reporting->set_currency(absl::AsciiStrToUpper(args.Get("currency")));
  for (const std::string& rate : args.GetAll("rate")) {
    std::vector<std::string> parts = absl::StrSplit(rate, absl::MaxSplits('=', 1));
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rate: \"", rate, "\"; write CUR=VALUE, e.g. CNY=0.14"));
    }
    (*reporting->mutable_rates())[absl::AsciiStrToUpper(parts[0])] = parts[1];
  }
  return absl::OkStatus();
}

// A group's value won or lost: in the reporting currency when the server
// converted it (the currencies without a rate beside it, "+ 300 EUR"), else
// per currency, "547,614,270 CNY; 156,918 USD". In JSON: the per-currency
// list; the converted total is a column of its own.
Cell Totals(const google::protobuf::RepeatedPtrField<v1::MoneyTotal>& totals,
            const v1::MoneyTotal* converted,
            const google::protobuf::RepeatedPtrField<v1::MoneyTotal>& unconverted) {
  auto human = [](const v1::MoneyTotal& total) {
    v1::Money money;
    money.set_amount(total.amount());
    money.set_currency(total.currency());
    return HumanMoney(money);
  };
  std::vector<std::string> parts;
  std::vector<std::string> json;
  for (const v1::MoneyTotal& total : totals) {
    parts.push_back(human(total));
    json.push_back(absl::StrCat("{\"currency\":", JsonString(total.currency()),
                                ",\"amount\":", JsonString(total.amount()), "}"));
  }
  Cell cell;
  cell.text = parts.empty() ? "-" : absl::StrJoin(parts, "; ");
  if (converted != nullptr && !parts.empty()) {
    cell.text = human(*converted);
    for (const v1::MoneyTotal& rest : unconverted) absl::StrAppend(&cell.text, " + ", human(rest));
  }
  cell.json = absl::StrCat("[", absl::StrJoin(json, ","), "]");
  cell.numeric = true;
  return cell;
}

// A sum in one currency, a plain number in CSV; "" when absent.
Cell AmountIn(const google::protobuf::RepeatedPtrField<v1::MoneyTotal>& totals,
              const std::string& currency) {
  for (const v1::MoneyTotal& total : totals) {
    if (total.currency() == currency) {
      Cell cell = Cell::Text(total.amount());
      cell.json = total.amount();
      cell.numeric = true;
      return cell;
    }
  }
  Cell cell = Cell::Null();
  cell.numeric = true;
  return cell;
}

// After a table of analytics: which currencies had no rate, and the fix.
void RateHint(const google::protobuf::RepeatedPtrField<std::string>& without_rate,
              const std::string& reporting, bool banded) {
  if (without_rate.empty()) return;
  const std::string currencies = absl::StrJoin(without_rate, ", ");
  std::printf(
      "\nNo exchange rate for %s: %s. Give --rate %s=VALUE (one %s in %s), or start bidtraild "
      "with --rates FILE (docs/analytics.md).\n",
      currencies.c_str(),
      banded ? "those amounts are \"unrated\" and their values not converted"
             : "those values are shown apart, not converted",
      without_rate[0].c_str(), without_rate[0].c_str(), reporting.c_str());
}

// How long until `due` (negative: how long since), "in 2d3h" or "5h ago".
Cell Relative(absl::Time due, absl::Time now) {
  const absl::Duration left = due - now;
  return Cell::Duration(left, left >= absl::ZeroDuration()
                                  ? absl::StrCat("in ", HumanDuration(left))
                                  : absl::StrCat(HumanDuration(-left), " ago"));
}

const FlagSpec kRates{"rate", "CUR=VALUE",
                      "value of one unit of CUR in the reporting currency, e.g. CNY=0.14", true};
const FlagSpec kCurrency{"currency", "CUR",
                         "the currency values are converted into with the rates (default USD)"};
const FlagSpec kThresholdsIn{"thresholds-in", "CUR",
                             "the currency of the size and potential thresholds: amounts are "
                             "converted into it to be banded (default USD)"};
const FlagSpec kBidder{"bidder", "ID", "whose metrics (default: our own party)"};
const FlagSpec kSource{"source", "S", "own (entered by us) or import (public data); default both"};

// --source: "", "own" or "import".
absl::StatusOr<std::string> SourceFlag(const Args& args) {
  return args.Word("source", {"own", "import"});
}

int Deadlines(const Client& client, const Args& args) {
  v1::DeadlinesRequest request;
  bool has_as_of = false;
  if (absl::Status status = TimeFlag(args, "as-of", request.mutable_as_of(), &has_as_of);
      !status.ok()) {
    return Usage(status);
  }
  if (!has_as_of) request.clear_as_of();
  for (const auto& [flag, field] : std::vector<std::pair<const char*, google::protobuf::Duration*>>{
           {"within", request.mutable_within()},
           {"lookback", request.mutable_overdue_lookback()},
           {"docs-risk", request.mutable_documents_risk_window()},
           {"bid-risk", request.mutable_submission_risk_window()},
           {"stale-after", request.mutable_stale_after()}}) {
    if (absl::Status status = DurationFlag(args, flag, field); !status.ok()) return Usage(status);
  }
  if (!args.Has("within")) request.clear_within();
  if (!args.Has("lookback")) request.clear_overdue_lookback();
  if (!args.Has("docs-risk")) request.clear_documents_risk_window();
  if (!args.Has("bid-risk")) request.clear_submission_risk_window();
  if (!args.Has("stale-after")) request.clear_stale_after();
  request.set_territory(args.Get("territory"));
  request.set_owner_team(args.Get("team"));
  request.set_mine(args.Has("mine"));
  request.set_buyer_id(args.Get("buyer"));
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  request.set_page_size(1000);
  const absl::Time now = has_as_of ? FromProtoTime(request.as_of()) : absl::Now();
  Table board(
      {"due", "when:duration", "tender_id", "deadline", "flag", "title", "territory", "team"});
  Table stale({"tender_id", "idle:duration", "last_event", "title", "territory", "team"});
  // Each buyer's incumbent, once, with the tenders on the board it concerns
  // (docs/analytics.md, "Signals").
  struct Incumbent {
    std::string buyer;
    std::string summary;
    std::vector<std::string> tenders;
  };
  std::vector<Incumbent> incumbents;
  do {
    v1::DeadlinesResponse response;
    auto context = client.Context();
    const grpc::Status status = client.queries->Deadlines(context.get(), request, &response);
    if (!status.ok()) return client.Fail(status);
    for (const v1::DeadlineItem& item : response.deadlines()) {
      const absl::Time due = FromProtoTime(item.due());
      const std::string flag = item.overdue()   ? "OVERDUE"
                               : item.at_risk() ? "AT RISK"
                               : item.done()    ? "done"
                                                : "";
      std::string kind = item.kind();
      if (kind == "documents_available_until") kind = "documents";
      if (kind == "submission_deadline") kind = "submission";
      if (kind == "bid_opening_at") kind = "opening";
      board.Add({Cell::Time(due, item.time_zone()), Relative(due, now),
                 Cell::Text(item.tender_id()), Cell::Text(kind), Cell::Text(flag),
                 Cell::Text(item.title()), Cell::Text(item.territory()),
                 Cell::Text(item.owner_team())});
      if (item.has_incumbent()) {
        auto seen = std::find_if(incumbents.begin(), incumbents.end(), [&](const Incumbent& one) {
          return one.buyer == item.buyer().id();
        });
        if (seen == incumbents.end()) {
          seen = incumbents.insert(
              incumbents.end(),
              Incumbent{item.buyer().id(),
                        absl::StrCat(
                            item.buyer().name().empty() ? item.buyer().id() : item.buyer().name(),
                            ": ", item.incumbent().summary()),
                        {}});
        }
        if (std::find(seen->tenders.begin(), seen->tenders.end(), item.tender_id()) ==
            seen->tenders.end()) {
          seen->tenders.push_back(item.tender_id());
        }
      }
    }
    for (const v1::StaleTender& tender : response.stale()) {
      stale.Add({Cell::Text(tender.tender_id()), Cell::Duration(FromProtoDuration(tender.idle())),
                 Cell::Time(FromProtoTime(tender.last_event_at()), tender.time_zone()),
                 Cell::Text(tender.title()), Cell::Text(tender.territory()),
                 Cell::Text(tender.owner_team())});
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  // One table per output: the board, or with --stale the stale tenders, so
  // that `--csv > file` is one table a spreadsheet opens.
  if (client.format != Format::kTable) {
    (args.Has("stale") ? stale : board).Print(client.format);
    return 0;
  }
  if (!args.Has("stale")) {
    std::printf("Deadlines\n");
    board.Print(client.format, "(nothing due)");
    std::printf("\n");
    if (!incumbents.empty()) std::printf("Buyers with an incumbent\n");
    for (const Incumbent& one : incumbents) {
      std::printf("  %s (%s)\n", one.summary.c_str(), absl::StrJoin(one.tenders, ", ").c_str());
    }
    if (!incumbents.empty()) std::printf("\n");
  }
  ASSIGN_OR_USAGE(const std::optional<uint64_t> limit, args.Number("stale-limit"));
  const size_t shown =
      args.Has("stale") ? stale.rows() : std::min<size_t>(stale.rows(), limit.value_or(10));
  std::printf("Stale tenders (no event for %s): %zu%s\n", args.Get("stale-after", "14d").c_str(),
              stale.rows(),
              shown < stale.rows() ? absl::StrCat(", the ", shown, " idle longest").c_str() : "");
  stale.Print(client.format, "(none)", shown);
  return 0;
}

// Who recorded an entry, and the service that wrote it for them when one did:
// "zhu.hong via demo-loader".
Cell ActorCell(const v1::TimelineEntry& entry) {
  return Cell::Text(entry.written_by().empty()
                        ? entry.actor()
                        : absl::StrCat(entry.actor(), " via ", entry.written_by()));
}

// An entry of a timeline or an audit, with its late recording flagged: both
// times are in their own columns.
std::string DescribeEntry(const v1::TimelineEntry& entry) {
  std::string text =
      entry.has_event() ? DescribeEvent(entry.event()) : absl::StrCat("(", entry.type(), ")");
  if (entry.has_late()) {
    const v1::RecordedLate& late = entry.late();
    absl::StrAppend(
        &text, " [RECORDED ",
        HumanDuration(FromProtoTime(entry.recorded_at()) - FromProtoTime(entry.occurred_at())),
        " LATE: ", late.reason(),
        late.deadline().empty()
            ? ""
            : absl::StrCat("; claims to meet the ",
                           late.deadline() == "submission_deadline" ? "submission deadline"
                                                                    : "documents cut-off",
                           ", approved by ", late.approver()),
        "]");
  }
  if (entry.has_voided()) {
    const v1::Voiding& voided = entry.voided();
    text = absl::StrCat("VOIDED: ", text, " [voided by ", voided.actor(), " at ",
                        HumanTime(FromProtoTime(voided.recorded_at())), " (position ",
                        voided.position(), "): ", voided.reason(), "]");
  }
  return text;
}

int Timeline(const Client& client, const Args& args) {
  v1::TimelineRequest request;
  request.set_tender_id(args.positional()[0]);
  v1::TimelineResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->Timeline(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response, response.time_zone()).c_str());
    return 0;
  }
  Table events({"position", "revision", "occurred", "recorded", "actor", "event"});
  events.ForTender(response.time_zone());
  for (const v1::TimelineEntry& entry : response.entries()) {
    events.Add({Cell::Position(entry.position()), Cell::Position(entry.revision()),
                Cell::Time(FromProtoTime(entry.occurred_at()), response.time_zone()),
                Cell::Time(FromProtoTime(entry.recorded_at()), response.time_zone()),
                ActorCell(entry), Cell::Text(DescribeEntry(entry))});
  }
  events.Print(client.format);
  if (client.format != Format::kTable) return 0;
  std::printf("\nPhases\n");
  Table phases({"from", "to", "took:duration"});
  for (const v1::PhaseDuration& phase : response.durations()) {
    phases.Add({Cell::Text(phase.from_phase()), Cell::Text(phase.to_phase()),
                Cell::Duration(FromProtoDuration(phase.duration()))});
  }
  phases.Print(client.format);
  std::printf("\nDeadlines\n");
  if (!response.in_pipeline()) {
    std::printf(
        "(imported market intelligence, not in our pipeline: its deadlines were never ours; "
        "`bidtrail tender track %s` takes it up)\n",
        request.tender_id().c_str());
  }
  Table deadlines({"deadline", "due", "done", "outcome"});
  deadlines.ForTender(response.time_zone());
  for (const v1::DeadlineOutcome& outcome : response.deadlines()) {
    const absl::Duration margin = FromProtoDuration(outcome.margin());
    std::string verdict;
    if (outcome.has_done_at()) {
      verdict = outcome.met() ? absl::StrCat("met, ", HumanDuration(margin), " early")
                              : absl::StrCat("MISSED by ", HumanDuration(-margin));
    } else {
      verdict = outcome.open()
                    ? absl::StrCat("open, ", HumanDuration(margin), " left")
                    : absl::StrCat("MISSED (not done), due ", HumanDuration(-margin), " ago");
    }
    if (!outcome.approved_late_by().empty()) {
      absl::StrAppend(&verdict, " (recorded after the deadline; approved by ",
                      outcome.approved_late_by(), ")");
    }
    deadlines.Add({Cell::Text(outcome.deadline()),
                   Cell::Time(FromProtoTime(outcome.due()), response.time_zone()),
                   Cell::Time(outcome.has_done_at()
                                  ? std::optional<absl::Time>(FromProtoTime(outcome.done_at()))
                                  : std::nullopt,
                              response.time_zone()),
                   Cell::Text(verdict)});
  }
  deadlines.Print(client.format);
  std::printf("\n%u amendment(s)\n", response.amendment_count());
  if (response.has_incumbent()) {
    std::printf("The buyer: %s (`bidtrail signals --tender %s`)\n",
                response.incumbent().summary().c_str(), request.tender_id().c_str());
  }
  return 0;
}

std::string SignalWord(v1::SignalKind kind) {
  return absl::StrReplaceAll(EnumWord(*v1::SignalKind_descriptor(), kind), {{"_", " "}});
}

Cell RateCell(bool has, double rate) {
  return Cell::Percent(has ? std::optional<double>(rate) : std::nullopt);
}

void PrintBuyer(const v1::BuyerSignals& buyer) {
  std::printf(
      "Buyer %s%s: %u competitions, %u competitive with bidding over, %u with a single "
      "bid%s\n",
      buyer.buyer().id().c_str(),
      buyer.buyer().name().empty() ? "" : (" (" + buyer.buyer().name() + ")").c_str(),
      buyer.competitions(), buyer.competitive(), buyer.single_bid(),
      buyer.has_single_bid_rate()
          ? absl::StrCat(" (", absl::StrFormat("%.0f%%", 100 * buyer.single_bid_rate()), ")")
                .c_str()
          : "");
  if (buyer.has_top_supplier_share()) {
    std::printf("  %u awards, %s %s in all; %s took %.0f%% of it\n", buyer.awards(),
                GroupThousands(buyer.awarded_value()).c_str(), buyer.currency().c_str(),
                buyer.top_supplier().id().c_str(), 100 * buyer.top_supplier_share());
  }
  if (buyer.has_incumbent()) std::printf("  %s\n", buyer.incumbent().summary().c_str());
  std::vector<std::string> counts;
  for (const v1::SignalCount& count : buyer.counts()) {
    counts.push_back(absl::StrCat(SignalWord(count.kind()), " ", count.count()));
  }
  if (!counts.empty()) {
    std::printf("  flagged competitions: %u (%s)\n", buyer.flagged_competitions(),
                absl::StrJoin(counts, ", ").c_str());
  }
}

int SignalsCommand(const Client& client, const Args& args) {
  v1::SignalsRequest request;
  request.set_tender_id(args.Get("tender"));
  request.set_buyer_id(args.Get("buyer"));
  if (!request.tender_id().empty() && !request.buyer_id().empty()) {
    return Usage("give --tender or --buyer, not both (neither: the top buyers)");
  }
  ASSIGN_OR_USAGE(const std::optional<uint64_t> top, args.Number("top"));
  if (top) request.set_top(static_cast<uint32_t>(std::min<uint64_t>(*top, 1u << 30)));
  ASSIGN_OR_USAGE(const std::optional<uint64_t> days, args.Number("short-days"));
  if (days)
    request.set_short_period_days(static_cast<uint32_t>(std::min<uint64_t>(*days, 1u << 30)));
  if (absl::Status s = PeriodFlags(args, &request); !s.ok()) return Usage(s);
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  v1::SignalsResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->Signals(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response).c_str());
    return 0;
  }
  const bool top_buyers = request.tender_id().empty() && request.buyer_id().empty();
  Table signals({"date", "tender_id", "lot", "signal", "detail"});
  for (const v1::CompetitionSignal& signal : response.signals()) {
    signals.Add({Cell::Time(FromProtoTime(signal.date())), Cell::Text(signal.tender_id()),
                 Cell::Text(signal.lot_id()), Cell::Text(SignalWord(signal.kind())),
                 Cell::Text(signal.detail())});
  }
  Table buyers({"buyer_id", "name", "competitions", "competitive", "single_bid_rate",
                "top_supplier", "top_supplier_share", "flagged", "incumbent"});
  for (const v1::BuyerSignals& buyer : response.buyers()) {
    buyers.Add({Cell::Text(buyer.buyer().id()), Cell::Text(buyer.buyer().name()),
                Cell::Integer(buyer.competitions()), Cell::Integer(buyer.competitive()),
                RateCell(buyer.has_single_bid_rate(), buyer.single_bid_rate()),
                Cell::Text(buyer.top_supplier().id()),
                RateCell(buyer.has_top_supplier_share(), buyer.top_supplier_share()),
                Cell::Integer(buyer.flagged_competitions()),
                Cell::Text(buyer.incumbent().summary())});
  }
  if (client.format == Format::kCsv) {
    (top_buyers ? buyers : signals).Print(client.format);
    return 0;
  }
  if (top_buyers) {
    std::printf("Buyers with the most flagged competitions\n");
    buyers.Print(client.format, "(no competition)");
  } else {
    for (const v1::BuyerSignals& buyer : response.buyers()) PrintBuyer(buyer);
    std::printf("\n%s\n", request.tender_id().empty()
                              ? "Flagged competitions of the buyer"
                              : absl::StrCat("Signals of tender ", request.tender_id()).c_str());
    signals.Print(client.format, "(no signal)");
  }
  if (!response.suppliers().empty()) {
    std::printf("\nSuppliers whose awards (3 or more) all come from one buyer\n");
    Table suppliers({"supplier_id", "name", "awards", "buyer_id"});
    for (const v1::SupplierSignal& supplier : response.suppliers()) {
      suppliers.Add({Cell::Text(supplier.supplier().id()), Cell::Text(supplier.supplier().name()),
                     Cell::Integer(supplier.awards()), Cell::Text(supplier.buyer().id())});
    }
    suppliers.Print(client.format);
  }
  if (response.has_price_gap_threshold() && response.price_gap_threshold() > 0) {
    std::printf(
        "\nPrice close to the winning bid: a runner-up less than %.1f%% above the winning "
        "bid (Q1 - 1.5 IQR of %u gaps)\n",
        100 * response.price_gap_threshold(), response.price_gaps());
  } else if (response.has_price_gap_threshold()) {
    std::printf(
        "\nPrice close to the winning bid: no runner-up is a low outlier here (Q1 - 1.5 "
        "IQR of the %u gaps is %.1f%%, below zero: the gaps are too spread out)\n",
        response.price_gaps(), 100 * response.price_gap_threshold());
  }

  return 0;
}

absl::StatusOr<v1::WinLossGroupBy> GroupBy(const std::string& word) {
  if (word.empty()) return v1::WIN_LOSS_GROUP_BY_UNSPECIFIED;
  std::string upper = absl::AsciiStrToUpper(word);
  std::replace(upper.begin(), upper.end(), '-', '_');
  if (upper == "SEGMENT") upper = "CUSTOMER_SEGMENT";
  if (upper == "TEAM") upper = "OWNER_TEAM";
  if (upper == "METHOD") upper = "PROCUREMENT_METHOD";
  if (upper == "CHANNEL") upper = "DISCOVERY_CHANNEL";
  v1::WinLossGroupBy value;
  if (v1::WinLossGroupBy_Parse("WIN_LOSS_GROUP_BY_" + upper, &value) &&
      value != v1::WIN_LOSS_GROUP_BY_UNSPECIFIED) {
    return value;
  }
  return NotOneOf("by", word,
                  {"bidder", "buyer", "territory", "category", "competitor", "team", "quarter",
                   "deal-size", "method", "channel", "segment"});
}

int WinRate(const Client& client, const Args& args) {
  v1::WinLossRequest request;
  absl::StatusOr<v1::WinLossGroupBy> group_by = GroupBy(args.Get("by"));
  if (!group_by.ok()) return Usage(group_by.status());
  request.set_group_by(*group_by);
  if (absl::Status s = PeriodFlags(args, &request); !s.ok()) return Usage(s);
  request.set_bidder_id(args.Get("bidder"));
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  request.set_territory(args.Get("territory"));
  request.set_owner_team(args.Get("team"));
  request.set_buyer_id(args.Get("buyer"));
  request.set_category(args.Get("category"));
  if (absl::Status s = ReportingFlags(args, request.mutable_reporting()); !s.ok()) {
    return Usage(s);
  }
  request.mutable_deal_size()->set_medium_from(args.Get("medium-from"));
  request.mutable_deal_size()->set_large_from(args.Get("large-from"));
  request.mutable_deal_size()->set_currency(absl::AsciiStrToUpper(args.Get("thresholds-in")));
  request.set_page_size(1000);
  std::vector<v1::WinLossGroup> groups;
  v1::WinLossResponse last;
  do {
    last.Clear();
    auto context = client.Context();
    const grpc::Status status = client.queries->WinLoss(context.get(), request, &last);
    if (!status.ok()) return client.Fail(status);
    for (v1::WinLossGroup& group : *last.mutable_groups()) groups.push_back(std::move(group));
    request.set_page_token(last.next_page_token());
  } while (!request.page_token().empty());
  // CSV: one column per currency, so that every cell is a number.
  std::set<std::string> currencies;
  bool converted = false;
  for (const v1::WinLossGroup& group : groups) {
    for (const v1::MoneyTotal& total : group.value_won()) currencies.insert(total.currency());
    for (const v1::MoneyTotal& total : group.value_lost()) currencies.insert(total.currency());
    converted |= group.has_value_won_converted();
  }
  const std::string reporting = last.reporting_currency();
  std::vector<std::string> columns = {"group",
                                      "name",
                                      "bid",
                                      "won",
                                      "lost",
                                      "pending",
                                      "void",
                                      "disqualified",
                                      "win_rate",
                                      "bid_rate",
                                      "no_bid",
                                      "mean_bidders",
                                      "median_price_gap",
                                      "median_cycle_days",
                                      "awards_before_tender"};
  if (client.format == Format::kCsv) {
    for (const char* what : {"value_won", "value_lost"}) {
      for (const std::string& currency : currencies) {
        columns.push_back(absl::StrCat(what, "_", currency));
      }
      if (converted) columns.push_back(absl::StrCat(what, "_in_", reporting));
    }
  } else {
    columns.insert(columns.end(), {"value_won", "value_lost"});
    if (converted && client.format == Format::kJson) {
      columns.insert(columns.end(), {"value_won_converted:money", "value_lost_converted:money"});
    }
  }
  Table table(columns);
  for (const v1::WinLossGroup& group : groups) {
    std::vector<Cell> row = {
        Cell::Text(group.group()),
        Cell::Text(group.label()),
        Cell::Integer(group.bid()),
        Cell::Integer(group.won()),
        Cell::Integer(group.lost()),
        Cell::Integer(group.pending()),
        Cell::Integer(group.void_()),
        Cell::Integer(group.disqualified()),
        Cell::Percent(group.has_win_rate() ? std::optional<double>(group.win_rate())
                                           : std::nullopt),
        Cell::Percent(group.has_bid_rate() ? std::optional<double>(group.bid_rate())
                                           : std::nullopt),
        Cell::Integer(group.no_bid()),
        group.has_mean_bidders() ? Cell::Number(group.mean_bidders(), 1) : Cell::Null(),
        Cell::Percent(group.has_median_price_gap() ? std::optional<double>(group.median_price_gap())
                                                   : std::nullopt),
        group.has_median_cycle_time()
            ? Cell::Number(absl::ToDoubleHours(FromProtoDuration(group.median_cycle_time())) / 24,
                           1)
            : Cell::Null(),
        Cell::Integer(group.awards_before_tender())};
    if (client.format == Format::kCsv) {
      for (const auto* totals : {&group.value_won(), &group.value_lost()}) {
        for (const std::string& currency : currencies) row.push_back(AmountIn(*totals, currency));
        if (!converted) continue;
        const v1::MoneyTotal& sum = totals == &group.value_won() ? group.value_won_converted()
                                                                 : group.value_lost_converted();
        google::protobuf::RepeatedPtrField<v1::MoneyTotal> one;
        *one.Add() = sum;
        row.push_back(AmountIn(one, reporting));
      }
    } else {
      row.push_back(Totals(group.value_won(),
                           group.has_value_won_converted() ? &group.value_won_converted() : nullptr,
                           group.value_won_unconverted()));
      row.push_back(
          Totals(group.value_lost(),
                 group.has_value_lost_converted() ? &group.value_lost_converted() : nullptr,
                 group.value_lost_unconverted()));
      if (converted && client.format == Format::kJson) {
        for (const v1::MoneyTotal* sum :
             {&group.value_won_converted(), &group.value_lost_converted()}) {
          v1::Money money;
          money.set_amount(sum->amount());
          money.set_currency(sum->currency());
          row.push_back(sum->currency().empty() ? Cell::NoMoney() : Cell::Money(money));
        }
      }
    }
    table.Add(std::move(row));
  }
  if (client.format == Format::kTable) {
    // The subject, as the rows are: every bidder's own record, or one
    // bidder's record grouped; and the currency values are in.
    std::printf("%s%s\n",
                *group_by == v1::WIN_LOSS_GROUP_BY_BIDDER
                    ? "Win/loss of every bidder: each row is that bidder's own record"
                    : absl::StrCat("Win/loss of ", last.bidder_id(),
                                   *group_by == v1::WIN_LOSS_GROUP_BY_UNSPECIFIED
                                       ? std::string()
                                       : absl::StrCat(" by ", args.Get("by")))
                          .c_str(),
                converted ? absl::StrCat("; values in ", reporting).c_str() : "");
  }
  if (client.format == Format::kTable && *group_by == v1::WIN_LOSS_GROUP_BY_DEAL_SIZE) {
    const std::string in = args.Has("thresholds-in")
                               ? absl::AsciiStrToUpper(args.Get("thresholds-in"))
                               : std::string("USD");
    std::printf(
        "deal size (award, else the bid, else the estimate) in %s: small < %s <= medium < "
        "%s <= large\n",
        in.c_str(), GroupThousands(args.Get("medium-from", "50000")).c_str(),
        GroupThousands(args.Get("large-from", "500000")).c_str());
  }
  table.Print(client.format, "(no competitions)");
  if (client.format == Format::kTable) {
    RateHint(last.currencies_without_rate(), reporting,
             *group_by == v1::WIN_LOSS_GROUP_BY_DEAL_SIZE);
  }
  return 0;
}

int Segments(const Client& client, const Args& args) {
  v1::SegmentsRequest request;
  bool has_as_of = false;
  if (absl::Status s = TimeFlag(args, "as-of", request.mutable_as_of(), &has_as_of); !s.ok()) {
    return Usage(s);
  }
  if (!has_as_of) request.clear_as_of();
  if (absl::Status s = DurationFlag(args, "window", request.mutable_window()); !s.ok()) {
    return Usage(s);
  }
  if (!args.Has("window")) request.clear_window();
  request.set_bidder_id(args.Get("bidder"));
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  if (absl::Status s = ReportingFlags(args, request.mutable_reporting()); !s.ok()) return Usage(s);
  request.mutable_thresholds()->set_currency(absl::AsciiStrToUpper(args.Get("thresholds-in")));
  v1::SegmentsResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->Segments(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (args.Has("buyers")) {
    Table buyers({"buyer_id", "buyer", "potential", "share_band", "share", "awarded_value:money",
                  "our_awarded_value:money"});
    auto money = [&](const std::string& amount) {
      v1::Money value;
      value.set_amount(amount);
      value.set_currency(response.reporting_currency());
      return Cell::Money(value);
    };
    for (const v1::BuyerSegment& buyer : response.buyers()) {
      buyers.Add({Cell::Text(buyer.buyer().id()), Cell::Text(buyer.buyer().name()),
                  Cell::Text(buyer.potential()), Cell::Text(buyer.share_band()),
                  Cell::Percent(buyer.share()), money(buyer.awarded_value()),
                  money(buyer.our_awarded_value())});
    }
    buyers.Print(client.format, "(no buyer with awards in the window)");
    if (client.format == Format::kTable) {
      RateHint(response.currencies_without_rate(), response.reporting_currency(), true);
    }
    return 0;
  }
  if (client.format == Format::kTable) {
    const std::string in = args.Has("thresholds-in")
                               ? absl::AsciiStrToUpper(args.Get("thresholds-in"))
                               : std::string("USD");
    std::printf(
        "Customer nine-grid: each buyer by its awards of the last %s (potential, in %s: small < "
        "500,000 <= medium < 5,000,000 <= large) and our share of them (growth < 10%% <= "
        "development < 30%% <= consolidation); --buyers lists them\n",
        args.Get("window", "365d").c_str(), in.c_str());
  }
  Table cells({"potential", "share_band", "buyers", "won", "lost", "win_rate", "work"});
  for (const v1::SegmentCell& cell : response.cells()) {
    const std::string work = cell.share_band() == "growth" ? "awareness: events, seminars"
                             : cell.share_band() == "development"
                                 ? "visits, technical exchanges, trials"
                                 : "satisfaction and service";
    cells.Add(
        {Cell::Text(cell.potential()), Cell::Text(cell.share_band()), Cell::Integer(cell.buyers()),
         Cell::Integer(cell.won()), Cell::Integer(cell.lost()),
         Cell::Percent(cell.has_win_rate() ? std::optional<double>(cell.win_rate()) : std::nullopt),
         Cell::Text(work)});
  }
  cells.Print(client.format);
  if (client.format == Format::kTable && response.unconverted_awards() > 0) {
    std::printf("\n%u award(s) left out of the buyers' totals.", response.unconverted_awards());
    RateHint(response.currencies_without_rate(), response.reporting_currency(), true);
  }
  return 0;
}

int Competitors(const Client& client, const Args& args) {
  v1::CompetitorsRequest request;
  request.set_bidder_id(args.Get("bidder"));
  if (absl::Status s = PeriodFlags(args, &request); !s.ok()) return Usage(s);
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  v1::CompetitorsResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->Competitors(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  Table table({"competitor", "name", "met", "their_wins", "our_wins", "mean_price_difference"});
  for (const v1::CompetitorSummary& summary : response.competitors()) {
    table.Add({Cell::Text(summary.competitor().id()), Cell::Text(summary.competitor().name()),
               Cell::Integer(summary.met()), Cell::Integer(summary.their_wins()),
               Cell::Integer(summary.our_wins()),
               Cell::Percent(summary.has_mean_price_difference()
                                 ? std::optional<double>(summary.mean_price_difference())
                                 : std::nullopt)});
  }
  if (client.format == Format::kTable) {
    std::printf("Competitors of %s (price difference: theirs against ours)\n",
                response.bidder_id().c_str());
  }
  table.Print(client.format, "(no competitor met)");
  return 0;
}

int Audit(const Client& client, const Args& args) {
  v1::TenderAsOfRequest request;
  request.set_tender_id(args.positional()[0]);
  if (static_cast<int>(args.Has("as-of")) + static_cast<int>(args.Has("position")) +
          static_cast<int>(args.Has("happened-by")) !=
      1) {
    return Usage(absl::InvalidArgumentError(
        "give one of --as-of TIME (what was recorded by then), --happened-by TIME (what had "
        "happened by then) or --position N"));
  }
  if (args.Has("as-of")) {
    if (absl::Status s = TimeFlag(args, "as-of", request.mutable_recorded_at()); !s.ok()) {
      return Usage(s);
    }
  } else if (args.Has("happened-by")) {
    if (absl::Status s = TimeFlag(args, "happened-by", request.mutable_occurred_by()); !s.ok()) {
      return Usage(s);
    }
  } else {
    absl::StatusOr<std::optional<uint64_t>> position = args.Number("position");
    if (!position.ok()) return Usage(position.status());
    request.set_position(**position);
  }
  v1::TenderAsOfResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->TenderAsOf(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response, response.tender().details().time_zone()).c_str());
    return 0;
  }
  Table events({"position", "revision", "occurred", "recorded", "actor", "event"});
  events.ForTender(response.tender().details().time_zone());
  for (const v1::TimelineEntry& entry : response.events()) {
    const std::string& zone = response.tender().details().time_zone();
    std::string text = DescribeEntry(entry);
    // As it stood at a business time, by what is known now: what was not
    // yet recorded then is flagged.
    if (request.has_occurred_by() &&
        FromProtoTime(entry.recorded_at()) > FromProtoTime(request.occurred_by())) {
      absl::StrAppend(&text, " [not yet recorded then]");
    }
    events.Add({Cell::Position(entry.position()), Cell::Position(entry.revision()),
                Cell::Time(FromProtoTime(entry.occurred_at()), zone),
                Cell::Time(FromProtoTime(entry.recorded_at()), zone), ActorCell(entry),
                Cell::Text(text)});
  }
  if (client.format == Format::kTable) {
    const v1::TenderView& view = response.tender();
    const std::string then =
        request.has_occurred_by()
            ? absl::StrCat("as it stood at ", HumanTime(FromProtoTime(request.occurred_by())),
                           " (by what is known now)")
        : request.has_recorded_at()
            ? absl::StrCat("as known at ", HumanTime(FromProtoTime(request.recorded_at())))
            : absl::StrCat("as known at position ", request.position());
    std::printf("%s %s (revision %llu): %s, %d lot(s)\n", request.tender_id().c_str(), then.c_str(),
                static_cast<unsigned long long>(response.revision()),
                absl::AsciiStrToLower(v1::TenderStatus_Name(view.status()).substr(14)).c_str(),
                view.lots_size());
    for (const v1::LotView& lot : view.lots()) {
      std::printf("  %s: %s, %d bid(s), %d award(s)\n",
                  lot.lot_id().empty() ? "(tender)" : lot.lot_id().c_str(),
                  absl::AsciiStrToLower(v1::LotStatus_Name(lot.status()).substr(11)).c_str(),
                  lot.bids_size(), lot.awards_size());
    }
    std::printf("\n");
  }
  events.Print(client.format);
  return 0;
}

// A line for the events that are neither a tender's nor access: the
// notebook's (never their sealed content) and quotas.
std::string OtherSummary(const std::string& stream, const std::string& type) {
  if (absl::StartsWith(stream, "buyer-") && absl::StartsWith(type, "Contact")) {
    std::string words = "contact";
    for (char c : type.substr(7)) {
      if (std::isupper(static_cast<unsigned char>(c))) words += ' ';
      words += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return absl::StrCat(words, " at buyer ", stream.substr(6), " (bidtrail contact list --buyer)");
  }
  if (type == "QuotaSet") return "a quota set (bidtrail review shows it)";
  return "";
}

int History(const Client& client, const Args& args) {
  v1::ActorHistoryRequest request;
  if (!args.positional().empty()) {
    request.set_actor(args.positional()[0]);
  } else {
    // Yours: the principal your token proves.
    v1::WhoAmIResponse me;
    auto context = client.Context();
    const grpc::Status status = client.access->WhoAmI(context.get(), v1::WhoAmIRequest(), &me);
    if (!status.ok()) return client.Fail(status);
    request.set_actor(me.principal());
  }
  if (absl::Status s = PeriodFlags(args, &request); !s.ok()) return Usage(s);
  ASSIGN_OR_USAGE(const std::optional<uint64_t> limit, args.Number("limit"));
  const uint64_t wanted = args.Has("all") ? UINT64_MAX : limit.value_or(100);
  Table table({"position", "recorded", "occurred", "stream", "type", "summary"});
  table.ForTender("");  // times of many tenders, all in the display zone
  bool more = false;
  do {
    request.set_page_size(static_cast<uint32_t>(std::min<uint64_t>(1000, wanted - table.rows())));
    v1::ActorHistoryResponse response;
    auto context = client.Context();
    const grpc::Status status = client.queries->ActorHistory(context.get(), request, &response);
    if (!status.ok()) return client.Fail(status);
    for (const v1::ActorRecord& record : response.records()) {
      std::string type = record.type();
      if (const size_t dot = type.rfind('.'); dot != std::string::npos) type = type.substr(dot + 1);
      table.Add({Cell::Position(record.position()), Cell::Time(FromProtoTime(record.recorded_at())),
                 Cell::Time(FromProtoTime(record.occurred_at())), Cell::Text(record.stream_id()),
                 Cell::Text(type),
                 Cell::Text(record.has_event()    ? DescribeEvent(record.event())
                            : record.has_access() ? DescribeAccessEvent(record.access())
                                                  : OtherSummary(record.stream_id(), type))});
    }
    request.set_page_token(response.next_page_token());
    more = !request.page_token().empty();
  } while (more && table.rows() < wanted);
  table.Print(client.format, "(nothing recorded)");
  if (client.format == Format::kTable && more) {
    std::printf("(the first %zu, oldest first; more: --limit N, --all, or --from TIME)\n",
                table.rows());
  }
  return 0;
}

// `tender list` and `tender search WORDS...`: pages through ListTenders up
// to --limit.
int ListTenders(const Client& client, const Args& args) {
  v1::ListTendersRequest request;
  for (const std::string& word : args.positional()) {
    for (const absl::string_view part : absl::StrSplit(word, ' ', absl::SkipWhitespace())) {
      request.add_words(std::string(part));
    }
  }
  for (const std::string& word : args.GetAll("search")) request.add_words(word);
  request.set_buyer(args.Get("buyer"));
  request.set_territory(args.Get("territory"));
  request.set_owner_team(args.Get("team"));
  ASSIGN_OR_USAGE(const std::string status,
                  args.Word("status", {"open", "awarded", "cancelled", "unsuccessful"}));
  request.set_status(status);
  // The words as the table prints them (not_bid) or as typed (not-bid).
  std::string outcome = args.Get("outcome");
  std::replace(outcome.begin(), outcome.end(), '_', '-');
  const std::vector<std::string> outcomes = {"won",    "pending", "lost",   "void",
                                             "no-bid", "not-yet", "not-bid"};
  if (!outcome.empty() && std::find(outcomes.begin(), outcomes.end(), outcome) == outcomes.end()) {
    return Usage(NotOneOf("outcome", args.Get("outcome"), outcomes));
  }
  std::replace(outcome.begin(), outcome.end(), '-', '_');
  request.set_outcome(outcome);
  ASSIGN_OR_USAGE(*request.mutable_source(), SourceFlag(args));
  bool has_from = false;
  bool has_to = false;
  if (absl::Status s = TimeFlag(args, "from", request.mutable_discovered_from(), &has_from);
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = TimeFlag(args, "to", request.mutable_discovered_to(), &has_to); !s.ok()) {
    return Usage(s);
  }
  if (!has_from) request.clear_discovered_from();
  if (!has_to) request.clear_discovered_to();
  absl::StatusOr<std::optional<uint64_t>> limit = args.Number("limit");
  if (!limit.ok()) return Usage(limit.status());
  const uint64_t wanted = args.Has("all") ? UINT64_MAX : limit->value_or(100);
  Table table({"tender_id", "discovered", "title", "buyer", "territory", "team", "status",
               "our_outcome", "submission_deadline", "estimated:money", "source"});
  bool more = false;
  do {
    request.set_page_size(static_cast<uint32_t>(std::min<uint64_t>(1000, wanted - table.rows())));
    v1::ListTendersResponse response;
    auto context = client.Context();
    const grpc::Status status = client.queries->ListTenders(context.get(), request, &response);
    if (!status.ok()) return client.Fail(status);
    for (const v1::TenderSummary& tender : response.tenders()) {
      table.Add(
          {Cell::Text(tender.tender_id()),
           Cell::Time(FromProtoTime(tender.discovered_at()), tender.time_zone()),
           Cell::Text(tender.title()),
           Cell::Text(tender.buyer().name().empty() ? tender.buyer().id() : tender.buyer().name()),
           Cell::Text(tender.territory()), Cell::Text(tender.owner_team()),
           Cell::Text(tender.status()), Cell::Text(tender.our_outcome()),
           Cell::Time(tender.has_submission_deadline()
                          ? std::optional<absl::Time>(FromProtoTime(tender.submission_deadline()))
                          : std::nullopt,
                      tender.time_zone()),
           tender.has_estimated_value() ? Cell::Money(tender.estimated_value()) : Cell::NoMoney(),
           Cell::Text(tender.source())});
    }
    request.set_page_token(response.next_page_token());
    more = !request.page_token().empty();
  } while (more && table.rows() < wanted);
  table.Print(client.format, "(no tender matches)");
  if (client.format == Format::kTable && more) {
    std::printf("(the first %zu; more match: --limit N or --all)\n", table.rows());
  }
  return 0;
}

int Verify(const Client& client, const Args& args) {
  v1::VerifyLogRequest request;
  ASSIGN_OR_USAGE(const std::optional<uint64_t> expect_head, args.Number("expect-head"));
  request.set_expect_position(expect_head.value_or(0));
  request.set_expect_hash(args.Get("expect-hash"));
  if (!request.expect_hash().empty() && !expect_head) {
    return Usage("--expect-hash needs --expect-head, the position it is the hash of");
  }
  v1::VerifyLogResponse response;
  auto context = client.Context(std::chrono::seconds(7200));
  const grpc::Status status = client.queries->VerifyLog(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  std::string hash;
  for (unsigned char c : response.head_hash()) absl::StrAppendFormat(&hash, "%02x", c);
  if (client.format != Format::kTable) {
    Table table({"ok", "records_checked", "first_bad_position", "problem", "head_hash"});
    table.Add({Cell::Bool(response.ok()), Cell::Integer(response.records_checked()),
               response.ok() ? Cell::Null() : Cell::Position(response.first_bad_position()),
               Cell::Text(response.problem()), Cell::Text(hash)});
    table.Print(client.format);
  } else if (response.ok()) {
    std::printf(
        "log intact: %llu records, hash chain verified%s\nhead: position %llu, hash %s\n",
        static_cast<unsigned long long>(response.records_checked()),
        expect_head ? absl::StrCat(", position ", *expect_head, " as expected").c_str() : "",
        static_cast<unsigned long long>(response.records_checked()), hash.c_str());
  } else {
    std::printf("LOG ALTERED at position %llu: %s\n",
                static_cast<unsigned long long>(response.first_bad_position()),
                response.problem().c_str());
  }
  return response.ok() ? 0 : 1;
}

int Rebuild(const Client& client, const Args&) {
  auto context = client.Context(std::chrono::seconds(24 * 3600));
  std::unique_ptr<grpc::ClientReader<v1::RebuildResponse>> reader =
      client.queries->Rebuild(context.get(), v1::RebuildRequest());
  v1::RebuildResponse step;
  const bool tty = isatty(fileno(stderr));
  bool switched = false;
  // Into a file or a pipe, a line per tenth of the way, not per message.
  int last_tenth = -1;
  while (reader->Read(&step)) {
    const double done =
        step.head_position() == 0 ? 1 : static_cast<double>(step.position()) / step.head_position();
    const int tenth = static_cast<int>(done * 10);
    if (!tty && tenth == last_tenth && !step.switched()) continue;
    last_tenth = tenth;
    std::fprintf(stderr,
                 tty ? "\rrebuilding: %llu / %llu events (%.0f%%)   "
                     : "rebuilding: %llu / %llu events (%.0f%%)\n",
                 static_cast<unsigned long long>(step.position()),
                 static_cast<unsigned long long>(step.head_position()), done * 100);
    switched = step.switched();
  }
  if (tty) std::fprintf(stderr, "\n");
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return client.Fail(status);
  std::printf("%s\n", switched ? "rebuilt: the new read models are in use"
                               : "rebuild ended without switching");
  return switched ? 0 : 1;
}

int Status(const Client& client, const Args&) {
  v1::GetProjectionStatusResponse response;
  auto context = client.Context();
  const grpc::Status status = client.queries->GetProjectionStatus(
      context.get(), v1::GetProjectionStatusRequest(), &response);
  if (!status.ok()) return client.Fail(status);
  Table table(
      {"checkpoint", "head", "lag", "access_events", "unknown_events_skipped", "rebuilding"});
  table.Add({Cell::Position(response.checkpoint()), Cell::Position(response.head_position()),
             Cell::Integer(response.lag()), Cell::Integer(response.access_events()),
             Cell::Integer(response.unknown_events_skipped()), Cell::Bool(response.rebuilding())});
  table.Print(client.format);
  if (!response.has_last_error()) return 0;
  // The projection runner's last failure: what an operator looks at first.
  const v1::ProjectionError& error = response.last_error();
  if (client.format == Format::kTable) {
    std::printf(
        "\nprojection runner %s: %s: %s\n  at %s, folding from position %llu; %llu failure(s) "
        "in a row, %llu since the server started\n",
        error.failures_in_a_row() > 0 ? "FAILING" : "recovered from", error.code().c_str(),
        error.message().c_str(), HumanTime(FromProtoTime(error.at())).c_str(),
        static_cast<unsigned long long>(error.position()),
        static_cast<unsigned long long>(error.failures_in_a_row()),
        static_cast<unsigned long long>(error.total_failures()));
    return error.failures_in_a_row() > 0 ? 1 : 0;
  }
  Table failure({"code", "message", "position", "at", "failures_in_a_row", "total_failures"});
  failure.Add({Cell::Text(error.code()), Cell::Text(error.message()),
               Cell::Position(error.position()), Cell::Time(FromProtoTime(error.at())),
               Cell::Integer(error.failures_in_a_row()), Cell::Integer(error.total_failures())});
  failure.Print(client.format);
  return error.failures_in_a_row() > 0 ? 1 : 0;
}

}  // namespace

void AddQueryCommands(std::vector<Subcommand>* commands) {
  commands->push_back(
      {{"deadlines"},
       "[--within 7d] [--as-of TIME] [--territory T] [--team T] [--buyer ID]",
       "what is due soon, at risk or overdue; stale tenders",
       "The deadline board: documents cut-offs, submission deadlines and openings in time "
       "order, with AT RISK (documents not obtained within 48h of the cut-off, our bid not in "
       "within 72h of the deadline) and OVERDUE flags, then stale tenders.",
       {{"within", "DURATION", "how far ahead (default 7d)"},
        {"as-of", "TIME", "the moment to look from (default now)"},
        {"lookback", "DURATION", "how far back for overdue ones (default 7d)"},
        {"territory", "NAME", "only this territory"},
        {"team", "NAME", "only this owner team"},
        {"buyer", "ID", "only this buyer"},
        {"mine", "", "only the tenders you recorded something on"},
        kSource,
        {"docs-risk", "DURATION", "documents at-risk window (default 48h)"},
        {"bid-risk", "DURATION", "submission at-risk window (default 72h)"},
        {"stale-after", "DURATION", "idle time that makes a tender stale (default 14d)"},
        {"stale", "",
         "the stale tenders alone, all of them (with --csv/--json: instead of the deadlines, one "
         "table per file)"},
        {"stale-limit", "N", "stale tenders listed below the board (default 10)"}},
       0,
       0,
       Deadlines});
  commands->push_back({{"timeline"},
                       "TENDER_ID",
                       "every event of a tender, phase durations, deadlines met or missed",
                       "",
                       {},
                       1,
                       1,
                       Timeline});
  commands->push_back(
      {{"winrate"},
       "[--by DIMENSION] [--bidder ID] [--from TIME] [--to TIME] [filters]",
       "win/loss metrics of a bidder (default: us), grouped",
       "Win/loss metrics as docs/analytics.md defines them. --by: bidder, buyer, territory, "
       "category, competitor, team, quarter, deal-size, method, channel, segment.",
       {{"by", "DIMENSION", "grouping (default: one group)"},
        kBidder,
        {"from", "TIME", "competitions dated from"},
        {"to", "TIME", "competitions dated before"},
        {"territory", "NAME", "only this territory"},
        {"team", "NAME", "only this owner team"},
        {"buyer", "ID", "only this buyer"},
        {"category", "NAME", "only this category"},
        kSource,
        kCurrency,
        kRates,
        kThresholdsIn,
        {"medium-from", "AMOUNT", "deal-size threshold, in --thresholds-in (default 50000)"},
        {"large-from", "AMOUNT", "deal-size threshold, in --thresholds-in (default 500000)"}},
       0,
       0,
       WinRate});
  commands->push_back({{"segments"},
                       "[--as-of TIME] [--window 365d] [--rate CUR=VALUE]... [--buyers]",
                       "the customer nine-grid: purchase potential x our share",
                       "",
                       {{"as-of", "TIME", "end of the window (default now)"},
                        {"window", "DURATION", "trailing window of awards (default 365d)"},
                        kBidder,
                        kSource,
                        kCurrency,
                        kRates,
                        kThresholdsIn,
                        {"buyers", "", "list the buyers and their cells instead"}},
                       0,
                       0,
                       Segments});
  commands->push_back({{"competitors"},
                       "[--bidder ID] [--from TIME] [--to TIME]",
                       "the record against each competitor",
                       "",
                       {kBidder, {"from", "TIME", "from"}, {"to", "TIME", "before"}, kSource},
                       0,
                       0,
                       Competitors});
  commands->push_back(
      {{"signals"},
       "[--tender ID | --buyer ID | --top N] [--from TIME] [--to TIME] [--short-days N]",
       "is this tender wired for someone? red flags per tender, buyer and supplier",
       "Procurement red flags computed over everything in the log, imported public data and "
       "the team's own records (docs/analytics.md, \"Signals\"): single bids, short submission "
       "periods, a runner-up's price close to the winning bid, identical prices, late bids that "
       "won, disqualifications, the buyer's incumbent and concentration, suppliers that win "
       "with one buyer only. --tender: the tender's flags and its buyer's; --buyer: the buyer's; "
       "neither: the buyers with the most flagged competitions.",
       {{"tender", "ID", "one tender's flags, and its buyer's"},
        {"buyer", "ID", "one buyer's flags"},
        {"top", "N", "how many buyers (default 20)"},
        {"from", "TIME", "competitions dated from"},
        {"to", "TIME", "before"},
        {"short-days", "N", "a submission period under N days is short (default 15)"},
        kSource},
       0,
       0,
       SignalsCommand});
  commands->push_back({{"audit"},
                       "TENDER_ID (--as-of TIME | --happened-by TIME | --position N)",
                       "a tender's state and events as known at a past moment",
                       "The tender as the log knew it at a recorded time (--as-of) or position, "
                       "or as it stood at a business time by what the log knows now "
                       "(--happened-by: facts recorded later included, and flagged).",
                       {{"as-of", "TIME", "what the log held at this recorded time"},
                        {"happened-by", "TIME", "what had happened by this business time"},
                        {"position", "N", "what the log held up to this position"}},
                       1,
                       1,
                       Audit});
  commands->push_back({{"history"},
                       "[ACTOR] [--from TIME] [--to TIME] [--limit N | --all]",
                       "what one person (default: you) recorded, oldest first, a line each",
                       "",
                       {{"from", "TIME", "recorded from"},
                        {"to", "TIME", "recorded before"},
                        {"limit", "N", "at most N events (default 100)"},
                        {"all", "", "every event"}},
                       0,
                       1,
                       History});
  const std::vector<FlagSpec> list_flags = {
      {"search", "WORD", "a word the title, id or buyer name must contain (any case)", true},
      {"buyer", "BUYER", "only this buyer: its id, or a part of its name"},
      {"territory", "NAME", "only this territory"},
      {"team", "NAME", "only this owner team"},
      {"status", "S", "open, awarded, cancelled or unsuccessful"},
      {"outcome", "O", "our outcome: won, pending, lost, void, no-bid, not-yet or not-bid"},
      kSource,
      {"from", "TIME", "discovered from"},
      {"to", "TIME", "discovered before"},
      {"limit", "N", "at most N tenders (default 100)"},
      {"all", "", "every tender that matches"}};
  commands->push_back({{"tender", "list"},
                       "[--search WORD]... [--status S] [--outcome O] [--source S] [filters]",
                       "find tenders by title words, buyer, territory, team, status, outcome, "
                       "source, dates",
                       "",
                       list_flags,
                       0,
                       0,
                       ListTenders});
  commands->push_back({{"tender", "search"},
                       "WORDS... [filters]",
                       "find tenders whose title, id or buyer name contains every word",
                       "The same as `tender list --search WORD...`.",
                       list_flags,
                       1,
                       64,
                       ListTenders});
  commands->push_back(
      {{"verify"},
       "[--expect-head N [--expect-hash H]]",
       "prove the log was not rewritten (hash chain check)",
       "Recomputes the SHA-256 chain over the whole log and prints the head: its position and "
       "hash. Note them elsewhere (a report, a ticket); later, --expect-head N --expect-hash H "
       "also proves the log still reaches position N with that very history: a log that lost "
       "its last events still verifies as a chain, but not against what you noted.",
       {{"expect-head", "N", "the log must reach position N"},
        {"expect-hash", "H", "and hold there the record with chain hash H (64 hex digits)"}},
       0,
       0,
       Verify});
  commands->push_back(
      {{"rebuild"}, "", "rebuild every read model from the log, online", "", {}, 0, 0, Rebuild});
  commands->push_back(
      {{"status"}, "", "how far the read models are behind the log", "", {}, 0, 0, Status});
}

}  // namespace bidtrail::cli
