// The mapping of one OCDS contracting process (all releases of one ocid) onto
// bidtrail tender events, as DOMAIN.md and docs/ocds-import.md describe it.
// Pure: no IO, no clock. Thread-safe.
//
// The releases are folded in release-date order (a record's compiledRelease,
// which sums its releases up, after them). Each release is compared
// with the tender as the events so far make it (tender::Fold), and only what
// the release adds becomes an event: the discovery, amendments, bids, awards,
// cancelled awards, and ended tenders or lots. Every event's id is a
// name-based UUID of (ocid, release id, element), so mapping the same releases
// again gives the same events with the same ids. What cannot be represented
// is counted by reason instead of stopping the import.
#ifndef BIDTRAIL_OCDS_MAPPING_H_
#define BIDTRAIL_OCDS_MAPPING_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/ocds/release.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::ocds {

struct MappedEvent {
  v1::TenderEvent event;
  // NameBasedUuid of (ocid, release id, element).
  std::string event_id;
  // The release that produced it, and that release's ReleaseFingerprint.
  std::string release_id;
  std::string release_fingerprint;
};

struct TenderMapping {
  std::string ocid;
  // TenderIdOf(ocid).
  std::string tender_id;
  // In the order they must be appended.
  std::vector<MappedEvent> events;
  // Every input release is either mapped or skipped:
  // releases_mapped + sum(releases_skipped) == number of input releases.
  uint64_t releases_mapped = 0;
  // "duplicate_release" (the same id and content again),
  // "conflicting_release" (the same id, other content: the copy with the
  // earliest release date is mapped).
  std::map<std::string, uint64_t> releases_skipped;
  // One line per conflicting copy: which release, which copy was kept.
  std::vector<std::string> conflicts;
  // BidSubmitted and AwardAnnounced events among `events`.
  uint64_t bids = 0;
  uint64_t awards = 0;
  // Parts of releases that could not be represented, by reason
  // (docs/ocds-import.md lists them).
  std::map<std::string, uint64_t> skipped;
  // Parts imported with an interpretation worth knowing, by reason
  // ("award_before_tender_start", "bids_from_tenderers", ...).
  std::map<std::string, uint64_t> notes;
};

// Maps the releases of `ocid` (any order; duplicates allowed). Releases whose
// ocid differs are mapped all the same: callers group by ocid.
TenderMapping MapReleases(const std::string& ocid, std::vector<Release> releases);

// The tender id of an ocid: the ocid itself when it is a valid tender id (1 to
// 100 printable ASCII bytes), else "ocds-" followed by a UUID derived from it.
std::string TenderIdOf(const std::string& ocid);

// A name-based UUID of the release's content as mapped: every field of
// Release except `source`, `problems` and `notes`, with party references
// resolved against `parties` (so a copy that names a party by id and one that
// spells it out agree). Equal for copies that say the same; different when a
// copy with the same id says something else.
std::string ReleaseFingerprint(const Release& release);

}  // namespace bidtrail::ocds

#endif  // BIDTRAIL_OCDS_MAPPING_H_
