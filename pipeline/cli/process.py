"""What a process of the command line sets up once: the collector paused while the
libraries of the build load.

Input: nothing.  Output: the ``libraries_settled`` context.
"""

from __future__ import annotations

import contextlib
import gc
import sys


@contextlib.contextmanager
def libraries_settled():
    """Import inside it: the garbage collector is paused while pandas, pandera and pyarrow
    load (they make hundreds of thousands of objects that live as long as the process,
    and nothing to collect), then they are frozen (``gc.freeze``) so that no collection
    walks them again (what it saves: docs/benchmark.md, "Speed tricks").  Once per
    process: where pandas is already loaded (a caller running many commands) it does
    nothing, so no later garbage is ever frozen."""
    if "pandas" in sys.modules:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
