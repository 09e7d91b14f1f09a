"""How a serving process is tuned once the application is loaded (performance/README.md).

- **GIL switch interval.** The database's threads (one per SQLite connection) need the GIL
  for every row they build and to hand each result back. While the event loop's thread is
  busy (pages, an export's chunks), Python gives the GIL to a waiting thread only every 5 ms by
  default, several times per statement: a small query's four statements then took hundreds
  of milliseconds. A shorter interval bounds that wait; it costs nothing while only one
  thread runs.
- **`gc.freeze()`.** The modules, the schema and the policy, loaded once, are moved out of
  the garbage collector's reach: a full collection, which holds every request of the
  process, then scans only what requests have allocated (10 ms instead of 50-60 ms here).

Switched off by `ESPACE_TUNE_PROCESS=0` (the server then does not call it).
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_SECONDS = 0.0005


def tune_for_serving() -> None:
    """Called once the application and its database connection are ready."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()
