"""Ctrl-C stops `quillcast run` even when the interrupt lands where Python drops it.

CI once saw "Exception ignored in: <function _collection_gced ...> KeyboardInterrupt": the SIGINT arrived
while a garbage-collector callback ran, Python swallowed the exception, and the runner kept going.
"""

import gc
import weakref

import pytest

from app.cli import run


class _Thing:
    pass


# Python reports the dropped exception as "unraisable"; that drop is the case under test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_swallowed_by_a_gc_callback_still_stops_the_loops():
    run._stop_requested.clear()
    thing = _Thing()
    # The weakref callback runs when `thing` dies; Python prints and drops what it raises.
    ref = weakref.ref(thing, lambda _ref: run._interrupt(2, None))
    del thing
    gc.collect()
    assert ref() is None
    with pytest.raises(KeyboardInterrupt):
        run._wait_until_up("http://127.0.0.1:9/never", [], timeout=5)
    run._stop_requested.clear()


def test_without_an_interrupt_the_wait_just_times_out():
    run._stop_requested.clear()
    assert run._wait_until_up("http://127.0.0.1:9/never", [], timeout=0.1) is False
