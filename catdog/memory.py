"""Handing freed memory back to the operating system, so a long-running server shrinks after a burst of work.

Python returns freed objects to its allocator, and glibc's malloc keeps freed heap pages in its arenas
(one per thread that allocated, up to 8 per core) for reuse: a server that decoded a hundred photos in
twenty sessions stays at its peak size long after they closed, though the memory is free inside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from functools import cache


@cache
def _libc():
    """The C library, if it is glibc (the only one with malloc_trim); None elsewhere (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def malloc_trim() -> bool:
    """Ask glibc to give every arena's free pages back to the OS (malloc_trim(0)); True if any were.

    A no-op returning False off glibc. It takes a few milliseconds: it walks each arena's free lists.
    """
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc else False


def release_memory() -> None:
    """Collect Python's garbage (objects kept alive only by reference cycles), then trim glibc's arenas.

    A full collection takes 0.25 to 0.5 s with TensorFlow's objects loaded: call this after large work
    (an evaluation, a session's end), not on every script run.
    """
    gc.collect()
    malloc_trim()


def set_aside_long_lived_objects() -> None:
    """Collect garbage once, then leave every object alive now out of all later collections (gc.freeze).

    TensorFlow and a loaded model are 400,000 objects that live as long as the process: every full
    collection walked them all, 0.25 s of CPU here, whether by Python's own schedule or by
    release_memory() after each closed session. Frozen, a full collection takes milliseconds. Call it
    once a model has loaded; what a visitor's session holds at that moment stays frozen too, freed by
    reference counting as usual, but no longer by the collector should it sit in a reference cycle.
    """
    gc.collect()
    gc.freeze()


class MemoryReleaser:
    """release_memory() on a daemon thread, `delay_s` after a request; requests meanwhile join that one.

    Twenty sessions ending within delay_s cost one collection, not twenty, and no request waits for it.
    """

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.releases = 0  # how many times memory was released: for tests and logs
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        """Release memory delay_s from now, or with the release already due, if one is."""
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self.delay_s, self._release)
            self._timer.daemon = True
            self._timer.start()

    def _release(self) -> None:
        with self._lock:
            self._timer = None
        release_memory()
        self.releases += 1
