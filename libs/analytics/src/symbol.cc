#include "bidtrail/analytics/symbol.h"

#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail::analytics {
namespace {

class SymbolTable {
 public:
  SymbolTable() { Intern(""); }

  static SymbolTable& Global() {
    // Never destroyed: symbols may be used by threads still running at exit.
    static SymbolTable* const table = new SymbolTable();
    return *table;
  }

  uint32_t Intern(std::string_view text) ABSL_LOCKS_EXCLUDED(mu_) {
    const absl::string_view key(text.data(), text.size());
    {
      // Nearly every call finds the text: readers do not wait for each other.
      absl::ReaderMutexLock lock(&mu_);
      if (auto found = index_.find(key); found != index_.end()) return found->second;
    }
    absl::MutexLock lock(&mu_);
    if (auto found = index_.find(key); found != index_.end()) return found->second;
    const uint32_t index = static_cast<uint32_t>(texts_.size());
    // A deque never moves its elements, so the keys of index_ and the views
    // text() hands out stay valid as the table grows.
    const std::string& stored = texts_.emplace_back(text);
    index_.emplace(absl::string_view(stored), index);
    return index;
  }

  std::optional<uint32_t> Find(std::string_view text) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    auto found = index_.find(absl::string_view(text.data(), text.size()));
    if (found == index_.end()) return std::nullopt;
    return found->second;
  }

  uint32_t Count() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return static_cast<uint32_t>(texts_.size());
  }

  absl::string_view Stored(uint32_t index) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return texts_[index];
  }

  std::string_view Text(uint32_t index) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    // The string is never changed once stored: the view outlives the lock.
    return texts_[index];
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<absl::string_view, uint32_t> index_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> texts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

Symbol Symbol::Intern(std::string_view text) {
  // Each thread remembers the symbols it has interned: symbols never change,
  // and the table's shared lock, though rarely held long, is one cache line
  // that every interning thread writes to (measured: with the runner's two
  // threads interning a rebuild's competitions, the lock cost more than the
  // lookups). The keys view the table's strings, which never move.
  thread_local absl::flat_hash_map<absl::string_view, uint32_t> seen;
  const absl::string_view key(text.data(), text.size());
  if (auto found = seen.find(key); found != seen.end()) return Symbol(found->second);
  const uint32_t index = SymbolTable::Global().Intern(text);
  seen.emplace(SymbolTable::Global().Stored(index), index);
  return Symbol(index);
}

std::optional<Symbol> Symbol::Find(std::string_view text) {
  std::optional<uint32_t> index = SymbolTable::Global().Find(text);
  if (!index) return std::nullopt;
  return Symbol(*index);
}

uint32_t Symbol::Count() { return SymbolTable::Global().Count(); }

std::string_view Symbol::text() const { return SymbolTable::Global().Text(index_); }

}  // namespace bidtrail::analytics
