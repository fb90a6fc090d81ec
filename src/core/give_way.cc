#include "core/give_way.h"

#include <sched.h>

namespace annal {

void YieldThisThread() { ::sched_yield(); }

}  // namespace annal
