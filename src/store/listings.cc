// Listings and counters: ListEntities, ListStreams, ListEventTypes, GetStats. Like every read,
// they count only events at or below the visible watermark loaded under index_mu_.
#include <shared_mutex>
#include <string_view>

#include "store/entity_state_merge.h"
#include "store/payload_filter.h"
#include "store/store_impl.h"

namespace annal::store {
namespace {

// Filtered entity listings inspect every entity's events; they drop and retake the read lock
// every this many entities so a long listing never holds appenders back for long. The result
// is still a consistent snapshot: it is taken at one fixed watermark, and nothing at or below
// a watermark ever changes.
constexpr size_t kEntitiesPerLockHold = 256;

template <typename T>
void FinishPage(Page<T>& page, size_t offset) {
  page.has_more = offset + page.items.size() < page.total;
}

}  // namespace

EntitySummary EventStore::Impl::Summarize(const std::string& entity_id, const EntityEntry& entry,
                                          Lsn visible) const {
  const size_t end = VisibleEnd(entry.lsns, visible);
  const Event& last = log_.At(entry.lsns[end - 1]);
  return EntitySummary{entity_id, end, last.event_type, last.timestamp};
}

Page<EntitySummary> EventStore::Impl::ListEntities(const EntityListOptions& opts) const {
  Page<EntitySummary> page;
  const auto& entities = indexes_.entities();
  if (!opts.event_type_prefix && opts.payload_filter.empty()) {
    // Unfiltered: the total is a counter and the page costs O(offset + limit).
    std::shared_lock lock(index_mu_);
    const Lsn visible = visibility_.visible();
    page.total = indexes_.EntityCount(visible);
    size_t skipped = 0;
    for (const auto& [id, entry] : entities) {
      if (page.items.size() >= opts.limit) break;
      if (entry.first_lsn() > visible) continue;  // only pending events so far
      if (skipped < opts.offset) {
        ++skipped;
        continue;
      }
      page.items.push_back(Summarize(id, entry, visible));
    }
    FinishPage(page, opts.offset);
    return page;
  }

  // A filter value that is not JSON can match no entity (HTTP validates filters up front).
  auto compiled = PayloadMatcher::Compile(opts.payload_filter);
  if (!compiled.ok()) return page;
  PayloadMatcher& matcher = compiled.value();

  std::optional<Lsn> visible;
  std::string resume_after;  // last entity id handled under the previous lock hold
  bool done = false;
  while (!done) {
    std::shared_lock lock(index_mu_);
    if (!visible) visible = visibility_.visible();
    auto it = resume_after.empty() ? entities.begin() : entities.upper_bound(resume_after);
    for (size_t n = 0; n < kEntitiesPerLockHold && it != entities.end(); ++n, ++it) {
      const auto& [id, entry] = *it;
      const size_t end = VisibleEnd(entry.lsns, *visible);
      if (end == 0) continue;
      if (opts.event_type_prefix) {
        bool any = false;
        for (size_t i = 0; i < end && !any; ++i)
          any = std::string_view(log_.At(entry.lsns[i]).event_type)
                    .starts_with(*opts.event_type_prefix);
        if (!any) continue;
      }
      if (!matcher.empty()) {
        auto history = EntityHistory(entry, *visible, std::nullopt, std::nullopt);
        if (!matcher.Matches(MergeEntityState(history))) continue;
      }
      ++page.total;
      if (page.total > opts.offset && page.items.size() < opts.limit)
        page.items.push_back(Summarize(id, entry, *visible));
    }
    if (it == entities.end()) {
      done = true;
    } else {
      resume_after = std::prev(it)->first;  // entity ids are never empty
    }
  }
  FinishPage(page, opts.offset);
  return page;
}

Page<StreamSummary> EventStore::Impl::ListStreams(size_t limit, size_t offset) const {
  // Streams are listed by entity_id across tenants, like entities (AllSource has no tenants
  // in its stream listing).
  Page<StreamSummary> page;
  std::shared_lock lock(index_mu_);
  const Lsn visible = visibility_.visible();
  page.total = indexes_.EntityCount(visible);
  size_t skipped = 0;
  for (const auto& [id, entry] : indexes_.entities()) {
    if (page.items.size() >= limit) break;
    if (entry.first_lsn() > visible) continue;
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    EntitySummary s = Summarize(id, entry, visible);
    page.items.push_back(StreamSummary{id, s.event_count, s.last_event_at});
  }
  FinishPage(page, offset);
  return page;
}

Page<EventTypeSummary> EventStore::Impl::ListEventTypes(size_t limit, size_t offset) const {
  Page<EventTypeSummary> page;
  std::shared_lock lock(index_mu_);
  const Lsn visible = visibility_.visible();
  page.total = indexes_.EventTypeCount(visible);
  size_t skipped = 0;
  for (const auto& [type, entry] : indexes_.event_types()) {
    if (page.items.size() >= limit) break;
    const size_t end = VisibleEnd(entry.lsns, visible);
    if (end == 0) continue;
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    page.items.push_back(
        EventTypeSummary{type, end, log_.At(entry.lsns[end - 1]).timestamp});
  }
  FinishPage(page, offset);
  return page;
}

Stats EventStore::Impl::GetStats() const {
  Stats stats;
  std::shared_lock lock(index_mu_);
  const Lsn visible = visibility_.visible();
  if (visible >= log_.first_lsn()) stats.total_events = visible.value() - log_.first_lsn().value() + 1;
  stats.total_entities = indexes_.EntityCount(visible);
  stats.total_event_types = indexes_.EventTypeCount(visible);
  stats.total_ingested = total_ingested_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace annal::store
