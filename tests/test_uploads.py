"""The upload budget (catdog.uploads) on Streamlit's own in-memory upload store, as the server uses it: a session
holds at most so many files and bytes, uploads no page read are dropped, and what is freed goes back to the OS."""

from __future__ import annotations

import gc
import platform
import threading
import time
import weakref
from pathlib import Path

import pytest
from conftest import FakeClock
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from catdog.config import KEPT_PHOTOS_MAX
from catdog.memory import MemoryReleaser, malloc_trim, set_aside_long_lived_objects
from catdog.uploads import UploadBudget

MB = 1_000_000


class Refused(Exception):
    """What the test's budget raises; the server's raises an HTTP 413."""


def upload(store: MemoryUploadedFileManager, session: str, file_id: str, size: int) -> None:
    """What Streamlit's upload handler does with a PUT to /_stcore/upload_file/<session>/<file_id>."""
    store.add_file(session, UploadedFileRec(file_id, f"{file_id}.jpg", "image/jpeg", b"\0" * size))


def held_bytes(store: MemoryUploadedFileManager) -> int:
    """What the store itself reports holding (what /_stcore/metrics shows), 0 when empty."""
    stats = store.get_stats()
    return sum(stat.byte_length for family in stats.values() for stat in family)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> MemoryUploadedFileManager:
    return MemoryUploadedFileManager("/_stcore/upload_file")


def bound(store, clock, **limits) -> UploadBudget:
    options = dict(files_max=3, bytes_max=10 * MB, unclaimed_s=20.0) | limits
    return UploadBudget.install(store, Refused, clock=clock, **options)


def test_a_session_is_refused_past_its_file_count_and_stores_none_of_the_refused(store, clock):
    budget = bound(store, clock)
    for i in range(3):
        upload(store, "visitor", f"f{i}", MB)
    with pytest.raises(Refused):
        upload(store, "visitor", "f3", MB)
    assert budget.held("visitor") == (3, 3 * MB)
    assert held_bytes(store) == 3 * MB
    assert store.get_files("visitor", ["f3"]) == []
    assert budget.refused == 1


def test_the_names_of_a_sessions_refused_uploads_are_handed_to_its_page_once(store, clock):
    budget = bound(store, clock, files_max=1)
    upload(store, "visitor", "kept", MB)
    for name in ("late-1", "late-2"):
        with pytest.raises(Refused):
            upload(store, "visitor", name, MB)
    with pytest.raises(Refused):
        upload(store, "other", "x", 20 * MB)
    assert budget.take_refused("visitor") == ["late-1.jpg", "late-2.jpg"]
    assert budget.take_refused("visitor") == []  # said once
    store.remove_session_files("other")  # the session ended: nothing of it is kept
    assert budget.take_refused("other") == []
    for i in range(KEPT_PHOTOS_MAX + 5):  # a flood leaves no more names behind than a page lists
        with pytest.raises(Refused):
            upload(store, "visitor", f"flood-{i}", MB)
    assert budget.take_refused("visitor") == [f"flood-{i}.jpg" for i in range(5, KEPT_PHOTOS_MAX + 5)]


def test_a_session_is_refused_past_its_bytes_and_other_sessions_have_their_own_budget(store, clock):
    budget = bound(store, clock)
    upload(store, "visitor", "big", 6 * MB)
    with pytest.raises(Refused):
        upload(store, "visitor", "another big", 6 * MB)
    upload(store, "visitor", "small", 4 * MB)  # still within 10 MB
    upload(store, "classmate", "big", 6 * MB)
    assert budget.held("visitor") == (2, 10 * MB) and budget.held("classmate") == (1, 6 * MB)
    assert held_bytes(store) == 16 * MB


def test_a_file_sent_again_under_its_id_replaces_the_one_held(store, clock):
    budget = bound(store, clock)
    for _ in range(5):
        upload(store, "visitor", "retry", 4 * MB)
    assert budget.held("visitor") == (1, 4 * MB) and held_bytes(store) == 4 * MB


def test_a_page_letting_go_of_its_uploads_makes_room_for_the_next_batch(store, clock):
    budget = bound(store, clock)
    for i in range(3):
        upload(store, "visitor", f"f{i}", MB)
    for i in range(3):
        store.remove_file("visitor", f"f{i}")  # what the Classify page does once it has read them
    upload(store, "visitor", "next", MB)
    assert budget.held("visitor") == (1, MB)
    store.remove_session_files("visitor")  # the session ended
    assert budget.held("visitor") == (0, 0) and held_bytes(store) == 0


def test_uploads_no_widget_read_are_dropped_once_the_sessions_uploads_stop(store, clock):
    dropped = []
    budget = bound(store, clock, on_drop=lambda: dropped.append(1))
    upload(store, "visitor", "read", 2 * MB)
    upload(store, "visitor", "unread", 3 * MB)
    assert [f.file_id for f in store.get_files("visitor", ["read"])] == ["read"]  # a widget's value
    clock.now += 15
    upload(store, "visitor", "late in the batch", MB)
    clock.now += 15  # 30 s after the first upload, 15 after the last: the batch may still be arriving
    assert budget.drop_unclaimed() == 0 and budget.held("visitor") == (3, 6 * MB)
    clock.now += 6
    assert budget.drop_unclaimed() == 4 * MB
    assert budget.held("visitor") == (1, 2 * MB), "the file a widget read stays"
    assert [f.file_id for f in store.get_files("visitor", ["read", "unread"])] == ["read"]
    assert held_bytes(store) == 2 * MB and dropped == [1]


def test_many_uploads_at_once_never_hold_more_than_the_budget(store, clock):
    budget = bound(store, clock, files_max=5, bytes_max=100 * MB)
    start = threading.Barrier(20)
    refused = []

    def send(i: int) -> None:
        start.wait()
        try:
            upload(store, "visitor", f"f{i}", MB)
        except Refused:
            refused.append(i)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(refused) == 15 and budget.held("visitor") == (5, 5 * MB) and held_bytes(store) == 5 * MB


def test_installing_twice_keeps_one_budget(store, clock):
    first = bound(store, clock)
    assert bound(store, clock, files_max=100) is first
    for i in range(3):
        upload(store, "visitor", f"f{i}", MB)
    with pytest.raises(Refused):
        upload(store, "visitor", "f3", MB)


def test_freed_memory_is_released_once_for_a_burst_of_requests():
    releaser = MemoryReleaser(delay_s=0.2)
    for _ in range(5):  # five sessions ending at once
        releaser.request()
    wait_until(lambda: releaser.releases >= 1)
    time.sleep(0.5)
    assert releaser.releases == 1, "one collection for the burst"
    releaser.request()
    wait_until(lambda: releaser.releases >= 2)
    assert releaser.releases == 2, "a later request gets its own"


def wait_until(condition, timeout_s: float = 30) -> None:
    """A full collection takes seconds with TensorFlow loaded in the test process: wait for it."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def resident_mb() -> float:
    """This process's resident memory (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_malloc_trim_hands_freed_heap_memory_back_to_the_os():
    chunks = [bytearray(64 * 1024) for _ in range(2000)]  # 128 MB from the heap: each is under mmap's threshold
    del chunks[:-1]  # freed, but the last one pins the heap's top: glibc keeps the pages below it
    kept = resident_mb()
    assert malloc_trim()
    assert kept - resident_mb() > 100, "the freed 128 MB went back to the OS"


def test_objects_set_aside_are_left_out_of_later_collections_and_garbage_still_goes():
    class Node:
        pass

    long_lived = [Node() for _ in range(50_000)]  # as TensorFlow's objects: alive as long as the process
    for node, other in zip(long_lived, long_lived[1:]):
        node.next = other
    try:
        set_aside_long_lived_objects()
        assert gc.get_freeze_count() >= len(long_lived)
        assert not any(obj is long_lived[0] for obj in gc.get_objects(generation=2)), "frozen: walked by no collection"
        cycle = Node()
        cycle.me = cycle
        alive = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert alive() is None, "a cycle made after the freeze is still collected"
    finally:
        gc.unfreeze()
