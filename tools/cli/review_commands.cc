// The sales team's week: quotas (TendersService.SetQuota) and the weekly
// pipeline review (QueriesService.PipelineReview); docs/analytics.md,
// "Pipeline review".
#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/common/proto_time.h"
#include "commands.h"
#include "google/protobuf/util/time_util.h"

namespace bidtrail::cli {
namespace {

int SetQuota(const Client& client, const Args& args) {
  v1::SetQuotaRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  v1::QuotaSet* quota = request.mutable_quota();
  quota->set_team(args.Get("team"));
  quota->set_representative(args.Get("rep"));
  if (args.Has("team") == args.Has("rep")) return Usage("give one of --team and --rep");
  if (!args.Has("quarter") || !args.Has("amount")) {
    return Usage("--quarter (2026-Q4) and --amount are required");
  }
  quota->set_quarter(args.Get("quarter"));
  ASSIGN_OR_USAGE(const std::optional<v1::Money> amount, args.Money("amount"));
  *quota->mutable_amount() = *amount;
  v1::SetQuotaResponse response;
  auto context = client.Context();
  const grpc::Status status = client.tenders->SetQuota(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format != Format::kTable) {
    std::printf("%s\n", MessageJson(response).c_str());
    return 0;
  }
  std::printf("%s quota of %s for %s: %s (position %llu)\n",
              response.already_applied() ? "already recorded" : "recorded",
              args.Has("team") ? ("team " + quota->team()).c_str()
                               : ("representative " + quota->representative()).c_str(),
              quota->quarter().c_str(), HumanMoney(quota->amount()).c_str(),
              static_cast<unsigned long long>(response.position()));
  return 0;
}

Cell Ratio(bool has, double value) {
  return Cell::Percent(has ? std::optional<double>(value) : std::nullopt);
}

Cell Value(const std::string& amount, const std::string& currency) {
  if (amount.empty()) return Cell::NoMoney();
  v1::Money money;
  money.set_amount(amount);
  money.set_currency(currency);
  return Cell::Money(money);
}

void PrintItems(const char* title, const google::protobuf::RepeatedPtrField<v1::ReviewItem>& items,
                bool with_time) {
  std::printf("\n%s\n", title);
  Table table({"tender_id", "title", "stage", "what", "at", "representative", "team"});
  for (const v1::ReviewItem& item : items) {
    table.Add({Cell::Text(item.tender_id()), Cell::Text(item.title()), Cell::Text(item.stage()),
               Cell::Text(absl::StrJoin(item.what(), ", ")),
               with_time && item.has_at() ? Cell::Time(FromProtoTime(item.at())) : Cell::Text("-"),
               Cell::Text(item.representative()), Cell::Text(item.owner_team())});
  }
  table.Print(Format::kTable, "(none)");
}

int Review(const Client& client, const Args& args) {
  if (args.Has("team") && args.Has("rep")) {
    return Usage("give --team or --rep, not both (--rep NAME shows that person's tenders)");
  }
  v1::PipelineReviewRequest request;
  request.set_week(args.Get("week"));
  request.set_owner_team(args.Get("team"));
  request.set_representative(args.Get("rep"));
  request.set_currency(args.Get("currency"));
  request.set_time_zone(GetTimeDisplay().zone.name);
  request.set_happened(args.Has("happened"));
  v1::PipelineReviewResponse response;
  auto context = client.Context(std::chrono::seconds(120));
  const grpc::Status status = client.queries->PipelineReview(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response).c_str());
    return 0;
  }
  const std::string& currency = response.currency();
  Table groups({"kind", "name", "new", "documents", "bids", "won", "lost", "no_bid", "stale",
                "due_next_week", "open", "pipeline:money", "weighted:money", "won_quarter:money",
                "quota:money", "attainment", "forecast:money", "forecast_attainment"});
  for (const v1::ReviewGroup& group : response.groups()) {
    uint32_t open = 0;
    Decimal value;
    Decimal weighted;
    for (const v1::StageValue& stage : group.pipeline()) {
      open += stage.tenders();
      value += Decimal::Parse(stage.value()).value_or(Decimal());
      weighted += Decimal::Parse(stage.weighted_value()).value_or(Decimal());
    }
    groups.Add(
        {Cell::Text(group.kind()), Cell::Text(group.name()), Cell::Integer(group.new_tenders()),
         Cell::Integer(group.documents()), Cell::Integer(group.bids()), Cell::Integer(group.won()),
         Cell::Integer(group.lost()), Cell::Integer(group.no_bids()), Cell::Integer(group.stale()),
         Cell::Integer(group.deadlines_next_week()), Cell::Integer(open),
         Value(value.ToFixed(2), currency), Value(weighted.ToFixed(2), currency),
         Value(group.won_value(), currency), Value(group.quota(), currency),
         Ratio(group.has_attainment(), group.attainment()), Value(group.forecast(), currency),
         Ratio(group.has_forecast_attainment(), group.forecast_attainment())});
  }
  if (client.format == Format::kCsv) {
    groups.Print(client.format);
    return 0;
  }
  std::printf("Pipeline review %s (%s to %s), %s %s; quarter %s; values in %s\n",
              response.week().c_str(), HumanTime(FromProtoTime(response.week_start())).c_str(),
              HumanTime(FromProtoTime(response.week_end())).c_str(),
              response.happened() ? "by what had happened by" : "as the log held it at",
              HumanTime(FromProtoTime(response.as_of())).c_str(), response.quarter().c_str(),
              currency.empty() ? "(no value)" : currency.c_str());
  groups.Print(client.format, "(no tender in the pipeline)");
  const v1::ReviewGroup& everyone = response.groups(response.groups_size() - 1);
  const bool empty =
      std::all_of(everyone.pipeline().begin(), everyone.pipeline().end(),
                  [](const v1::StageValue& stage) { return stage.tenders() == 0; }) &&
      everyone.moved().empty() && response.groups_size() == 1;
  if (empty && (!request.owner_team().empty() || !request.representative().empty())) {
    // A name that owns nothing, ever, is more likely a typo than an idle week.
    v1::PipelineReviewRequest now = request;
    now.set_happened(true);
    now.clear_week();
    v1::PipelineReviewResponse current;
    auto again = client.Context(std::chrono::seconds(120));
    if (client.queries->PipelineReview(again.get(), now, &current).ok() &&
        std::all_of(current.groups().begin(), current.groups().end(),
                    [](const v1::ReviewGroup& group) { return group.kind() == "all"; }) &&
        current.groups(0).moved().empty() &&
        std::all_of(current.groups(0).pipeline().begin(), current.groups(0).pipeline().end(),
                    [](const v1::StageValue& stage) { return stage.tenders() == 0; })) {
      std::printf(
          "(no tender of %s %s in the pipeline at all: representatives are named as they "
          "recorded the discovery, teams as the tenders' owner team; `bidtrail review` lists "
          "them)\n",
          request.representative().empty() ? "team" : "representative",
          (request.representative().empty() ? request.owner_team() : request.representative())
              .c_str());
      return 0;
    }
  }
  if (empty && !response.happened()) {
    std::printf(
        "(nothing of the pipeline was recorded by then; --happened reviews history entered "
        "afterwards by when it happened)\n");
  }
  if (response.unconverted() > 0) {
    std::printf("%u values left out: no rate for %s (bidtraild --rates)\n", response.unconverted(),
                absl::StrJoin(response.currencies_without_rate(), ", ").c_str());
  }
  // One team's or one person's review: the stages and the tenders behind it.
  if (request.owner_team().empty() && request.representative().empty()) {
    std::printf(
        "\n(--team TEAM or --rep NAME adds the pipeline by stage and the tenders behind the "
        "figures)\n");
    return 0;
  }
  // The group asked for: the representative's, else the team's.
  const v1::ReviewGroup* chosen = &everyone;
  for (const v1::ReviewGroup& group : response.groups()) {
    if ((group.kind() == "representative" && group.name() == request.representative()) ||
        (request.representative().empty() && group.kind() == "team" &&
         group.name() == request.owner_team())) {
      chosen = &group;
    }
  }
  const v1::ReviewGroup& all = *chosen;
  std::printf("\nPipeline by stage (weighted by the win rate of tenders that reached the stage)\n");
  Table stages({"stage", "tenders", "value:money", "win_rate", "from", "weighted:money"});
  for (const v1::StageValue& stage : all.pipeline()) {
    stages.Add({Cell::Text(stage.stage()), Cell::Integer(stage.tenders()),
                Value(stage.value(), currency), Ratio(stage.has_win_rate(), stage.win_rate()),
                Cell::Text(stage.history() == 0 ? "-"
                                                : absl::StrCat(stage.history(), " closed (",
                                                               stage.history_of(), ")")),
                Value(stage.weighted_value(), currency)});
  }
  stages.Print(client.format);
  PrintItems("Moved this week", all.moved(), true);
  PrintItems("Stale (last event)", all.stale_tenders(), true);
  PrintItems("Due next week", all.next_week(), true);
  return 0;
}

}  // namespace

void AddReviewCommands(std::vector<Subcommand>* commands) {
  commands->push_back({{"quota", "set"},
                       "(--team TEAM | --rep NAME) --quarter 2026-Q4 --amount MONEY",
                       "record a team's or a representative's quota for a quarter (managers)",
                       "",
                       {{"team", "TEAM", "the team's quota"},
                        {"rep", "NAME", "a representative's quota"},
                        {"quarter", "QUARTER", "2026-Q4"},
                        {"amount", "MONEY", "\"5,000,000 CNY\""},
                        {"request-id", "ID", "id of this command; repeat it to retry safely"}},
                       0,
                       0,
                       SetQuota});
  commands->push_back(
      {{"review"},
       "[--week 2026-W49] [--team TEAM | --rep NAME] [--currency CUR] [--happened]",
       "the weekly pipeline review: moves, stale tenders, next week, pipeline, quota, forecast",
       "Each representative's and team's week as the log knew it at the end of that week "
       "(any past week gives the same answer whenever it is asked): tenders that moved (new, "
       "documents, bids, awards won or lost, no-bids), stale tenders, deadlines next week, the "
       "pipeline by stage weighted by the historical win rate at that stage, won value against "
       "the quarter's quota, and the forecast to the quarter's end. Weeks start on Monday in "
       "the display zone (--tz).",
       {{"week", "WEEK", "ISO week, 2026-W49 (default: this week)"},
        {"team", "TEAM", "one team's tenders"},
        {"rep", "NAME", "one representative's tenders"},
        {"currency", "CUR", "report values in this currency (default: the quota's)"},
        {"happened", "",
         "by what had happened by the week's end, not by what the log held then (history "
         "entered or imported afterwards)"}},
       0,
       0,
       Review});
}

}  // namespace bidtrail::cli
