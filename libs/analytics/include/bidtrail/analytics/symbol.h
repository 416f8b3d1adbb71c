// Interned strings for the analytics: party ids and names, buyers,
// territories, categories, owner teams and currencies as small integers, so
// that the analytics compare and group integers instead of strings.
//
// One table per process, append-only: a Symbol, once given, stands for the
// same text for the life of the process, and two Symbols are equal exactly
// when their texts are. The table never forgets, so intern only strings from
// a bounded vocabulary (never tender ids, free text or request input: look
// those up with Find). Thread-safe.
#ifndef BIDTRAIL_ANALYTICS_SYMBOL_H_
#define BIDTRAIL_ANALYTICS_SYMBOL_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace bidtrail::analytics {

class Symbol {
 public:
  // The empty string.
  Symbol() = default;

  // The symbol of `text`, interned on first use.
  static Symbol Intern(std::string_view text);
  // The symbol of `text` if it was interned, else std::nullopt. Never grows
  // the table.
  static std::optional<Symbol> Find(std::string_view text);
  // How many symbols exist: every index() seen so far is below it.
  static uint32_t Count();

  // The text; stays valid for the life of the process. Takes a reader lock:
  // for results, not for inner loops (compare symbols there).
  std::string_view text() const;
  // Dense, from 0 (the empty string) in the order of interning: an index
  // into arrays keyed by symbol.
  uint32_t index() const { return index_; }

  friend bool operator==(Symbol a, Symbol b) { return a.index_ == b.index_; }
  friend bool operator!=(Symbol a, Symbol b) { return a.index_ != b.index_; }
  template <typename H>
  friend H AbslHashValue(H state, Symbol symbol) {
    return H::combine(std::move(state), symbol.index_);
  }

 private:
  explicit Symbol(uint32_t index) : index_(index) {}
  uint32_t index_ = 0;
};

}  // namespace bidtrail::analytics

#endif  // BIDTRAIL_ANALYTICS_SYMBOL_H_
