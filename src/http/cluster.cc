#include "http/cluster.h"

#include "http/json_writer.h"
#include "store/event_store.h"

namespace annal::http {

StandaloneCluster::StandaloneCluster(store::EventStore& store)
    : store_(&store, [](store::EventStore*) {}) {}

void StandaloneCluster::WriteHealth(JsonWriter& w) { w.Null(); }

Result<std::string> StandaloneCluster::Promote() {
  return InvalidArgument("this node does not replicate (start it with --role follower to promote it)");
}

Result<std::string> StandaloneCluster::Repoint(std::string_view) {
  return InvalidArgument("this node does not replicate (start it with --role follower)");
}

}  // namespace annal::http
