"""The training password's guard (catdog.guard): wrong guesses are limited for the whole server, not per tab.

Unit tests on a FakeClock, then the Train page under AppTest, where every session shares the server's guard.
"""

from __future__ import annotations

import logging

import pytest
from conftest import FakeClock

from catdog.config import PASSWORD_DELAY_S, PASSWORD_TRIES, PASSWORD_WINDOW_S
from catdog.guard import Answer, Check, PasswordGuard

PASSWORD = "s3cret"
TRAIN_PAGE = "pages/train.py"


def guard(tries: int = 10, delay_s: float = 1.0, window_s: float = 60.0) -> PasswordGuard:
    return PasswordGuard(tries, delay_s, window_s, clock=FakeClock())


def test_the_right_password_unlocks_and_a_wrong_one_is_refused():
    g = guard()
    assert g.check(PASSWORD, PASSWORD) == Check(Answer.RIGHT)
    assert g.check("guess", PASSWORD) == Check(Answer.WRONG)
    g.clock.now += 60
    assert g.check("", PASSWORD).answer == Answer.WRONG
    g.clock.now += 60
    assert g.check("anything", "").answer == Answer.WRONG  # no password set: nothing unlocks


def test_each_wrong_guess_makes_the_next_wait_twice_as_long_up_to_16_times():
    g = guard(tries=100, window_s=1000)
    waits = []
    for _ in range(7):
        assert g.check("guess", PASSWORD).answer == Answer.WRONG
        refused = g.check("guess", PASSWORD)  # at once: not heard, not counted
        assert refused.answer == Answer.WAIT
        waits.append(refused.seconds)
        g.clock.now += refused.seconds - 0.01
        assert g.check(PASSWORD, PASSWORD).answer == Answer.WAIT  # the right password waits too
        g.clock.now += 0.01
    assert waits == [1, 2, 4, 8, 16, 16, 16]
    assert len(g._wrong) == 7


def test_guesses_from_many_sessions_share_the_wait_and_the_log_says_from_where(caplog):
    g = guard()
    caplog.set_level(logging.INFO, logger="catdog")
    assert g.check("hunter2", PASSWORD, client="203.0.113.7").answer == Answer.WRONG
    g.clock.now += 0.5
    # Another tab, browser or address: the same server, the same wait.
    assert g.check(PASSWORD, PASSWORD, client="198.51.100.2") == Check(Answer.WAIT, 0.5)
    assert "wrong training password from 203.0.113.7: 1 of 10 allowed in 60 s" in caplog.text
    assert "guess from 198.51.100.2 was not heard: wait" in caplog.text
    assert "hunter2" not in caplog.text and PASSWORD not in caplog.text  # the log never holds a guess


@pytest.mark.parametrize("delay_s", [PASSWORD_DELAY_S, 0.0], ids=["with the wait", "the lockout alone"])
def test_at_most_ten_wrong_guesses_a_minute_however_many_sessions_guess_as_fast_as_they_may(delay_s):
    """100 sessions, each guessing wrong every 0.1 s for five minutes: the server hears at most ten a minute."""
    g = PasswordGuard(PASSWORD_TRIES, delay_s, PASSWORD_WINDOW_S, clock=FakeClock())
    start, wrong = g.clock.now, []
    while g.clock.now < start + 300:
        for session in range(100):
            if g.check(f"guess {session}", PASSWORD, client=f"10.0.0.{session}").answer == Answer.WRONG:
                wrong.append(g.clock.now)
        g.clock.now += 0.1
    assert PASSWORD_TRIES == 10 and PASSWORD_WINDOW_S == 60
    assert len(wrong) >= 5 * (10 if delay_s == 0 else 3)  # heard, though slowly
    for first in wrong:
        assert sum(first <= when < first + 60 for when in wrong) <= 10


def test_ten_wrong_guesses_lock_out_even_the_right_password_until_the_oldest_leaves_the_window(caplog):
    g = guard(delay_s=0.1)
    caplog.set_level(logging.WARNING, logger="catdog")
    for _ in range(10):
        assert g.check("guess", PASSWORD).answer == Answer.WRONG
        g.clock.now += 2  # past each wait (at most 1.6 s here)
    first = g.clock.now - 20  # when the first wrong guess came
    refused = g.check(PASSWORD, PASSWORD)
    assert refused.answer == Answer.LOCKED
    assert refused.seconds == pytest.approx(first + 60 - g.clock.now)
    assert g.refusal() == refused
    assert "training password locked for 42 s" in caplog.text

    g.clock.now = first + 60 - 0.01
    assert g.check(PASSWORD, PASSWORD).answer == Answer.LOCKED
    g.clock.now = first + 60  # the first wrong guess leaves the window: nine are left, and the wait after them
    assert g.check(PASSWORD, PASSWORD).answer == Answer.RIGHT


def test_after_a_quiet_window_the_guard_forgets_every_wrong_guess():
    g = guard()
    for _ in range(3):
        g.check("guess", PASSWORD)
        g.clock.now += 30
    g.clock.now += 60
    assert g.refusal() is None
    assert g.check("guess", PASSWORD).answer == Answer.WRONG
    assert g.check("guess", PASSWORD) == Check(Answer.WAIT, 1.0)  # the wait starts again from the first step


# --- the Train page: every session meets the same guard ---------------------------------------------------


def password_box(at):
    return [box for box in at.text_input if box.key == "training_password"]


def test_a_fresh_session_meets_the_wait_that_another_sessions_wrong_guess_started(open_app, server_guard, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", PASSWORD)
    first = open_app(TRAIN_PAGE)
    first.text_input(key="training_password").input("guess").run()
    assert [error.value for error in first.error] == ["That password is not right."]

    second = open_app(TRAIN_PAGE)  # another tab, or another browser: a new session
    assert not second.error
    second.text_input(key="training_password").input(PASSWORD).run()
    assert [error.value for error in second.error] == ["Too soon after a wrong password. Try again in 1 s."]
    assert not second.session_state["may_train"]
    assert password_box(second)[0].value == ""  # emptied for the next try

    server_guard.clock.now += 1
    second.text_input(key="training_password").input(PASSWORD).run()
    assert not second.error
    assert second.session_state["training_unlocked"]
    assert not password_box(second)


def test_a_lockout_reaches_every_session_and_lifts_after_the_window(open_app, server_guard, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", PASSWORD)
    server_guard.tries = 3
    at = open_app(TRAIN_PAGE)
    for guess in ("a", "b", "c"):  # at 0, 5 and 10 s: each past the wait after the one before
        at.text_input(key="training_password").input(guess).run()
        server_guard.clock.now += 5
    assert not password_box(at)
    assert [error.value for error in at.error] == ["Too many wrong passwords on this server. Try again in 50 s."]

    fresh = open_app(TRAIN_PAGE)  # at 15 s
    assert not password_box(fresh)  # a new session gets no box either
    assert [error.value for error in fresh.error] == ["Too many wrong passwords on this server. Try again in 45 s."]

    server_guard.clock.now += 45  # the first wrong guess leaves the minute
    fresh.run()
    fresh.text_input(key="training_password").input(PASSWORD).run()
    assert fresh.session_state["training_unlocked"]
