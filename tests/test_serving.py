"""Serving a class at once (catdog.serving, Classifier.classify_shared): batches, their faults, the answers' cache.

The Batcher and ResultCache are tested with plain functions; classify_shared with the bundled models
and photos made here, many threads at once, each checking its own answer against a lone classify_photo.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from catdog.config import BUNDLED_MODEL, SCRATCH_MODEL
from catdog.photos import KeptPhoto, model_input
from catdog.predict import Classifier
from catdog.serving import Batcher, ResultCache


def doubling(items: list[int]) -> list[int]:
    time.sleep(0.02)  # a model call: callers arriving meanwhile queue for the next batch
    return [2 * item for item in items]


def from_threads(call, items) -> list:
    """call(item) for every item, each from its own thread, all started together."""
    items = list(items)
    start = threading.Barrier(len(items))

    def one(item):
        start.wait(30)
        return call(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(one, items))


# --- the batcher -----------------------------------------------------------------------------------


def test_many_callers_at_once_share_batches_and_each_gets_its_own_result():
    batcher = Batcher(doubling, max_batch=8, wait_s=0.01)
    items = list(range(40))
    assert from_threads(lambda item: batcher(item, timeout_s=10), items) == [2 * item for item in items]
    assert sum(batcher.batch_sizes) == len(items)
    assert max(batcher.batch_sizes) > 1, batcher.batch_sizes  # gathered, not one call per caller
    assert max(batcher.batch_sizes) <= 8


def test_a_batch_keeps_its_items_in_the_order_they_came():
    seen = []

    def record(items):
        seen.append(list(items))
        return [f"answer to {item}" for item in items]

    batcher = Batcher(record, max_batch=16, wait_s=0.2)
    futures = [batcher.submit(item) for item in "abcde"]  # within one wait: one batch
    assert [future.result(10) for future in futures] == [f"answer to {item}" for item in "abcde"]
    assert seen == [list("abcde")]


def test_a_bad_item_fails_only_its_own_caller():
    def run(items):
        if "bad" in items:
            raise ValueError("cannot read this one")
        return [item.upper() for item in items]

    batcher = Batcher(run, max_batch=16, wait_s=0.2)
    futures = {item: batcher.submit(item) for item in ["cat", "bad", "dog"]}
    assert futures["cat"].result(10) == "CAT"
    assert futures["dog"].result(10) == "DOG"
    with pytest.raises(ValueError, match="cannot read this one"):
        futures["bad"].result(10)
    assert batcher.batch_sizes == [3, 1, 1, 1]  # the batch, then each item alone
    assert batcher("cow", timeout_s=10) == "COW"  # the worker goes on


def test_a_batch_with_the_wrong_number_of_results_is_not_handed_out():
    batcher = Batcher(lambda items: items[:1], max_batch=16, wait_s=0.2)
    futures = [batcher.submit(item) for item in (1, 2)]
    assert [future.result(10) for future in futures] == [1, 2]  # each alone gives one result for one item


def test_a_caller_that_waits_too_long_gets_a_timeout_and_its_item_is_never_run():
    release, ran = threading.Event(), []

    def slow(items):
        ran.extend(items)
        release.wait(10)
        return items

    batcher = Batcher(slow, max_batch=1, wait_s=0)
    first = batcher.submit("first")
    while not ran:  # the worker is busy with "first"
        time.sleep(0.001)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        batcher("second", timeout_s=0.05)
    assert time.monotonic() - started < 5
    release.set()
    assert first.result(10) == "first"
    assert batcher("third", timeout_s=10) == "third"
    assert ran == ["first", "third"]  # "second" was given up before its turn


# --- the cache -------------------------------------------------------------------------------------


def test_the_cache_keeps_the_most_recently_used_entries_up_to_its_count():
    cache = ResultCache(max_entries=3, max_bytes=10**6, size_of=len)
    for key in "abc":
        cache.put(key, key * 10)
    assert cache.get("a") == "a" * 10  # now the most recent
    cache.put("d", "d" * 10)
    assert len(cache) == 3
    assert cache.get("b") is None  # the least recently used went
    assert [cache.get(key) for key in "acd"] == ["a" * 10, "c" * 10, "d" * 10]
    assert cache.get("never put") is None


def test_the_cache_never_holds_more_bytes_than_its_limit():
    cache = ResultCache(max_entries=100, max_bytes=1000, size_of=len)
    for i in range(20):
        cache.put(i, b"x" * 300)
        assert cache.bytes <= 1000
        assert cache.bytes == sum(len(cache.get(key) or b"") for key in range(20))
    assert len(cache) == 3
    cache.put(19, b"y" * 100)  # replacing an entry counts its new size, not both
    assert cache.bytes == 700


def test_a_value_larger_than_the_whole_cache_is_never_kept():
    cache = ResultCache(max_entries=10, max_bytes=1000, size_of=len)
    cache.put("small", b"s" * 10)
    cache.put("huge", b"h" * 1001)
    assert cache.get("huge") is None
    assert cache.get("small") == b"s" * 10
    assert cache.bytes == 10


def test_a_cache_shared_by_many_threads_stays_within_its_limits():
    cache = ResultCache(max_entries=50, max_bytes=5000, size_of=len)

    def churn(seed: int) -> None:
        for i in range(500):
            cache.put((seed * i) % 97, b"z" * (1 + (seed * i) % 300))
            cache.get(i % 97)

    from_threads(churn, range(8))
    assert len(cache) <= 50
    assert cache.bytes <= 5000
    assert cache.bytes == sum(len(cache.get(key) or b"") for key in range(97))


# --- the model, batched --------------------------------------------------------------------------------


def made_photos(count: int) -> list[Image.Image]:
    """Photos unlike each other: noise of different grain and tint, and stripes."""
    rng = np.random.default_rng(20)
    photos = []
    for i in range(count):
        grain = 4 + 6 * (i % 5)
        cells = rng.integers(0, 256, (grain, grain, 3), dtype=np.uint8)
        tint = np.array([i * 37 % 256, i * 91 % 256, i * 53 % 256], np.uint8)
        pixels = (cells // 2 + tint // 2).astype(np.uint8)
        photo = Image.fromarray(pixels).resize((200 + 10 * i, 180), Image.NEAREST)
        if i % 3 == 0:
            photo = photo.rotate(15 * i, expand=True, fillcolor=(255, 255, 255))
        photos.append(photo.convert("RGB"))
    return photos


@pytest.fixture(scope="module", params=[BUNDLED_MODEL, SCRATCH_MODEL], ids=["pretrained", "from scratch"])
def classifier(request) -> Classifier:
    return Classifier.load(request.param)


def test_a_batch_gives_each_photo_the_verdict_check_and_heatmap_it_gets_alone(classifier):
    from catdog.explain import heatmap

    photos = made_photos(6)
    alone = [classifier.classify_photo(photo) for photo in photos]
    pixels = [model_input(photo, classifier.image_size) for photo in photos]
    together = classifier.classify_batch(pixels, [classifier._detector_input(photo) for photo in photos])
    assert len({round(p.dog_probability, 4) for p in alone}) > 1  # the photos differ, so a mix-up would show
    for one, batched, photo_pixels in zip(alone, together, pixels):
        np.testing.assert_array_equal(batched.pixels, photo_pixels)
        assert batched.dog_probability == pytest.approx(one.dog_probability, abs=1e-4)
        assert batched.neither_distance == pytest.approx(one.neither_distance, rel=1e-3, abs=1e-4)
        assert batched.neither_threshold == one.neither_threshold
        # The heatmap from the same pass as the verdict is Grad-CAM's, as explain.heatmap draws it alone.
        assert batched.heatmap is not None
        np.testing.assert_allclose(batched.heatmap, heatmap(classifier.keras_model(), photo_pixels), atol=1e-3)


def test_many_visitors_at_once_each_get_their_own_photos_answer(classifier):
    photos = made_photos(24)
    expected = [classifier.classify_photo(photo).dog_probability for photo in photos]
    digests = [KeptPhoto.keep(f"{i}.jpg", photo, None).digest for i, photo in enumerate(photos)]
    sizes_before = len(classifier._batcher.batch_sizes)

    answers = from_threads(lambda i: classifier.classify_shared(photos[i], digests[i]), range(len(photos)))

    for answer, photo, probability in zip(answers, photos, expected):
        np.testing.assert_array_equal(answer.pixels, model_input(photo, classifier.image_size))
        assert answer.dog_probability == pytest.approx(probability, abs=1e-4)
    sizes = classifier._batcher.batch_sizes[sizes_before:]
    assert sum(sizes) == len(photos)
    assert max(sizes) > 1, sizes


def test_a_photo_seen_before_is_answered_from_memory_and_each_visitor_gets_their_own_copy(classifier):
    photo = made_photos(1)[0]
    digest = KeptPhoto.keep("shared.jpg", photo, None).digest
    first = classifier.classify_shared(photo, digest)
    calls = len(classifier._batcher.batch_sizes)
    again = [classifier.classify_shared(photo, digest) for _ in range(5)]
    assert len(classifier._batcher.batch_sizes) == calls  # no model call
    assert {a.dog_probability for a in again} == {first.dog_probability}
    assert {a.seconds for a in again} == {first.seconds}  # the model's time, never "classified in 0 ms"
    again[0].seconds = 99.0
    assert again[1].seconds != 99.0 and first.seconds != 99.0
    different = made_photos(2)[1]
    assert classifier.classify_shared(different, None).dog_probability != first.dog_probability
    assert len(classifier._batcher.batch_sizes) == calls + 1  # without a digest: the model, never the cache
