"""Keeping a syncing process's start-up objects out of the garbage collector's full passes.

A full pass walks every object the collector tracks: in a worker, about 100,000 objects alive from
start-up (imported modules, configuration), some 70 ms of CPU each time. The collector starts one whenever
enough objects have survived since the last, and an incremental sync allocates plenty (its CDC answer is
some 40,000 objects), so a pass often fell on its critical path, while the answer was being written.
Freezing what is alive at start-up (``gc.freeze``) takes those objects out of every later pass.

This is a policy of the process, not of a library object: the composition root calls
``freeze_startup_heap`` once it has built what a sync process keeps for its lifetime.
"""

from __future__ import annotations

import gc
import threading

_frozen = False
_lock = threading.Lock()


def freeze_startup_heap() -> bool:
    """Once per process: run a full collection, then freeze every object alive. Returns True when this
    call froze, False when an earlier call already had. Objects alive now that later become cyclic
    garbage are never collected; at start-up those are few, while the long-lived ones would otherwise be
    walked by every full pass."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        _frozen = True
        gc.collect()
        gc.freeze()
        return True
