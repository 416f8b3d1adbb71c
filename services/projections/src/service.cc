#include "bidtrail/projections/service.h"

#include <algorithm>
#include <map>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "bidtrail/analytics/metrics.h"
#include "bidtrail/analytics/signals.h"
#include "bidtrail/api/views.h"
#include "bidtrail/auth/access.h"
#include "bidtrail/common/fnv.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/eventstore/convert.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/readmodel/review.h"
#include "bidtrail/readmodel/tender_list.h"
#include "bidtrail/readmodel/tender_record.h"
#include "bidtrail/readmodel/timeline.h"
#include "bidtrail/rpc/stream_writer.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace bidtrail::projections {
namespace {

constexpr uint32_t kDefaultPageSize = 100;
constexpr uint32_t kMaxPageSize = 1000;
constexpr uint32_t kDefaultStale = 100;
constexpr uint32_t kMaxStale = 1000;

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

// A win/loss page token: the offset of the next group, after a fingerprint
// of the query it belongs to (every field but the paging ones), so that a
// token passed with another query (another grouping, another filter) is
// refused instead of read as an offset into different groups.
std::string QueryTag(v1::WinLossRequest request) {
  request.clear_page_token();
  request.clear_page_size();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return absl::StrCat(absl::Hex(Fnv1a64(bytes), absl::kZeroPad16));
}

std::string WinLossPageToken(const v1::WinLossRequest& request, size_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat(QueryTag(request), ":", offset));
}

absl::StatusOr<size_t> WinLossPageOffset(const v1::WinLossRequest& request) {
  if (request.page_token().empty()) return 0;
  std::string text;
  size_t offset = 0;
  const size_t colon =
      absl::WebSafeBase64Unescape(request.page_token(), &text) ? text.find(':') : std::string::npos;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(colon + 1), &offset)) {
    return Invalid("page_token: not a token this server issued");
  }
  if (text.substr(0, colon) != QueryTag(request)) {
    return Invalid(
        "page_token: the token of another query; pass a page's token with the same "
        "parameters as that page (group_by, filters), or leave it out for the first page");
  }
  return offset;
}

absl::StatusOr<uint32_t> PageSize(uint32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested > kMaxPageSize) {
    return Invalid(absl::StrCat("page_size: ", requested, "; must be 1 to ", kMaxPageSize));
  }
  return requested;
}

// A duration field: its value, the default when unset, INVALID_ARGUMENT when
// negative.
absl::StatusOr<absl::Duration> DurationField(bool present, const google::protobuf::Duration& value,
                                             absl::Duration fallback, const char* field) {
  if (!present) return fallback;
  const absl::Duration duration = FromProtoDuration(value);
  if (duration < absl::ZeroDuration()) {
    return Invalid(absl::StrCat(field, ": ", absl::FormatDuration(duration),
                                " is negative; give a length of time such as 48h"));
  }
  return duration;
}

absl::StatusOr<std::vector<eventlog::RecordedEvent>> ReadTenderStream(
    eventlog::EventStore* store, const std::string& tender_id) {
  RETURN_IF_ERROR(tender::ValidateTenderId(tender_id));
  ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                   eventlog::ReadWholeStream(*store, tender::StreamIdOf(tender_id)));
  if (records.empty()) return absl::NotFoundError(absl::StrCat("tender ", tender_id, " not found"));
  return records;
}

v1::TimelineEntry EntryOf(const eventlog::RecordedEvent& record) {
  v1::TimelineEntry entry;
  entry.set_revision(record.revision);
  entry.set_position(record.position);
  entry.set_type(record.type);
  ToProtoTime(record.occurred_at, entry.mutable_occurred_at());
  ToProtoTime(record.recorded_at, entry.mutable_recorded_at());
  entry.set_actor(record.actor);
  entry.set_written_by(record.written_by);
  if (auto event = tender::DecodeEvent(record.type, record.data)) {
    *entry.mutable_event() = std::move(*event);
  }
  return entry;
}

// The entries of a stream's records, each voided one marked with who voided
// it, when and why (TimelineEntry.voided): callers leave those out of their
// folds.
std::vector<v1::TimelineEntry> MarkedEntries(const std::vector<eventlog::RecordedEvent>& records) {
  std::vector<v1::TimelineEntry> entries;
  std::vector<const v1::TenderEvent*> events;
  std::vector<uint64_t> revisions;
  entries.reserve(records.size());
  for (const eventlog::RecordedEvent& record : records) entries.push_back(EntryOf(record));
  for (const v1::TimelineEntry& entry : entries) {
    events.push_back(entry.has_event() ? &entry.event() : nullptr);
    revisions.push_back(entry.revision());
  }
  const std::vector<bool> voided = tender::VoidedOf(events, revisions);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].has_event() || !entries[i].event().has_entry_voided()) continue;
    // Its target, and the late recording's explanation after it.
    const uint64_t target = entries[i].event().entry_voided().revision();
    for (size_t j = 0; j < i; ++j) {
      if (!voided[j] || (entries[j].revision() != target && entries[j].revision() != target + 1)) {
        continue;
      }
      v1::Voiding* voiding = entries[j].mutable_voided();
      voiding->set_position(entries[i].position());
      voiding->set_actor(entries[i].actor());
      *voiding->mutable_recorded_at() = entries[i].recorded_at();
      voiding->set_reason(entries[i].event().entry_voided().reason());
    }
  }
  return entries;
}

// Adds an entry to a timeline; an explanation of a late recording goes onto
// the fact it follows instead (TimelineEntry.late).
void AddEntry(v1::TimelineEntry entry,
              google::protobuf::RepeatedPtrField<v1::TimelineEntry>* entries) {
  if (entry.event().has_recorded_late() && !entries->empty()) {
    *entries->Mutable(entries->size() - 1)->mutable_late() =
        std::move(*entry.mutable_event()->mutable_recorded_late());
    return;
  }
  *entries->Add() = std::move(entry);
}

absl::StatusOr<analytics::ReportingCurrency> ReportingOf(const v1::Reporting& reporting) {
  analytics::ReportingCurrency out;
  if (!reporting.currency().empty()) {
    RETURN_IF_ERROR(CheckCurrencyCode(reporting.currency(), "reporting.currency"));
    out.currency = reporting.currency();
  }
  for (const auto& [currency, rate] : reporting.rates()) {
    RETURN_IF_ERROR(CheckCurrencyCode(currency, absl::StrCat("reporting.rates[", currency, "]")));
    std::optional<Decimal> value = Decimal::Parse(rate);
    if (!value || value->nanos() <= 0) {
      return Invalid(absl::StrCat("reporting.rates[", currency, "]: \"", rate,
                                  "\" is not a positive decimal"));
    }
    out.rates[currency] = *value;
  }
  return out;
}

absl::Status ParseAmount(const std::string& text, const char* field, Decimal* out) {
  if (text.empty()) return absl::OkStatus();
  std::optional<Decimal> value = Decimal::Parse(text);
  if (!value || value->nanos() < 0) {
    return Invalid(absl::StrCat(field, ": \"", text, "\" is not a decimal amount of zero or more"));
  }
  *out = *value;
  return absl::OkStatus();
}

// The `source` field: "", "own" or "import".
absl::StatusOr<analytics::Source> SourceField(const std::string& word) {
  if (std::optional<analytics::Source> source = analytics::SourceOf(word)) return *source;
  return Invalid(absl::StrCat("source: \"", word.substr(0, 40),
                              "\" is not one of own, import (or empty for both)"));
}

// A thresholds' currency: "USD" when empty.
absl::StatusOr<std::string> ThresholdsCurrency(const std::string& currency, const char* field) {
  if (currency.empty()) return std::string("USD");
  RETURN_IF_ERROR(CheckCurrencyCode(currency, field));
  return currency;
}

absl::StatusOr<analytics::SegmentOptions> SegmentOptionsOf(const v1::SegmentThresholds& thresholds,
                                                           const v1::Reporting& reporting,
                                                           const std::string& bidder,
                                                           absl::Time as_of,
                                                           const analytics::RateTable& rates) {
  analytics::SegmentOptions options;
  options.as_of = as_of;
  options.bidder_id = bidder;
  options.rate_table = rates;
  ASSIGN_OR_RETURN(options.reporting, ReportingOf(reporting));
  ASSIGN_OR_RETURN(options.potential_currency,
                   ThresholdsCurrency(thresholds.currency(), "thresholds.currency"));
  RETURN_IF_ERROR(ParseAmount(thresholds.medium_potential_from(),
                              "thresholds.medium_potential_from", &options.medium_potential_from));
  RETURN_IF_ERROR(ParseAmount(thresholds.large_potential_from(), "thresholds.large_potential_from",
                              &options.large_potential_from));
  if (options.large_potential_from < options.medium_potential_from) {
    return Invalid("thresholds: large_potential_from must not be below medium_potential_from");
  }
  if (thresholds.has_development_share_from()) {
    options.development_share_from = thresholds.development_share_from();
  }
  if (thresholds.has_consolidation_share_from()) {
    options.consolidation_share_from = thresholds.consolidation_share_from();
  }
  if (options.development_share_from < 0 || options.consolidation_share_from > 1 ||
      options.development_share_from > options.consolidation_share_from) {
    return Invalid(
        "thresholds: shares must satisfy 0 <= development_share_from <= "
        "consolidation_share_from <= 1");
  }
  return options;
}

absl::Status CheckPeriod(absl::Time from, absl::Time to) {
  if (from >= to) return Invalid("from: must be before to");
  return absl::OkStatus();
}

}  // namespace

QueriesGrpcService::QueriesGrpcService(projection::ProjectionEngine* engine,
                                       eventlog::EventStore* store, Options options)
    : engine_(engine),
      store_(store),
      options_(std::move(options)),
      pool_(options_.worker_threads, "queries-work") {}

absl::StatusOr<QueriesGrpcService::Reader> QueriesGrpcService::ReaderOf(
    const std::string& authorization) const {
  Reader reader;
  if (options_.authenticator == nullptr) return reader;
  ASSIGN_OR_RETURN(const auth::Authenticator::Verified verified,
                   options_.authenticator->Resolve(authorization));
  reader.principal = verified.principal;
  const auth::AccessState& access = *verified.access;
  reader.admin = access.Has(reader.principal, v1::ROLE_ADMIN);
  reader.all = auth::Allow(access, reader.principal, auth::Action::kQuery).ok();
  for (const std::string& territory : access.TerritoriesOf(reader.principal, v1::ROLE_BIDDER)) {
    reader.territories.insert(territory);
  }
  if (!reader.all && reader.territories.empty()) {
    return auth::Allow(access, reader.principal, auth::Action::kQuery);  // the denial, explained
  }
  return reader;
}

absl::Status QueriesGrpcService::CheckTender(const Reader& reader,
                                             const std::vector<eventlog::RecordedEvent>& records) {
  if (reader.all || records.empty()) return absl::OkStatus();
  std::optional<v1::TenderEvent> first = tender::DecodeEvent(records[0].type, records[0].data);
  const std::string territory =
      first && first->has_tender_discovered() ? first->tender_discovered().territory() : "";
  if (reader.Reads(territory)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(reader.principal, " may not read this tender: it is in territory ", territory,
                   "; ", reader.principal, " reads ", absl::StrJoin(reader.territories, ", ")));
}

// A bidder's query names one of its territories, or is kept to them.
absl::Status CheckTerritory(const QueriesGrpcService::Reader& reader, const std::string& territory,
                            bool required) {
  if (reader.all) return absl::OkStatus();
  if (territory.empty() && !required) return absl::OkStatus();
  if (!territory.empty() && reader.Reads(territory)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "territory: ", reader.principal, " reads only ", absl::StrJoin(reader.territories, ", "),
      territory.empty() ? "; name one (--territory)" : absl::StrCat(", not ", territory)));
}

grpc::ServerUnaryReactor* QueriesGrpcService::Timeline(grpc::CallbackServerContext* context,
                                                       const v1::TimelineRequest* request,
                                                       v1::TimelineResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                         ReadTenderStream(store_, request->tender_id()));
        RETURN_IF_ERROR(CheckTender(reader, records));
        tender::TenderState state;
        readmodel::Milestones milestones;
        for (v1::TimelineEntry& entry : MarkedEntries(records)) {
          if (entry.has_event() && !entry.has_voided()) {
            tender::Apply(entry.event(), &state);
            milestones.Observe(entry.event(), FromProtoTime(entry.occurred_at()),
                               options_.own_party_id);
          }
          AddEntry(std::move(entry), response->mutable_entries());
        }
        for (const readmodel::PhaseSpan& span : readmodel::PhaseSpans(milestones, state)) {
          *response->add_durations() = api::PhaseDurationOf(span);
        }
        for (const readmodel::DeadlineOutcome& outcome : readmodel::DeadlineOutcomes(
                 milestones, state, options_.clock(), options_.own_party_id)) {
          *response->add_deadlines() = api::DeadlineOutcomeOf(outcome);
        }
        response->set_amendment_count(state.amendment_count);
        response->set_time_zone(state.details.time_zone());
        response->set_in_pipeline(readmodel::InOurPipeline(state, options_.own_party_id));
        // What a bid manager wants to know before spending a week on a bid.
        if (std::optional<analytics::Symbol> buyer =
                analytics::Symbol::Find(state.details.buyer().id())) {
          auto incumbents = engine_->Incumbents({*buyer}, options_.own_party_id);
          if (auto found = incumbents.find(*buyer); found != incumbents.end()) {
            *response->mutable_incumbent() = std::move(found->second);
          }
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::Deadlines(grpc::CallbackServerContext* context,
                                                        const v1::DeadlinesRequest* request,
                                                        v1::DeadlinesResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        RETURN_IF_ERROR(CheckTerritory(reader, request->territory(), false));
        const absl::Time as_of =
            request->has_as_of() ? FromProtoTime(request->as_of()) : options_.clock();
        readmodel::BoardWindows windows;
        ASSIGN_OR_RETURN(windows.within, DurationField(request->has_within(), request->within(),
                                                       windows.within, "within"));
        ASSIGN_OR_RETURN(windows.overdue_lookback,
                         DurationField(request->has_overdue_lookback(), request->overdue_lookback(),
                                       windows.overdue_lookback, "overdue_lookback"));
        ASSIGN_OR_RETURN(
            windows.documents_risk,
            DurationField(request->has_documents_risk_window(), request->documents_risk_window(),
                          windows.documents_risk, "documents_risk_window"));
        ASSIGN_OR_RETURN(
            windows.submission_risk,
            DurationField(request->has_submission_risk_window(), request->submission_risk_window(),
                          windows.submission_risk, "submission_risk_window"));
        ASSIGN_OR_RETURN(windows.stale_after,
                         DurationField(request->has_stale_after(), request->stale_after(),
                                       windows.stale_after, "stale_after"));
        ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(request->page_size()));
        std::string after;
        if (!request->page_token().empty() &&
            (!absl::WebSafeBase64Unescape(request->page_token(), &after) ||
             !projection::IsDeadlineKey(after))) {
          return Invalid("page_token: not a token this server issued");
        }
        ASSIGN_OR_RETURN(const analytics::Source source, SourceField(request->source()));
        // mine: the tenders whose streams the caller's own records name.
        absl::flat_hash_set<std::string> mine;
        if (request->mine()) {
          RETURN_IF_ERROR(
              engine_->ScanActor(reader.principal, 0, [&mine](const readmodel::ActorEntry& entry) {
                absl::string_view stream = entry.stream_id;
                if (absl::ConsumePrefix(&stream, "tender-")) mine.emplace(stream);
                return true;
              }));
        }
        auto selected = [&](const auto& stored) {
          return reader.Reads(stored.territory()) &&
                 (!request->mine() || mine.contains(stored.tender_id())) &&
                 (request->territory().empty() || stored.territory() == request->territory()) &&
                 (request->owner_team().empty() || stored.owner_team() == request->owner_team()) &&
                 (request->buyer_id().empty() || stored.buyer().id() == request->buyer_id()) &&
                 analytics::SourceSelects(source, stored.imported()
                                                      ? v1::DISCOVERY_CHANNEL_IMPORT
                                                      : v1::DISCOVERY_CHANNEL_UNSPECIFIED);
        };
        std::string last_key;
        bool more = false;
        RETURN_IF_ERROR(engine_->ScanDeadlines(
            as_of, as_of - windows.overdue_lookback, as_of + windows.within, after,
            [&](const projection::DeadlineEntry& entry) {
              const storage::v1::DeadlineRecord& stored = entry.record;
              if (!selected(stored)) return true;
              const readmodel::DeadlineMark mark =
                  readmodel::MarkDeadline(entry.deadline, as_of, windows);
              if (!mark.shown) return true;
              if (response->deadlines_size() == static_cast<int>(page_size)) {
                more = true;
                return false;
              }
              *response->add_deadlines() = api::DeadlineItemOf(stored, mark);
              last_key = entry.key;
              return true;
            }));
        if (more) response->set_next_page_token(absl::WebSafeBase64Escape(last_key));
        // Each buyer's incumbent beside its deadlines.
        absl::flat_hash_set<analytics::Symbol> buyers;
        for (const v1::DeadlineItem& item : response->deadlines()) {
          if (auto buyer = analytics::Symbol::Find(item.buyer().id())) buyers.insert(*buyer);
        }
        if (!buyers.empty()) {
          const auto incumbents = engine_->Incumbents(buyers, options_.own_party_id);
          for (v1::DeadlineItem& item : *response->mutable_deadlines()) {
            auto buyer = analytics::Symbol::Find(item.buyer().id());
            if (!buyer) continue;
            if (auto found = incumbents.find(*buyer); found != incumbents.end()) {
              *item.mutable_incumbent() = found->second;
            }
          }
        }
        if (!request->page_token().empty()) return absl::OkStatus();
        const uint32_t stale_limit =
            request->stale_limit() == 0 ? kDefaultStale : request->stale_limit();
        if (stale_limit > kMaxStale) {
          return Invalid(absl::StrCat("stale_limit: ", stale_limit, "; must be 1 to ", kMaxStale));
        }
        return engine_->ScanStale(as_of - windows.stale_after,
                                  [&](const storage::v1::StaleRecord& stored) {
                                    if (!selected(stored)) return true;
                                    *response->add_stale() = api::StaleTenderOf(stored, as_of);
                                    return response->stale_size() < static_cast<int>(stale_limit);
                                  });
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::WinLoss(grpc::CallbackServerContext* context,
                                                      const v1::WinLossRequest* request,
                                                      v1::WinLossResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        RETURN_IF_ERROR(CheckTerritory(reader, request->territory(), true));
        analytics::WinLossOptions options;
        options.own_party_id = options_.own_party_id;
        options.bidder_id =
            request->bidder_id().empty() ? options_.own_party_id : request->bidder_id();
        if (v1::WinLossGroupBy_descriptor()->FindValueByNumber(request->group_by()) == nullptr) {
          return Invalid(absl::StrCat("group_by: ", static_cast<int>(request->group_by()),
                                      " is not a grouping this server knows"));
        }
        options.group_by = request->group_by();
        if (request->has_from()) options.from = FromProtoTime(request->from());
        if (request->has_to()) options.to = FromProtoTime(request->to());
        RETURN_IF_ERROR(CheckPeriod(options.from, options.to));
        options.territory = request->territory();
        options.owner_team = request->owner_team();
        options.buyer_id = request->buyer_id();
        options.category = request->category();
        ASSIGN_OR_RETURN(options.source, SourceField(request->source()));
        ASSIGN_OR_RETURN(options.reporting, ReportingOf(request->reporting()));
        RETURN_IF_ERROR(ParseAmount(request->deal_size().medium_from(), "deal_size.medium_from",
                                    &options.medium_deal_from));
        RETURN_IF_ERROR(ParseAmount(request->deal_size().large_from(), "deal_size.large_from",
                                    &options.large_deal_from));
        if (options.large_deal_from < options.medium_deal_from) {
          return Invalid("deal_size: large_from must not be below medium_from");
        }
        ASSIGN_OR_RETURN(options.deal_size_currency,
                         ThresholdsCurrency(request->deal_size().currency(), "deal_size.currency"));
        options.rate_table = options_.rates;
        const absl::Time segment_as_of = request->has_to() ? options.to : options_.clock();
        ASSIGN_OR_RETURN(options.segments,
                         SegmentOptionsOf(request->segment_thresholds(), request->reporting(),
                                          options.bidder_id, segment_as_of, options_.rates));
        ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(request->page_size()));
        ASSIGN_OR_RETURN(const size_t offset, WinLossPageOffset(*request));
        std::vector<std::string> without_rate;
        const std::vector<v1::WinLossGroup> groups =
            analytics::WinLoss(*engine_->Competitions(), options, &without_rate, &winloss_cache_);
        response->set_bidder_id(options.bidder_id);
        response->set_reporting_currency(options.reporting.currency);
        for (std::string& currency : without_rate) {
          response->add_currencies_without_rate(std::move(currency));
        }
        for (size_t i = offset; i < groups.size() && i < offset + page_size; ++i) {
          *response->add_groups() = groups[i];
        }
        if (offset + page_size < groups.size()) {
          response->set_next_page_token(WinLossPageToken(*request, offset + page_size));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::Segments(grpc::CallbackServerContext* context,
                                                       const v1::SegmentsRequest* request,
                                                       v1::SegmentsResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        RETURN_IF_ERROR(CheckTerritory(reader, "", true));
        const absl::Time as_of =
            request->has_as_of() ? FromProtoTime(request->as_of()) : options_.clock();
        const std::string bidder =
            request->bidder_id().empty() ? options_.own_party_id : request->bidder_id();
        ASSIGN_OR_RETURN(analytics::SegmentOptions options,
                         SegmentOptionsOf(request->thresholds(), request->reporting(), bidder,
                                          as_of, options_.rates));
        ASSIGN_OR_RETURN(options.window, DurationField(request->has_window(), request->window(),
                                                       absl::Hours(24 * 365), "window"));
        ASSIGN_OR_RETURN(options.source, SourceField(request->source()));
        *response = analytics::Segments(*engine_->Competitions(), options);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::Competitors(grpc::CallbackServerContext* context,
                                                          const v1::CompetitorsRequest* request,
                                                          v1::CompetitorsResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        RETURN_IF_ERROR(CheckTerritory(reader, "", true));
        const std::string bidder =
            request->bidder_id().empty() ? options_.own_party_id : request->bidder_id();
        const absl::Time from =
            request->has_from() ? FromProtoTime(request->from()) : absl::InfinitePast();
        const absl::Time to =
            request->has_to() ? FromProtoTime(request->to()) : absl::InfiniteFuture();
        RETURN_IF_ERROR(CheckPeriod(from, to));
        ASSIGN_OR_RETURN(const analytics::Source source, SourceField(request->source()));
        response->set_bidder_id(bidder);
        for (v1::CompetitorSummary& summary :
             analytics::Competitors(*engine_->Competitions(), bidder, from, to, source)) {
          *response->add_competitors() = std::move(summary);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::Signals(grpc::CallbackServerContext* context,
                                                      const v1::SignalsRequest* request,
                                                      v1::SignalsResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        if (!request->tender_id().empty() && !request->buyer_id().empty()) {
          return Invalid("tender_id, buyer_id: give one of them (or neither, for the top buyers)");
        }
        analytics::SignalOptions options;
        options.now = options_.clock();
        options.own_party_id = options_.own_party_id;
        if (request->has_from()) options.from = FromProtoTime(request->from());
        if (request->has_to()) options.to = FromProtoTime(request->to());
        RETURN_IF_ERROR(CheckPeriod(options.from, options.to));
        if (request->short_period_days() > 366) {
          return Invalid(absl::StrCat("short_period_days: ", request->short_period_days(),
                                      "; must be 1 to 366 (0: 15)"));
        }
        if (request->short_period_days() > 0) {
          options.short_period = absl::Hours(24 * request->short_period_days());
        }
        if (request->top() > 1000) {
          return Invalid(absl::StrCat("top: ", request->top(), "; must be 1 to 1000 (0: 20)"));
        }
        ASSIGN_OR_RETURN(options.source, SourceField(request->source()));
        std::string buyer_id = request->buyer_id();
        if (!request->tender_id().empty()) {
          // A tender's flags, and its buyer's: for whoever reads the tender.
          ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                           ReadTenderStream(store_, request->tender_id()));
          RETURN_IF_ERROR(CheckTender(reader, records));
          std::optional<v1::TenderEvent> first =
              tender::DecodeEvent(records[0].type, records[0].data);
          if (!first || !first->has_tender_discovered()) {
            return absl::NotFoundError(
                absl::StrCat("tender ", request->tender_id(), " has no discovery"));
          }
          buyer_id = first->tender_discovered().buyer().id();
        } else {
          // Across buyers and territories: market intelligence.
          RETURN_IF_ERROR(CheckTerritory(reader, "", true));
        }
        analytics::SignalReport report = analytics::Signals(*engine_->Competitions(), options);
        if (report.price_gap_threshold) {
          response->set_price_gap_threshold(*report.price_gap_threshold);
        }
        response->set_price_gaps(report.price_gaps);
        if (buyer_id.empty()) {
          const uint32_t top = request->top() == 0 ? 20 : request->top();
          for (v1::BuyerSignals& buyer : report.buyers) {
            if (response->buyers_size() == static_cast<int>(top)) break;
            *response->add_buyers() = std::move(buyer);
          }
          for (v1::SupplierSignal& supplier : report.suppliers) {
            if (response->suppliers_size() == static_cast<int>(top)) break;
            *response->add_suppliers() = std::move(supplier);
          }
          return absl::OkStatus();
        }
        for (v1::CompetitionSignal& signal : report.signals) {
          const bool wanted = request->tender_id().empty()
                                  ? signal.buyer().id() == buyer_id
                                  : signal.tender_id() == request->tender_id();
          if (wanted) *response->add_signals() = std::move(signal);
        }
        for (v1::BuyerSignals& buyer : report.buyers) {
          if (buyer.buyer().id() == buyer_id) *response->add_buyers() = std::move(buyer);
        }
        for (v1::SupplierSignal& supplier : report.suppliers) {
          if (supplier.buyer().id() == buyer_id) *response->add_suppliers() = std::move(supplier);
        }
        if (!request->buyer_id().empty() && response->buyers().empty()) {
          return absl::NotFoundError(absl::StrCat(
              "buyer_id: no competition of buyer ", buyer_id,
              " in the period (`bidtrail tender list --buyer ...` finds buyers by name)"));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::PipelineReview(
    grpc::CallbackServerContext* context, const v1::PipelineReviewRequest* request,
    v1::PipelineReviewResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        readmodel::ReviewOptions options;
        options.own_party_id = options_.own_party_id;
        options.owner_team = request->owner_team();
        options.representative = request->representative();
        if (!reader.all) {
          // A bidder reviews its own week.
          if (!options.representative.empty() && options.representative != reader.principal) {
            return absl::PermissionDeniedError(absl::StrCat(
                "representative: ", reader.principal, " reviews only its own week, not ",
                options.representative, "'s; managers and analysts review anyone's"));
          }
          options.representative = reader.principal;
        }
        if (!request->time_zone().empty()) {
          absl::StatusOr<NamedZone> zone = ParseZone(request->time_zone());
          if (!zone.ok()) return Invalid(absl::StrCat("time_zone: ", zone.status().message()));
          options.zone = zone->zone;
        }
        const absl::Time now = options_.clock();
        options.week =
            request->week().empty() ? readmodel::IsoWeekOf(now, options.zone) : request->week();
        ASSIGN_OR_RETURN(auto week, readmodel::IsoWeek(options.week, options.zone));
        options.week_start = week.first;
        options.week_end = week.second;
        if (options.week_start > now) {
          return Invalid(absl::StrCat("week: ", options.week,
                                      " has not begun; review this week or an earlier one"));
        }
        options.as_of = std::min(options.week_end, now);
        options.happened = request->happened();
        ASSIGN_OR_RETURN(options.stale_after,
                         DurationField(request->has_stale_after(), request->stale_after(),
                                       options.stale_after, "stale_after"));
        if (!request->currency().empty()) {
          RETURN_IF_ERROR(CheckCurrencyCode(request->currency(), "currency"));
          options.currency = request->currency();
        }
        options.rates_into = [this](const std::string& currency) {
          analytics::ReportingCurrency reporting;
          reporting.currency = currency;
          return analytics::WithTable(reporting, options_.rates).rates;
        };
        // Our pipeline's tenders, each read back from the log: what was
        // recorded by the week's end, whatever came after.
        std::vector<std::string> ids;
        RETURN_IF_ERROR(engine_->ScanTenders("", [&](const storage::v1::TenderRecord& record) {
          const tender::TenderState state = readmodel::StateOf(record);
          if (reader.Reads(state.details.territory()) &&
              readmodel::InOurPipeline(state, options_.own_party_id)) {
            ids.push_back(state.details.tender_id());
          }
          return true;
        }));
        std::vector<readmodel::TenderHistory> histories;
        histories.reserve(ids.size());
        for (const std::string& id : ids) {
          ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                           eventlog::ReadWholeStream(*store_, tender::StreamIdOf(id)));
          readmodel::TenderHistory& history = histories.emplace_back();
          for (eventlog::RecordedEvent& record : records) {
            std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data);
            if (!event) continue;
            history.events.push_back({std::move(*event), record.revision, record.position,
                                      record.occurred_at, record.recorded_at,
                                      std::move(record.actor)});
          }
        }
        std::vector<readmodel::Quota> quotas;
        ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> quota_records,
                         eventlog::ReadWholeStream(*store_, tender::kQuotaStream));
        for (const eventlog::RecordedEvent& record : quota_records) {
          v1::QuotaSet quota;
          if (record.type == v1::QuotaSet::descriptor()->full_name() &&
              quota.ParseFromString(record.data)) {
            quotas.push_back({std::move(quota), record.recorded_at});
          }
        }
        *response = readmodel::Review(histories, quotas, options);
        return absl::OkStatus();
      });
}

absl::Status QueriesGrpcService::TenderHappenedBy(
    const v1::TenderAsOfRequest& request, const std::vector<eventlog::RecordedEvent>& records,
    v1::TenderAsOfResponse* response) {
  const absl::Time by = FromProtoTime(request.occurred_by());
  tender::TenderState state;
  bool any = false;
  // A voided entry never happened, whenever the mistake was found.
  for (v1::TimelineEntry& entry : MarkedEntries(records)) {
    // Business times need not grow along a stream (a competitor's bid is
    // recorded at the opening, after our later facts): every event counts.
    if (FromProtoTime(entry.occurred_at()) > by) continue;
    if (entry.has_event() && !entry.has_voided()) tender::Apply(entry.event(), &state);
    response->set_revision(entry.revision());
    AddEntry(std::move(entry), response->mutable_events());
    any = true;
  }
  if (!any) {
    return absl::NotFoundError(absl::StrCat(
        "tender ", request.tender_id(), " had not happened by ", FormatUtc(by),
        records.empty()
            ? std::string()
            : absl::StrCat(" (it was discovered at ", FormatUtc(records[0].occurred_at), ")")));
  }
  *response->mutable_tender() = api::TenderViewOf(state, options_.own_party_id);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueriesGrpcService::TenderAsOf(grpc::CallbackServerContext* context,
                                                         const v1::TenderAsOfRequest* request,
                                                         v1::TenderAsOfResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        if (request->as_of_case() == v1::TenderAsOfRequest::AS_OF_NOT_SET) {
          return Invalid(
              "as_of: set recorded_at (a time), position or occurred_by (a business time)");
        }
        ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                         ReadTenderStream(store_, request->tender_id()));
        RETURN_IF_ERROR(CheckTender(reader, records));
        if (request->has_occurred_by()) return TenderHappenedBy(*request, records, response);
        tender::TenderState state;
        // What was known then: recorded times and positions only grow along a
        // stream; voidings recorded later were not known.
        std::vector<eventlog::RecordedEvent> known;
        for (eventlog::RecordedEvent& record : records) {
          const bool known_then = request->has_position()
                                      ? record.position <= request->position()
                                      : record.recorded_at <= FromProtoTime(request->recorded_at());
          if (!known_then) break;
          known.push_back(std::move(record));
        }
        // (When nothing was known, nothing was moved out of records[0].)
        const bool any = !known.empty();
        for (v1::TimelineEntry& entry : MarkedEntries(known)) {
          if (entry.has_event() && !entry.has_voided()) tender::Apply(entry.event(), &state);
          response->set_revision(entry.revision());
          AddEntry(std::move(entry), response->mutable_events());
        }
        if (!any) {
          return absl::NotFoundError(absl::StrCat(
              "tender ", request->tender_id(), " was not yet recorded then (its first event was ",
              request->has_position()
                  ? absl::StrCat("at position ", records[0].position)
                  : absl::StrCat("recorded at ", FormatUtc(records[0].recorded_at)),
              "; occurred_by asks what had happened by a business time)"));
        }
        *response->mutable_tender() = api::TenderViewOf(state, options_.own_party_id);
        return absl::OkStatus();
      });
}

// A word of a closed set, or "" (matches all); INVALID_ARGUMENT naming the
// field and the words otherwise.
template <size_t N>
absl::Status CheckWord(const std::string& word, const std::string_view (&words)[N],
                       std::string_view field) {
  if (word.empty() || std::find(std::begin(words), std::end(words), word) != std::end(words)) {
    return absl::OkStatus();
  }
  std::vector<std::string> names(std::begin(words), std::end(words));
  return Invalid(absl::StrCat(std::string(field), ": \"", word.substr(0, 40), "\" is not one of ",
                              absl::StrJoin(names, ", ")));
}

grpc::ServerUnaryReactor* QueriesGrpcService::ListTenders(grpc::CallbackServerContext* context,
                                                          const v1::ListTendersRequest* request,
                                                          v1::ListTendersResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        RETURN_IF_ERROR(CheckTerritory(reader, request->territory(), false));
        readmodel::TenderFilter filter;
        for (const std::string& word : request->words()) {
          if (!word.empty()) filter.words.push_back(word);
        }
        filter.buyer = request->buyer();
        filter.territory = request->territory();
        filter.owner_team = request->owner_team();
        filter.status = request->status();
        filter.outcome = request->outcome();
        filter.source = request->source();
        RETURN_IF_ERROR(CheckWord(filter.status, readmodel::kStatusWords, "status"));
        RETURN_IF_ERROR(CheckWord(filter.outcome, readmodel::kOutcomeWords, "outcome"));
        RETURN_IF_ERROR(CheckWord(filter.source, readmodel::kSourceWords, "source"));
        if (request->has_discovered_from()) {
          filter.discovered_from = FromProtoTime(request->discovered_from());
        }
        if (request->has_discovered_to())
          filter.discovered_to = FromProtoTime(request->discovered_to());
        RETURN_IF_ERROR(CheckPeriod(filter.discovered_from, filter.discovered_to));
        ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(request->page_size()));
        std::string after;
        if (!request->page_token().empty() &&
            (!absl::WebSafeBase64Unescape(request->page_token(), &after) ||
             !absl::StartsWith(after, "t:"))) {
          return Invalid("page_token: not a token this server issued");
        }
        if (!after.empty()) after = after.substr(2);
        const absl::Time now = options_.clock();
        std::string last;
        bool more = false;
        RETURN_IF_ERROR(engine_->ScanTenders(after, [&](const storage::v1::TenderRecord& record) {
          const tender::TenderState state = readmodel::StateOf(record);
          if (!reader.Reads(state.details.territory())) return true;
          if (!readmodel::Matches(state, filter, options_.own_party_id, now)) return true;
          if (static_cast<uint32_t>(response->tenders_size()) == page_size) {
            more = true;
            return false;
          }
          const v1::TenderDiscovered& details = state.details;
          v1::TenderSummary* summary = response->add_tenders();
          summary->set_tender_id(details.tender_id());
          summary->set_title(details.title());
          *summary->mutable_buyer() = details.buyer();
          summary->set_territory(details.territory());
          summary->set_owner_team(details.owner_team());
          summary->set_status(std::string(readmodel::StatusWord(state)));
          summary->set_our_outcome(
              std::string(readmodel::OurOutcome(state, options_.own_party_id, now)));
          *summary->mutable_discovered_at() = details.occurred_at();
          if (details.key_dates().has_submission_deadline()) {
            *summary->mutable_submission_deadline() = details.key_dates().submission_deadline();
          }
          if (details.has_estimated_value()) {
            *summary->mutable_estimated_value() = details.estimated_value();
          }
          summary->set_source(std::string(readmodel::SourceWord(state)));
          summary->set_source_reference(details.source_reference());
          summary->set_time_zone(details.time_zone());
          summary->set_in_pipeline(readmodel::InOurPipeline(state, options_.own_party_id));
          last = details.tender_id();
          return true;
        }));
        if (more) response->set_next_page_token(absl::WebSafeBase64Escape("t:" + last));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::ActorHistory(grpc::CallbackServerContext* context,
                                                           const v1::ActorHistoryRequest* request,
                                                           v1::ActorHistoryResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        if (request->actor().empty()) return Invalid("actor: required");
        if (!reader.all && request->actor() != reader.principal) {
          return absl::PermissionDeniedError(absl::StrCat(
              "actor: ", reader.principal, " reads only its own history, not ", request->actor()));
        }
        ASSIGN_OR_RETURN(const uint32_t page_size, PageSize(request->page_size()));
        uint64_t after = 0;
        if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &after)) {
          return Invalid("page_token: not a token this server issued");
        }
        const absl::Time from =
            request->has_from() ? FromProtoTime(request->from()) : absl::InfinitePast();
        const absl::Time to =
            request->has_to() ? FromProtoTime(request->to()) : absl::InfiniteFuture();
        RETURN_IF_ERROR(CheckPeriod(from, to));
        bool more = false;
        RETURN_IF_ERROR(
            engine_->ScanActor(request->actor(), after, [&](const readmodel::ActorEntry& entry) {
              if (entry.recorded_at < from) return true;
              if (entry.recorded_at >= to) return false;  // recorded times only grow along the log
              if (response->records_size() == static_cast<int>(page_size)) {
                more = true;
                return false;
              }
              *response->add_records() = api::ActorRecordOf(entry);
              return true;
            }));
        // What each recorded: its event, read from the log by position (a point
        // read each; a page holds at most 1,000).
        for (v1::ActorRecord& record : *response->mutable_records()) {
          eventlog::ReadAllRequest read;
          read.from_position = record.position();
          read.max_count = 1;
          read.max_scan = 1;
          ASSIGN_OR_RETURN(eventlog::ReadAllResult found, store_->ReadAll(read));
          if (found.events.empty() || found.events[0].position != record.position()) continue;
          if (auto event = tender::DecodeEvent(found.events[0].type, found.events[0].data)) {
            *record.mutable_event() = *std::move(event);
          } else if (auto access =
                         auth::DecodeAccessEvent(found.events[0].type, found.events[0].data)) {
            *record.mutable_access() = *std::move(access);
          }
        }
        if (more) {
          response->set_next_page_token(
              absl::StrCat(response->records(response->records_size() - 1).position()));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::VerifyLog(grpc::CallbackServerContext* context,
                                                        const v1::VerifyLogRequest* request,
                                                        v1::VerifyLogResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Reader reader, ReaderOf(authorization));
        if (!reader.admin) {
          return absl::PermissionDeniedError(
              absl::StrCat(reader.principal, " may not verify: it needs admin"));
        }
        std::string expected_hash;
        if (!request->expect_hash().empty()) {
          if (request->expect_hash().size() != 64 ||
              request->expect_hash().find_first_not_of("0123456789abcdefABCDEF") !=
                  std::string::npos) {
            return Invalid(absl::StrCat("expect_hash: \"", Prefix(request->expect_hash()),
                                        "\" is not a chain hash (64 hex digits)"));
          }
          if (request->expect_position() == 0) {
            return Invalid("expect_hash: needs expect_position, the position it is the hash of");
          }
          expected_hash = absl::HexStringToBytes(request->expect_hash());
        }
        ASSIGN_OR_RETURN(eventlog::VerifyResult result, store_->Verify());
        eventstore::ToProto(result, response);
        if (!result.ok || request->expect_position() == 0) return absl::OkStatus();
        // The chain holds; does the log reach what was noted, unchanged?
        const uint64_t expected = request->expect_position();
        if (result.records_checked < expected) {
          response->set_ok(false);
          response->set_first_bad_position(result.records_checked + 1);
          response->set_problem(absl::StrCat(
              "the log ends at position ", result.records_checked, ", but position ", expected,
              " was expected: events were lost, or this is not the log the expectation came "
              "from"));
          return absl::OkStatus();
        }
        if (expected_hash.empty()) return absl::OkStatus();
        eventlog::ReadAllRequest read;
        read.from_position = expected;
        read.max_count = 1;
        read.max_scan = 1;
        ASSIGN_OR_RETURN(eventlog::ReadAllResult found, store_->ReadAll(read));
        if (found.events.empty() || found.events[0].position != expected ||
            found.events[0].hash != expected_hash) {
          response->set_ok(false);
          response->set_first_bad_position(expected);
          response->set_problem(
              absl::StrCat("the record at position ", expected, " has chain hash ",
                           found.events.empty() ? std::string("(none)")
                                                : absl::BytesToHexString(found.events[0].hash),
                           ", not the expected ", absl::AsciiStrToLower(request->expect_hash()),
                           ": the history up to there is not the one noted"));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueriesGrpcService::GetProjectionStatus(
    grpc::CallbackServerContext* context, const v1::GetProjectionStatusRequest* /*request*/,
    v1::GetProjectionStatusResponse* response) {
  return rpc::RunOnPool(
      &pool_, context,
      [this, authorization = rpc::Credential(*context), response]() -> absl::Status {
        // Any principal may see how far the read models are behind.
        if (options_.authenticator != nullptr) {
          ASSIGN_OR_RETURN(auth::Authenticator::Verified verified,
                           options_.authenticator->Resolve(authorization));
          response->set_access_events(verified.access_events);
        }
        const projection::ProjectionStatus status = engine_->Status();
        response->set_checkpoint(status.checkpoint);
        response->set_head_position(status.head_position);
        response->set_lag(status.head_position > status.checkpoint
                              ? status.head_position - status.checkpoint
                              : 0);
        response->set_unknown_events_skipped(status.unknown_events_skipped);
        response->set_rebuilding(status.rebuilding);
        response->set_rebuild_position(status.rebuild_position);
        if (status.last_error) {
          const projection::RunnerError& error = *status.last_error;
          v1::ProjectionError* out = response->mutable_last_error();
          out->set_code(absl::StatusCodeToString(error.status.code()));
          out->set_message(std::string(error.status.message()));
          out->set_position(error.position);
          ToProtoTime(error.at, out->mutable_at());
          out->set_failures_in_a_row(error.failures_in_a_row);
          out->set_total_failures(error.total_failures);
        }
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::RebuildResponse>* QueriesGrpcService::Rebuild(
    grpc::CallbackServerContext* context, const v1::RebuildRequest* /*request*/) {
  // Admins only: a stream that ends at once with the refusal otherwise.
  absl::StatusOr<Reader> reader = ReaderOf(rpc::Credential(*context));
  if (!reader.ok() || !reader->admin) {
    const absl::Status refused = !reader.ok()
                                     ? reader.status()
                                     : absl::PermissionDeniedError(absl::StrCat(
                                           reader->principal, " may not rebuild: it needs admin"));
    return new rpc::ThreadDrivenWriter<v1::RebuildResponse>(
        [refused]() -> absl::StatusOr<std::optional<v1::RebuildResponse>> { return refused; },
        rpc::StreamHooks());
  }
  // The rebuild runs on a thread of its own and posts its progress here; the
  // stream sends the latest progress each time the previous message is out.
  struct Progress {
    absl::Mutex mu;
    uint64_t position ABSL_GUARDED_BY(mu) = 0;
    uint64_t head ABSL_GUARDED_BY(mu) = 0;
    bool changed ABSL_GUARDED_BY(mu) = false;
    bool done ABSL_GUARDED_BY(mu) = false;
    bool sent_last ABSL_GUARDED_BY(mu) = false;
    absl::Status result ABSL_GUARDED_BY(mu);
  };
  auto progress = std::make_shared<Progress>();
  // Detached: a rebuild goes on to the end even if the client goes away; the
  // engine waits for it when it closes.
  std::thread([this, progress] {
    absl::Status result = engine_->Rebuild([&](uint64_t position, uint64_t head) {
      absl::MutexLock lock(&progress->mu);
      progress->position = position;
      progress->head = head;
      progress->changed = true;
    });
    absl::MutexLock lock(&progress->mu);
    progress->result = result;
    progress->done = true;
  }).detach();
  auto produce = [progress]() -> absl::StatusOr<std::optional<v1::RebuildResponse>> {
    absl::MutexLock lock(&progress->mu);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(progress->mu) {
      return progress->changed || progress->done;
    };
    progress->mu.Await(absl::Condition(&ready));
    if (progress->done && !progress->result.ok()) return progress->result;
    if (progress->sent_last) return std::optional<v1::RebuildResponse>();
    v1::RebuildResponse message;
    message.set_position(progress->position);
    message.set_head_position(progress->head);
    if (progress->done) {
      message.set_switched(true);
      progress->sent_last = true;
    }
    progress->changed = false;
    return std::optional<v1::RebuildResponse>(std::move(message));
  };
  return new rpc::ThreadDrivenWriter<v1::RebuildResponse>(std::move(produce), rpc::StreamHooks());
}

}  // namespace bidtrail::projections
