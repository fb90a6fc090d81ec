// Reads of events: GetEvent, QueryEvents, GetEntityState. Every read takes index_mu_ shared,
// loads the visible watermark once under it, and never returns an event above it.
#include <algorithm>
#include <shared_mutex>
#include <span>
#include <string_view>

#include "store/entity_state_merge.h"
#include "store/payload_filter.h"
#include "store/store_impl.h"

namespace annal::store {
namespace {

// Residual filtering (payload parsing above all) can take long on a big candidate set; the
// read lock is dropped and retaken every this many candidates so appends are not held back.
// That is safe: candidates are LSNs <= a fixed watermark, such events never change, the index
// lists only grow at the tail, and entries are re-read by position after relocking.
constexpr size_t kCandidatesPerLockHold = 1024;

// The events a query has to look at, in LSN order: either a slice of an index list or a
// contiguous LSN range of the log. Reading an element requires the index lock.
class Candidates {
 public:
  static Candidates Range(Lsn lo, Lsn hi) {
    Candidates c;
    c.lo_ = lo;
    c.count_ = lo <= hi ? hi.value() - lo.value() + 1 : 0;
    return c;
  }
  // The part of `lsns` within [lo, hi]. `lsns` must outlive the Candidates (index entries
  // do; the list may grow meanwhile, and what it held does not move).
  static Candidates Slice(const LsnList& lsns, Lsn lo, Lsn hi) {
    Candidates c;
    c.list_ = &lsns;
    c.begin_ = lsns.LowerBound(lo);
    c.count_ = lo <= hi ? lsns.UpperBound(hi) - c.begin_ : 0;
    return c;
  }
  // The same for the query's own sorted merge buffer.
  static Candidates Slice(const std::vector<Lsn>& lsns, Lsn lo, Lsn hi) {
    Candidates c;
    auto b = std::lower_bound(lsns.begin(), lsns.end(), lo);
    auto e = std::upper_bound(b, lsns.end(), hi);
    c.vector_ = &lsns;
    c.begin_ = static_cast<size_t>(b - lsns.begin());
    c.count_ = static_cast<size_t>(e - b);
    return c;
  }
  size_t size() const { return count_; }
  Lsn operator[](size_t i) const {
    if (list_) return (*list_)[begin_ + i];
    return vector_ ? (*vector_)[begin_ + i] : Lsn(lo_.value() + i);
  }

 private:
  const LsnList* list_ = nullptr;
  const std::vector<Lsn>* vector_ = nullptr;
  size_t begin_ = 0;
  Lsn lo_;
  size_t count_ = 0;
};

}  // namespace

std::optional<const Event*> EventStore::Impl::GetEvent(const Uuid& id) const {
  std::shared_lock lock(index_mu_);
  Lsn visible = visibility_.visible();
  auto lsn = indexes_.FindEventId(id);
  if (!lsn || *lsn > visible) return std::nullopt;
  return &log_.At(*lsn);
}

Result<QueryResult> EventStore::Impl::QueryEvents(const Query& q) const {
  ANNAL_ASSIGN_OR_RETURN(PayloadMatcher matcher, PayloadMatcher::Compile(q.payload_filter));
  const size_t limit = std::min(q.limit.value_or(options_.max_query_results),
                                options_.max_query_results);
  std::optional<TimestampMicros> upper = q.until;
  if (q.as_of && (!upper || *q.as_of < *upper)) upper = q.as_of;

  QueryResult result;
  std::shared_lock lock(index_mu_);
  const Lsn visible = visibility_.visible();

  // LSN window: after the cursor, up to the watermark, then narrowed by time. Timestamps are
  // non-decreasing in LSN order, so a time range is an LSN range found by binary search.
  Lsn lo = std::max(q.after.next(), log_.first_lsn());
  Lsn hi = std::min(visible, log_.last_lsn());
  if (q.since) lo = log_.LowerBoundTimestamp(lo, hi, *q.since);
  if (upper) hi = Lsn(log_.UpperBoundTimestamp(lo, hi, *upper).value() - 1);

  // Pick the most selective index the filters allow; whatever it does not already guarantee
  // is checked per event below.
  Candidates candidates;
  std::vector<Lsn> merged;  // prefix over several event types
  bool check_type = false, check_prefix = false;
  if (q.entity_id) {
    const EntityEntry* entry = indexes_.FindEntity(*q.entity_id);
    if (entry == nullptr) return result;
    candidates = Candidates::Slice(entry->lsns, lo, hi);
    check_type = q.event_type.has_value();
    check_prefix = q.event_type_prefix.has_value();
  } else if (q.event_type) {
    const EventTypeEntry* entry = indexes_.FindEventType(*q.event_type);
    if (entry == nullptr) return result;
    candidates = Candidates::Slice(entry->lsns, lo, hi);
    check_prefix = q.event_type_prefix.has_value();
  } else if (q.event_type_prefix) {
    const auto& types = indexes_.event_types();
    const LsnList* only = nullptr;
    size_t matching_types = 0;
    for (auto it = types.lower_bound(*q.event_type_prefix);
         it != types.end() && std::string_view(it->first).starts_with(*q.event_type_prefix);
         ++it) {
      Candidates part = Candidates::Slice(it->second.lsns, lo, hi);
      if (part.size() == 0) continue;
      ++matching_types;
      only = &it->second.lsns;
      for (size_t i = 0; i < part.size(); ++i) merged.push_back(part[i]);
    }
    if (matching_types == 1) {
      candidates = Candidates::Slice(*only, lo, hi);  // already sorted: skip the sort
    } else {
      std::sort(merged.begin(), merged.end());
      candidates = Candidates::Slice(merged, lo, hi);
    }
  } else {
    candidates = Candidates::Range(lo, hi);
  }

  const bool check_tenant = q.tenant_id.has_value();
  const bool residual = check_type || check_prefix || check_tenant || !matcher.empty();
  if (!residual) {
    // The candidates are exactly the matches: no need to look at the ones past the limit.
    result.total_count = candidates.size();
    size_t take = std::min(limit, candidates.size());
    result.events.reserve(take);
    for (size_t i = 0; i < take; ++i) result.events.push_back(&log_.At(candidates[i]));
  } else {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (i > 0 && i % kCandidatesPerLockHold == 0) {
        lock.unlock();
        lock.lock();
      }
      const Event& e = log_.At(candidates[i]);
      if (check_type && e.event_type != *q.event_type) continue;
      if (check_prefix && !std::string_view(e.event_type).starts_with(*q.event_type_prefix))
        continue;
      if (check_tenant && e.tenant_id != *q.tenant_id) continue;
      if (!matcher.Matches(e.payload)) continue;
      ++result.total_count;
      if (result.events.size() < limit) result.events.push_back(&e);
    }
  }
  if (result.total_count > result.events.size()) {
    result.has_more = true;
    result.next_after = result.events.empty() ? q.after : result.events.back()->sequence;
  }
  return result;
}

std::vector<const Event*> EventStore::Impl::EntityHistory(
    const EntityEntry& entry, Lsn visible, const std::optional<std::string>& tenant_id,
    std::optional<TimestampMicros> as_of) const {
  std::vector<const Event*> history;
  const size_t end = VisibleEnd(entry.lsns, visible);
  for (size_t i = 0; i < end; ++i) {
    const Event& e = log_.At(entry.lsns[i]);
    if (as_of && e.timestamp > *as_of) break;  // timestamps grow with LSN
    if (tenant_id && e.tenant_id != *tenant_id) continue;
    history.push_back(&e);
  }
  return history;
}

std::optional<EntityState> EventStore::Impl::GetEntityState(
    const std::optional<std::string>& tenant_id, const std::string& entity_id,
    std::optional<TimestampMicros> as_of) const {
  EntityState state;
  {
    std::shared_lock lock(index_mu_);
    const Lsn visible = visibility_.visible();
    const EntityEntry* entry = indexes_.FindEntity(entity_id);
    if (entry == nullptr) return std::nullopt;
    state.history = EntityHistory(*entry, visible, tenant_id, as_of);
  }
  if (state.history.empty()) return std::nullopt;
  // Events are immutable: the merge (the expensive part) runs without the lock.
  state.entity_id = entity_id;
  state.event_count = state.history.size();
  state.last_updated = state.history.back()->timestamp;
  state.as_of = as_of;
  state.current_state = MergeEntityState(state.history);
  return state;
}

}  // namespace annal::store
