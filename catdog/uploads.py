"""A bound on what each session holds in a server's upload store, and the release of uploads no page read.

Streamlit's server keeps every file PUT to /_stcore/upload_file/<session>/<file id> in one in-memory store
until a page removes it or the session ends, whether or not a widget ever asks for it: a script sending file
after file with a visitor's own XSRF token filled a server with gigabytes. UploadBudget wraps four methods of
that one store object (add_file, get_files, remove_file, remove_session_files); catdog knows nothing of
Streamlit: pages/server_memory.py passes it the store and what to raise for a refusal (an HTTP 413).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catdog.config import KEPT_PHOTOS_MAX, UNCLAIMED_UPLOAD_S, UPLOADS_HELD_BYTES_MAX, UPLOADS_HELD_FILES_MAX

log = logging.getLogger("catdog")


@dataclass
class _Held:
    size: int  # bytes
    claimed: bool = False  # a widget has read it: a page holds it until it lets go, or its session ends


class UploadBudget:
    """What one store's sessions may hold: at most files_max files and bytes_max bytes each, at once.

    An upload past either bound raises refusal(reason), and is not stored. A file no widget has read
    (claimed) unclaimed_s seconds after its session's last upload is dropped by drop_unclaimed(), which
    sweep() calls every few seconds on a daemon thread. Thread-safe: uploads arrive on the server's event
    loop, widgets read them on each session's script thread.
    """

    def __init__(
        self,
        store,
        refusal: Callable[[str], Exception],
        files_max: int = UPLOADS_HELD_FILES_MAX,
        bytes_max: int = UPLOADS_HELD_BYTES_MAX,
        unclaimed_s: float = UNCLAIMED_UPLOAD_S,
        on_drop: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refusal, self.files_max, self.bytes_max, self.unclaimed_s = refusal, files_max, bytes_max, unclaimed_s
        self.on_drop, self.clock = on_drop, clock
        self.refused = 0  # uploads refused since the start, for logs and benchmarks
        self._held: dict[str, dict[str, _Held]] = {}  # session id: {file id: what the store holds}
        self._last_upload: dict[str, float] = {}  # session id: clock() at its last stored upload
        self._refused_names: dict[str, list[str]] = {}  # session id: names refused since its page last asked
        self._lock = threading.Lock()  # taken before the store's own lock, never after
        # The store's own methods, called from the wrappers that replace them on this one object.
        self._add, self._get = store.add_file, store.get_files
        self._remove, self._remove_session = store.remove_file, store.remove_session_files

    @classmethod
    def install(cls, store, refusal: Callable[[str], Exception], **options) -> UploadBudget:
        """Wrap the store's methods (once: a store already wrapped keeps its budget, which is returned)."""
        installed = getattr(store, "catdog_upload_budget", None)
        if installed is not None:
            return installed
        budget = cls(store, refusal, **options)
        store.add_file, store.get_files = budget.add_file, budget.get_files
        store.remove_file, store.remove_session_files = budget.remove_file, budget.remove_session_files
        store.catdog_upload_budget = budget
        return budget

    def held(self, session_id: str) -> tuple[int, int]:
        """(files, bytes) the session holds in the store now."""
        with self._lock:
            files = self._held.get(session_id, {})
            return len(files), sum(held.size for held in files.values())

    def add_file(self, session_id: str, file) -> None:
        """The store's add_file, unless the session would then hold more than its budget."""
        with self._lock:
            files = self._held.get(session_id, {})
            # A file sent again under its id replaces the one held.
            others = {file_id: held for file_id, held in files.items() if file_id != file.file_id}
            count, size = len(others) + 1, sum(held.size for held in others.values()) + len(file.data)
            if count > self.files_max or size > self.bytes_max:
                self.refused += 1
                self._refused_names.setdefault(session_id, []).append(file.name)
                del self._refused_names[session_id][:-KEPT_PHOTOS_MAX]  # a page lists no more; a flood leaves no more
                log.warning(
                    "upload refused: session %s would hold %d files and %d bytes (at most %d and %d)",
                    session_id,
                    count,
                    size,
                    self.files_max,
                    self.bytes_max,
                )
                raise self.refusal(f"A session may hold {self.files_max} files and {self.bytes_max} bytes at once.")
            self._add(session_id, file)
            self._held.setdefault(session_id, {})[file.file_id] = _Held(len(file.data))
            self._last_upload[session_id] = self.clock()

    def take_refused(self, session_id: str) -> list[str]:
        """The names of the session's uploads refused since the last call: its page says so (the browser shows
        only a red chip, which goes with the batch)."""
        with self._lock:
            return self._refused_names.pop(session_id, [])

    def get_files(self, session_id: str, file_ids: Sequence[str]) -> list:
        """The store's get_files; what it returns is claimed, and kept until removed or the session ends."""
        files = self._get(session_id, file_ids)
        with self._lock:
            held = self._held.get(session_id, {})
            for file in files:
                if file.file_id in held:
                    held[file.file_id].claimed = True
        return files

    def remove_file(self, session_id: str, file_id: str) -> None:
        with self._lock:
            self._remove(session_id, file_id)
            self._forget(session_id, [file_id])

    def remove_session_files(self, session_id: str) -> None:
        with self._lock:
            self._refused_names.pop(session_id, None)
            self._remove_session(session_id)
            self._forget(session_id, list(self._held.get(session_id, {})))

    def drop_unclaimed(self) -> int:
        """Remove every file no widget read within unclaimed_s of its session's last upload; returns the bytes."""
        dropped = 0
        with self._lock:
            now = self.clock()
            for session_id, files in list(self._held.items()):
                if now - self._last_upload.get(session_id, now) < self.unclaimed_s:
                    continue  # its batch may still be arriving: a page reads a batch once its last file is in
                unclaimed = [file_id for file_id, held in files.items() if not held.claimed]
                dropped += sum(files[file_id].size for file_id in unclaimed)
                for file_id in unclaimed:
                    self._remove(session_id, file_id)
                self._forget(session_id, unclaimed)
                if unclaimed:
                    log.info("dropped %d uploads that no page read, from session %s", len(unclaimed), session_id)
        if dropped and self.on_drop:
            self.on_drop()
        return dropped

    def sweep(self, every_s: float) -> threading.Thread:
        """Call drop_unclaimed() every every_s seconds, for the life of the process, on a daemon thread."""

        def sweep_forever() -> None:
            while True:
                time.sleep(every_s)
                self.drop_unclaimed()

        thread = threading.Thread(target=sweep_forever, name="catdog-upload-sweep", daemon=True)
        thread.start()
        return thread

    def _forget(self, session_id: str, file_ids: list[str]) -> None:
        """Our record of files the store no longer holds (called with self._lock held)."""
        files = self._held.get(session_id, {})
        for file_id in file_ids:
            files.pop(file_id, None)
        if not files:
            self._held.pop(session_id, None)
            self._last_upload.pop(session_id, None)
