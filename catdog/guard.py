"""The training password's guard: wrong guesses are limited per server, however many sessions make them.

One PasswordGuard per server process. After each wrong guess every session waits before the next is heard
(PASSWORD_DELAY_S, doubling with each wrong guess of the last window, up to 16 times); PASSWORD_TRIES wrong
guesses within PASSWORD_WINDOW_S lock the password, the right one included, until the oldest leaves the window.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from catdog.config import PASSWORD_DELAY_S, PASSWORD_TRIES, PASSWORD_WINDOW_S

log = logging.getLogger("catdog")

MAX_DOUBLINGS = 4  # the wait after a wrong guess stops growing at PASSWORD_DELAY_S · 2⁴


class Answer(Enum):
    RIGHT = "right"
    WRONG = "wrong"
    WAIT = "wait"  # too soon after a wrong guess: this guess was not compared
    LOCKED = "locked"  # too many wrong guesses in the window: this guess was not compared


@dataclass(frozen=True)
class Check:
    answer: Answer
    seconds: float = 0.0  # WAIT and LOCKED: how long until a guess is heard again


class PasswordGuard:
    """check(guess, password) for every session of a server; thread-safe (each session runs in its own thread)."""

    def __init__(
        self,
        tries: int = PASSWORD_TRIES,
        delay_s: float = PASSWORD_DELAY_S,
        window_s: float = PASSWORD_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tries, self.delay_s, self.window_s, self.clock = tries, delay_s, window_s, clock
        self._wrong: deque[float] = deque()  # when each wrong guess of the last window_s came, oldest first
        self._lock = threading.Lock()

    def check(self, guess: str, password: str, client: str | None = None) -> Check:
        """The guess compared with the password (in constant time), unless the server is waiting or locked.

        client: the guesser's address, when the server knows it, for the log.
        """
        with self._lock:
            now = self.clock()
            refused = self._refusal(now)
            if refused:
                log.info("a training password guess from %s was not heard: %s", _who(client), refused.answer.value)
                return refused
            if password and hmac.compare_digest(guess.encode(), password.encode()):
                return Check(Answer.RIGHT)
            self._wrong.append(now)
            log.warning(
                "wrong training password from %s: %d of %d allowed in %.0f s",
                _who(client),
                len(self._wrong),
                self.tries,
                self.window_s,
            )
            if len(self._wrong) >= self.tries:
                log.warning("training password locked for %.0f s", self._refusal(now).seconds)
            return Check(Answer.WRONG)

    def refusal(self) -> Check | None:
        """What a guess made now would get without being compared (WAIT or LOCKED), or None: it would be heard."""
        with self._lock:
            return self._refusal(self.clock())

    def _refusal(self, now: float) -> Check | None:
        while self._wrong and now - self._wrong[0] >= self.window_s:
            self._wrong.popleft()
        if len(self._wrong) >= self.tries:
            return Check(Answer.LOCKED, self._wrong[0] + self.window_s - now)
        if self._wrong:
            wait = self.delay_s * 2 ** min(len(self._wrong) - 1, MAX_DOUBLINGS)
            if now - self._wrong[-1] < wait:
                return Check(Answer.WAIT, self._wrong[-1] + wait - now)
        return None


def _who(client: str | None) -> str:
    return client or "an unknown address"
