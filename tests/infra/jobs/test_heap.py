"""freeze_startup_heap: once per process, every object alive then is kept out of full collections.

Freezing is process-wide state, so each case runs in an interpreter of its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_first_call_freezes_what_is_alive_and_later_calls_change_nothing() -> None:
    out = run_python("""
        import gc
        from infra.jobs.heap import freeze_startup_heap
        before = gc.get_freeze_count()
        first = freeze_startup_heap()
        frozen = gc.get_freeze_count()
        keep = [object() for _ in range(1000)]  # alive after the freeze: not frozen by a second call
        second = freeze_startup_heap()
        print(before, first, frozen > 1000, second, gc.get_freeze_count() == frozen)
    """)
    assert out == "0 True True False True"
