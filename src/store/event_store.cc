// Placeholder until the store lands.
#include "store/event_store.h"
