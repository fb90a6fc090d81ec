// Placeholder until the WAL lands.
#include "wal/wal.h"
