"""How well the "neither a cat nor a dog" check works: the shipped detector against the rule before it.

Both are judged on photos neither was calibrated on. Pets: the 500 shared test photos as they are,
250 of them taken as phones take photos (PHONE_SHOTS: turned, tilted, cropped, tinted, noisy, blurred,
dim, compressed) and 250 shifted as bench.robustness shifts them (a small pet on a wooden floor...).
Non-pets: images drawn here in code (NON_PETS) from seeds the calibration never saw, and images found
on this machine (icons, diagrams, screenshots shipped with its software; nothing is downloaded).
No photos of people, scenery or other animals exist here: those kinds are drawn, or missing.
Before: the rule until 2026-12-02 (10 nearest of the 2,000 training photos in all 1,280 features,
threshold flagging 1% of the validation photos), refitted here from the same features.
Distance: models/catdog.neither.npz as shipped (python -m catdog calibrate-neither; docs/models.md), its
distance alone, as until 2026-12-03. After: the same with flat colour's margin (catdog.neither.judge).
Run from the repository root: python -m bench.neither_calibration   (features are cached in /tmp)
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from bench.common import REPO, median_ms, timed
from bench.robustness import SHIFTS, wooden_floor
from catdog.config import BUNDLED_MODEL, PHOTO_SUFFIXES, SHARED_DATASET

CACHE = Path("/tmp/catdog-neither-features")  # features of every photo set: minutes to compute on 2 cores
EVERY_OTHER = slice(None, None, 2)  # the test photos that are shifted and taken as phones do: 125 cats, 125 dogs
SEEDS_UNSEEN = 10_000  # drawings from here on: the calibration and the tests draw from lower seeds
DRAWN_PER_KIND = 20

SIZE = (448, 336)  # (width, height): a photo's 4:3, squashed to the model's square like any upload


def solid_colour(rng: np.random.Generator) -> Image.Image:
    return Image.new("RGB", SIZE, tuple(int(c) for c in rng.integers(0, 256, 3)))


def gradient(rng: np.random.Generator) -> Image.Image:
    """Two random colours blended along a random direction."""
    width, height = SIZE
    angle = rng.uniform(0, 2 * math.pi)
    y, x = np.mgrid[0:height, 0:width]
    t = (x * math.cos(angle) + y * math.sin(angle)).astype(np.float32)
    t = (t - t.min()) / (t.max() - t.min())
    start, end = rng.integers(0, 256, (2, 3))
    return _image(start + (end - start) * t[..., None])


def noise(rng: np.random.Generator) -> Image.Image:
    """Colour noise, blurred to a random grain: TV static to blotches."""
    pixels = rng.normal(128, 60, (SIZE[1], SIZE[0], 3))
    return _image(pixels).filter(ImageFilter.GaussianBlur(rng.uniform(0, 6)))


def plasma(rng: np.random.Generator) -> Image.Image:
    """Fractal noise: octaves of random grids, each twice as fine and half as strong, in random colours."""
    width, height = SIZE
    field = np.zeros((height, width), np.float32)
    for octave in range(6):
        cells = 2 ** (octave + 1)
        grid = Image.fromarray(rng.random((cells, cells)).astype(np.float32))
        field += np.asarray(grid.resize((width, height), Image.Resampling.BICUBIC)) / 2**octave
    field = (field - field.min()) / (field.max() - field.min())
    low, high = rng.integers(0, 256, (2, 3))
    return _image(low + (high - low) * field[..., None])


def checkerboard(rng: np.random.Generator) -> Image.Image:
    width, height = SIZE
    square = int(rng.integers(8, 80))
    y, x = np.mgrid[0:height, 0:width]
    odd = ((x // square + y // square) % 2).astype(bool)
    first, second = rng.integers(0, 256, (2, 3))
    return _image(np.where(odd[..., None], first, second))


def shapes(rng: np.random.Generator) -> Image.Image:
    """Rectangles, ellipses and triangles in random colours on a plain background."""
    image = solid_colour(rng)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 12))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = rng.integers(0, SIZE[0]), rng.integers(0, SIZE[1])
        w, h = rng.integers(20, 200, 2)
        kind = rng.integers(3)
        if kind == 0:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        elif kind == 1:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            draw.polygon([(x, y + h), (x + w, y + h), (x + w // 2, y)], fill=colour)
    return image


def text_on_paper(rng: np.random.Generator) -> Image.Image:
    """Lines of random words in dark ink on off-white paper, like a photographed page."""
    paper = tuple(int(c) for c in rng.integers(225, 256, 3))
    image = Image.new("RGB", SIZE, paper)
    draw = ImageDraw.Draw(image)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    size = int(rng.integers(14, 30))
    for top in range(10, SIZE[1] - size, int(size * 1.5)):
        words = ["".join(rng.choice(letters, rng.integers(2, 9))) for _ in range(12)]
        draw.text((12, top), " ".join(words), fill=(int(rng.integers(0, 60)),) * 3, font_size=size)
    return image


def landscape(rng: np.random.Generator) -> Image.Image:
    """Sky fading to the horizon, a sun, rolling hills and a green or sandy ground."""
    width, height = SIZE
    horizon = int(rng.uniform(0.45, 0.7) * height)
    y = np.arange(height, dtype=np.float32)[:, None, None] / height
    sky = np.array([70, 130, 220]) * (1 - y) + np.array([200, 225, 250]) * y
    pixels = np.broadcast_to(sky, (height, width, 3)).copy()
    x = np.arange(width)
    hills = horizon + 25 * np.sin(x / rng.uniform(30, 90) + rng.uniform(0, 6)) + 15 * np.sin(x / 17.0)
    ground = np.array([[60, 140, 50], [200, 180, 120], [90, 110, 60]])[rng.integers(3)]
    below = np.arange(height)[:, None] >= hills[None, :]
    pixels[below] = ground * rng.uniform(0.7, 1.1)
    image = _image(pixels)
    sun_x, sun_y, r = rng.integers(40, width - 40), rng.integers(20, max(21, horizon - 40)), rng.integers(15, 35)
    ImageDraw.Draw(image).ellipse((sun_x - r, sun_y - r, sun_x + r, sun_y + r), fill=(255, 235, 120))
    return image


def car(rng: np.random.Generator) -> Image.Image:
    """A side view: a coloured body, a cabin with windows, two wheels, on a grey road under the sky."""
    image = landscape(rng)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((0, int(height * 0.75), width, height), fill=(90, 90, 95))
    body = tuple(int(c) for c in rng.integers(0, 256, 3))
    left, w = int(rng.integers(20, 120)), int(rng.integers(240, 320))
    bottom = int(height * 0.85)
    draw.rounded_rectangle((left, bottom - 70, left + w, bottom - 15), 12, fill=body)
    draw.polygon(
        [
            (left + w * 0.2, bottom - 70),
            (left + w * 0.35, bottom - 120),
            (left + w * 0.7, bottom - 120),
            (left + w * 0.85, bottom - 70),
        ],
        fill=body,
    )
    draw.polygon(
        [
            (left + w * 0.27, bottom - 72),
            (left + w * 0.38, bottom - 112),
            (left + w * 0.66, bottom - 112),
            (left + w * 0.77, bottom - 72),
        ],
        fill=(170, 200, 230),
    )
    for centre in (left + w * 0.22, left + w * 0.78):
        draw.ellipse((centre - 26, bottom - 41, centre + 26, bottom + 11), fill=(25, 25, 25))
        draw.ellipse((centre - 11, bottom - 26, centre + 11, bottom - 4), fill=(180, 180, 180))
    return image


def house(rng: np.random.Generator) -> Image.Image:
    """Walls, a triangular roof, a door and windows, on a landscape."""
    image = landscape(rng)
    draw = ImageDraw.Draw(image)
    left, top = int(rng.integers(40, 180)), int(rng.integers(130, 170))
    w, h = int(rng.integers(160, 240)), int(rng.integers(110, 150))
    draw.rectangle((left, top, left + w, top + h), fill=tuple(int(c) for c in rng.integers(120, 250, 3)))
    draw.polygon([(left - 15, top), (left + w + 15, top), (left + w // 2, top - 80)], fill=(150, 50, 40))
    draw.rectangle((left + w // 2 - 18, top + h - 60, left + w // 2 + 18, top + h), fill=(90, 60, 30))
    for x in (left + 20, left + w - 60):
        draw.rectangle((x, top + 25, x + 40, top + 60), fill=(170, 210, 240), outline=(255, 255, 255), width=3)
    return image


def brick_wall(rng: np.random.Generator) -> Image.Image:
    """Rows of bricks in varied reds with mortar between: a background in many pet photos, with no pet."""
    image = Image.new("RGB", SIZE, (200, 195, 185))
    draw = ImageDraw.Draw(image)
    brick_w, brick_h = int(rng.integers(50, 90)), int(rng.integers(20, 35))
    for row, top in enumerate(range(0, SIZE[1], brick_h + 4)):
        offset = (row % 2) * brick_w // 2
        for left in range(-offset, SIZE[0], brick_w + 4):
            red = rng.integers(120, 190)
            draw.rectangle((left, top, left + brick_w, top + brick_h), fill=(int(red), int(red * 0.45), 40))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def doodle(rng: np.random.Generator) -> Image.Image:
    """Scribbled strokes in dark ink on pale paper: a child's drawing."""
    image = Image.new("RGB", SIZE, _colour(rng, 215))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 9))):
        points = np.cumsum(rng.normal(0, 25, (int(rng.integers(5, 25)), 2)), axis=0) + rng.uniform((0, 0), SIZE)
        draw.line([tuple(p) for p in points], fill=_colour(rng, 0, 120), width=int(rng.integers(2, 7)), joint="curve")
    return image


def stick_figures(rng: np.random.Generator) -> Image.Image:
    """One to three people drawn as stick figures: a head, a body, arms and legs."""
    image = Image.new("RGB", SIZE, _colour(rng, 200))
    draw = ImageDraw.Draw(image)
    ink, width = _colour(rng, 0, 90), int(rng.integers(3, 8))
    for _ in range(int(rng.integers(1, 4))):
        x, top, height = rng.uniform(60, SIZE[0] - 60), rng.uniform(20, 90), rng.uniform(150, 230)
        radius = height / 7
        draw.ellipse((x - radius, top, x + radius, top + 2 * radius), outline=ink, width=width)
        neck, hip = top + 2 * radius, top + 2 * radius + height * 0.4
        draw.line([(x, neck), (x, hip)], fill=ink, width=width)
        for side in (-1, 1):
            hand = (x + side * height * 0.25, neck + rng.uniform(0, height * 0.3))
            draw.line([(x, neck + height * 0.1), hand], fill=ink, width=width)
            draw.line([(x, hip), (x + side * height * 0.18, hip + height * 0.4)], fill=ink, width=width)
    return image


def fabric(rng: np.random.Generator) -> Image.Image:
    """A woven two-colour pattern with a little grain: a cushion or a curtain filling the frame."""
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    across, down = rng.uniform(4, 40, 2)
    weave = 0.5 + 0.25 * np.sin(x / across * math.pi) + 0.25 * np.sin(y / down * math.pi)
    first, second = rng.integers(0, 256, (2, 3))
    return _image(first + (second - first) * weave[..., None] + rng.normal(0, 6, (height, width, 1)))


def cells(rng: np.random.Generator) -> Image.Image:
    """Flat-coloured Voronoi cells: stained glass, a mosaic."""
    width, height = SIZE
    seeds = rng.uniform((0, 0), (width, height), (int(rng.integers(10, 60)), 2))
    y, x = np.mgrid[0:height:2, 0:width:2]
    nearest = np.argmin((x[..., None] - seeds[:, 0]) ** 2 + (y[..., None] - seeds[:, 1]) ** 2, axis=2)
    return _image(rng.integers(0, 256, (len(seeds), 3))[nearest]).resize(SIZE, Image.Resampling.NEAREST)


def cloudy_sky(rng: np.random.Generator) -> Image.Image:
    """A blue sky with soft white clouds."""
    width, height = SIZE
    y = np.arange(height, dtype=np.float32)[:, None, None] / height
    colours = np.array([60, 120, 210]) * (1 - y) + np.array([170, 205, 240]) * y  # (height, 1, 3)
    sky = _image(np.broadcast_to(colours, (height, width, 3)))
    clouds = Image.new("L", SIZE, 0)
    draw = ImageDraw.Draw(clouds)
    for _ in range(int(rng.integers(4, 14))):
        x, y, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(20, 70)
        draw.ellipse((x - 1.6 * radius, y - radius, x + 1.6 * radius, y + radius), fill=int(rng.integers(150, 256)))
    white = Image.new("RGB", SIZE, (250, 250, 250))
    return Image.composite(white, sky, clouds.filter(ImageFilter.GaussianBlur(12)))


NON_PETS = {
    "solid colour": solid_colour,
    "gradient": gradient,
    "noise": noise,
    "plasma": plasma,
    "checkerboard": checkerboard,
    "shapes": shapes,
    "text on paper": text_on_paper,
    "landscape": landscape,
    "car": car,
    "house": house,
    "brick wall": brick_wall,
    "doodle": doodle,
    "stick figures": stick_figures,
    "fabric": fabric,
    "cells": cells,
    "cloudy sky": cloudy_sky,
    "empty wooden floor": lambda rng: wooden_floor(SIZE, rng),  # bench.robustness's floor, without the pet
}


def non_pet_images(kind: str, count: int, first_seed: int = 0) -> list[Image.Image]:
    """`count` drawings of one kind, the same on every run: drawing i comes from seed first_seed + i."""
    draw, stream = NON_PETS[kind], list(NON_PETS).index(kind)  # each kind its own random stream
    return [draw(np.random.default_rng([stream, first_seed + i])) for i in range(count)]


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(low, high, 3))


def _image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(pixels, np.float32), 0, 255).astype(np.uint8))


# --- real pets, taken as phones take them --------------------------------------------------------------


def _jpeg(photo: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _noisy(photo: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(photo, np.float32)
    return _image(pixels + rng.normal(0, sigma, pixels.shape))


def _tinted(photo: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    return _image(np.asarray(photo, np.float32) * np.array(gains, np.float32))


def _cropped(photo: Image.Image, share: float, rng: np.random.Generator) -> Image.Image:
    """A random window of `share` of the photo's width and height."""
    width, height = int(photo.width * share), int(photo.height * share)
    left, top = int(rng.integers(0, photo.width - width + 1)), int(rng.integers(0, photo.height - height + 1))
    return photo.crop((left, top, left + width, top + height))


def _motion_blurred(photo: Image.Image, length: int) -> Image.Image:
    """Smeared sideways over `length` pixels: a hand that moved."""
    pixels = np.asarray(photo, np.float32)
    shifts = range(-(length // 2), length // 2 + 1)
    return _image(sum(np.roll(pixels, shift, axis=1) for shift in shifts) / len(shifts))


PHONE_SHOTS: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "turned sideways": lambda photo, rng: photo.rotate(90, expand=True),
    "tilted 20°, cropped": lambda photo, rng: _cropped(photo.rotate(float(rng.choice([-20, 20]))), 0.7, rng),
    "close crop": lambda photo, rng: _cropped(photo, 0.6, rng),
    "cool white balance": lambda photo, rng: _tinted(photo, (0.8, 0.95, 1.3)),
    "green fluorescent light": lambda photo, rng: _tinted(photo, (0.85, 1.15, 0.8)),
    "sensor noise": lambda photo, rng: _noisy(photo, 20, rng),
    "motion blur": lambda photo, rng: _motion_blurred(photo, 9),
    "low light, noisy, compressed": lambda photo, rng: _jpeg(
        _noisy(ImageEnhance.Brightness(photo).enhance(0.25), 5, rng), 50
    ),
    "JPEG quality 8": lambda photo, rng: _jpeg(photo, 8),
}


# --- non-pet images found on this machine ---------------------------------------------------------------

# Where software keeps its pictures: icon themes, documentation, Python packages. Nothing is downloaded.
FOUND_IMAGE_FOLDERS = (Path("/usr/share"), Path("/usr/lib"), Path(os.__file__).parent)


def found_images(smallest_bytes: int = 15_000, smallest_side: int = 128) -> list[tuple[Path, Image.Image]]:
    """Images on this machine big enough to be pictures (not bullets or favicons), each content once."""
    from catdog.photos import PhotoError, load_photo

    seen, found = set(), []
    for root in FOUND_IMAGE_FOLDERS:
        for folder, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix.lower() not in PHOTO_SUFFIXES or path.is_relative_to(SHARED_DATASET.parent):
                    continue
                try:
                    if path.stat().st_size < smallest_bytes:
                        continue
                    data = path.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
                    photo = None if digest in seen else load_photo(data)
                except (OSError, PhotoError):
                    continue
                if photo is not None and min(photo.size) >= smallest_side:
                    seen.add(digest)
                    found.append((path, photo))
    return found


# --- measuring ------------------------------------------------------------------------------------------


def photo_sets() -> dict[str, tuple[list, np.ndarray]]:
    """name → (what each photo is, pixels (n, 224, 224, 3) uint8)."""
    from catdog.data import decode_photos, labelled_photos
    from catdog.photos import load_photo, model_input

    sets = {}
    for split in ("train", "validation", "test"):
        decoded = decode_photos(labelled_photos(SHARED_DATASET / split), 224)
        sets[split] = (list(decoded.labels.astype(int)), decoded.pixels)
    photos = [load_photo(path) for path, _ in labelled_photos(SHARED_DATASET / "test")[EVERY_OTHER]]
    shifts = {name: shift for name, shift in SHIFTS.items() if name != "as is"}
    for set_name, changes in (("phone", PHONE_SHOTS), ("shifted", shifts)):
        made = []
        for name, change in changes.items():
            rng = np.random.default_rng(0)  # the same shots on every run
            made += [(name, model_input(change(photo, rng), 224)) for photo in photos]
        sets[set_name] = ([name for name, _ in made], np.stack([pixels for _, pixels in made]))
    drawn = [
        (kind, model_input(image, 224))
        for kind in NON_PETS
        for image in non_pet_images(kind, DRAWN_PER_KIND, SEEDS_UNSEEN)
    ]
    sets["drawn"] = ([kind for kind, _ in drawn], np.stack([pixels for _, pixels in drawn]))
    found = found_images()
    sets["found"] = ([str(path) for path, _ in found], np.stack([model_input(photo, 224) for _, photo in found]))
    return sets


def cached_features() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """set → (what each photo is, dog probabilities (n,), features (n, 1280), flat colour's margin (n,)) from the
    bundled model's one pass."""
    from catdog.model import load_model, probabilities_and_features, probability_and_features_model
    from catdog.neither import flat_colour_margin

    path = CACHE / "features-v3.npz"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        two_outputs = probability_and_features_model(load_model(BUNDLED_MODEL))
        arrays = {}
        for name, (what, pixels) in photo_sets().items():
            started = time.perf_counter()
            probabilities, features = probabilities_and_features(two_outputs, pixels)
            arrays |= {f"{name}|what": np.array(what), f"{name}|p": probabilities, f"{name}|f": features}
            arrays[f"{name}|margin"] = flat_colour_margin(pixels)
            print(f"  {len(pixels)} {name} photos in {time.perf_counter() - started:.0f} s", flush=True)
        np.savez(path, **arrays)
    with np.load(path) as saved:
        names = {key.split("|")[0] for key in saved.files}
        return {name: tuple(saved[f"{name}|{part}"] for part in ("what", "p", "f", "margin")) for name in names}


def rule_before(features: dict) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The check until 2026-12-02: flagged when the mean cosine distance to the 10 nearest of the training
    photos (all 1,280 features, either class) is above what 1% of the validation photos reach."""
    bank = _unit(features["train"][2]).T  # (1280, training photos)

    def distance(probabilities: np.ndarray, photo_features: np.ndarray) -> np.ndarray:
        return 1 - np.partition(_unit(photo_features) @ bank, -10, axis=1)[:, -10:].mean(axis=1)

    threshold = np.quantile(distance(*features["validation"][1:3]), 0.99)
    return lambda probabilities, photo_features, margins: distance(probabilities, photo_features) > threshold


def rule_shipped(margin: bool) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The shipped detector, models/catdog.neither.npz: its distance alone, or with flat colour's margin."""
    from catdog.neither import NeitherDetector, detector_path

    detector = NeitherDetector.load(detector_path(BUNDLED_MODEL))
    return lambda probabilities, features, margins: (
        detector.distance(features, probabilities) + (margins if margin else 0) > detector.threshold
    )


def report(features: dict) -> None:
    """Photos flagged by each rule: per kind of photo, then in all."""
    rules = {"before": rule_before(features), "distance": rule_shipped(False), "after": rule_shipped(True)}
    print(f"\n{'':46}" + "".join(f"{name:>16}" for name in rules))
    for heading, groups in (
        ("Real pets (flagged: wrong)", ("test", "phone", "shifted")),
        ("Not pets (flagged: right)", ("drawn", "found")),
    ):
        print(heading)
        every = {name: [] for name in rules}
        for group in groups:
            what, *judged = features[group]
            flagged = {name: rule(*judged) for name, rule in rules.items()}
            kinds = {"test": ["test photos as they are"], "found": ["found on this machine"]}.get(group)
            for kind in kinds or dict.fromkeys(what):
                rows = np.ones(len(what), bool) if kinds else what == kind
                label = f"  {kind}" if kinds or group == "drawn" else f"  {group}: {kind}"
                _row(f"{label} ({rows.sum()})", {name: flagged[name][rows] for name in rules})
            for name in rules:
                every[name].append(flagged[name])
        _row(f"  in all ({sum(map(len, every['after']))})", {name: np.concatenate(every[name]) for name in rules})


def _row(label: str, flagged: dict[str, np.ndarray]) -> None:
    print(f"{label:46}" + "".join(f"{_count(rule_flagged):>16}" for rule_flagged in flagged.values()))


def _count(flagged: np.ndarray) -> str:
    return f"{flagged.sum()} ({flagged.mean():.1%})"


def cost() -> None:
    """ms per photo: the classifier alone, and its one pass giving probability and features, then the distance."""
    from catdog.model import load_model, predict_dog_probability
    from catdog.neither import NeitherDetector, detector_path, flat_colour_margin

    classifier = load_model(BUNDLED_MODEL)
    detector = NeitherDetector.load(detector_path(BUNDLED_MODEL))
    detector.use_model(classifier)
    pixels = np.asarray(non_pet_images("car", 1)[0].resize((224, 224)))[None]
    probabilities, features = detector.features(pixels)
    rows = {
        "classifier alone": lambda: predict_dog_probability(classifier, pixels),
        "one pass: probability and features, then judge": lambda: detector.judge(
            *reversed(detector.features(pixels)), pixels
        ),
        f"distance alone ({len(detector.bank):,} training views)": lambda: detector.distance(features, probabilities),
        "flat colour's margin alone": lambda: flat_colour_margin(pixels),
    }
    print("\nCost per photo (one 224 × 224 photo, median of 30):")
    for name, call in rows.items():
        print(f"  {name:50} {median_ms(timed(call, 30)):6.1f} ms")
    size = detector_path(BUNDLED_MODEL).stat().st_size
    print(f"  {detector_path(BUNDLED_MODEL).relative_to(REPO)}: {size / 1e6:.1f} MB")


def _unit(features: np.ndarray) -> np.ndarray:
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def main() -> None:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(line.split(":")[1].strip() for line in cpuinfo if line.startswith("model name"))
    print(f"CPU: {cpu}, {os.cpu_count()} cores")
    features = cached_features()
    report(features)
    cost()


if __name__ == "__main__":
    main()
