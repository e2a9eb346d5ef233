"""How well the "neither a cat nor a dog" check works, and why it is built the way it is.

Compares two feature sources (the bundled model's fine-tuned backbone, plain ImageNet MobileNetV2)
and two detectors (Mahalanobis distance to the nearest class mean, k-NN cosine distance to the
training photos), each with its threshold set on the shared validation photos; then reports the
chosen detector's flag rate on the held-out test photos, on shifted test photos (bench.robustness),
its detection rate on each kind of drawn non-pet image, and its cost per photo.
The non-pet images are drawn here, in code, from a seed: no outside photos exist on this machine.
Run from the repository root: python -m bench.neither_calibration   (features are cached in /tmp)
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from bench.common import median_ms, timed
from catdog.config import BUNDLED_MODEL, NEITHER_FLAG_RATE, SHARED_DATASET, SHARED_WEIGHTS

CACHE = Path("/tmp/catdog-neither-features")  # features of every photo, per source: minutes to compute on 2 cores

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
}


def non_pet_images(kind: str, count: int, first_seed: int = 0) -> list[Image.Image]:
    """`count` drawings of one kind, the same on every run: drawing i comes from seed first_seed + i."""
    draw, stream = NON_PETS[kind], list(NON_PETS).index(kind)  # each kind its own random stream
    return [draw(np.random.default_rng([stream, first_seed + i])) for i in range(count)]


def _image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(pixels, np.float32), 0, 255).astype(np.uint8))


# --- measuring --------------------------------------------------------------------------------------


def feature_sources() -> dict:
    """name → pixels (n, 224, 224, 3) uint8 → (dog probabilities or None, features (n, 1280))."""
    import keras

    from catdog.model import load_backbone, load_model, weights_cache_dir
    from catdog.neither import probabilities_and_features, probability_and_features_model

    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    if not (weights_cache_dir() / name).is_file():
        weights_cache_dir().mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_WEIGHTS / name, weights_cache_dir() / name)
    bundled = probability_and_features_model(load_model(BUNDLED_MODEL))
    pixels = keras.Input((224, 224, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(pixels)
    imagenet = keras.Model(pixels, keras.layers.GlobalAveragePooling2D()(load_backbone("mobilenet_v2")(x)))
    return {
        "fine-tuned (catdog.keras)": lambda batch: probabilities_and_features(bundled, batch)[1],
        "ImageNet MobileNetV2": lambda batch: np.concatenate(
            [imagenet.predict_on_batch(batch[i : i + 64]) for i in range(0, len(batch), 64)]
        ),
    }


def photo_sets() -> dict[str, tuple[list, np.ndarray]]:
    """name → (what each photo is, pixels (n, 224, 224, 3) uint8): the three splits, shifted test photos, non-pets."""
    from bench.robustness import SHIFTS
    from catdog.data import decode_photos, labelled_photos
    from catdog.photos import load_photo, model_input

    sets = {}
    for split in ("train", "validation", "test"):
        decoded = decode_photos(labelled_photos(SHARED_DATASET / split), 224)
        sets[split] = (list(decoded.labels.astype(int)), decoded.pixels)
    every_fifth = [path for path, _ in labelled_photos(SHARED_DATASET / "test")][::5]  # 50 cats, 50 dogs
    shifted = [
        (name, model_input(shift(load_photo(path), rng), 224))
        for name, shift in SHIFTS.items()
        if name != "as is"
        for rng in [np.random.default_rng(0)]
        for path in every_fifth
    ]
    sets["shifted"] = ([name for name, _ in shifted], np.stack([pixels for _, pixels in shifted]))
    drawn = [(kind, model_input(image, 224)) for kind in NON_PETS for image in non_pet_images(kind, 40)]
    sets["non-pets"] = ([kind for kind, _ in drawn], np.stack([pixels for _, pixels in drawn]))
    return sets


def cached_features() -> dict:
    """source → set → (what each photo is, features); computed once, then read from CACHE."""
    path = CACHE / "features.npz"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        sets, sources = photo_sets(), feature_sources()
        arrays = {}
        for set_name, (what, pixels) in sets.items():
            arrays[f"{set_name}|what"] = np.array(what)
            for source, extract in sources.items():
                started = time.perf_counter()
                arrays[f"{set_name}|{source}"] = extract(pixels)
                print(f"  {source}: {len(pixels)} {set_name} photos in {time.perf_counter() - started:.0f} s")
        np.savez(path, **arrays)
    with np.load(path) as saved:
        arrays = dict(saved)
    sources = sorted({key.split("|")[1] for key in arrays} - {"what"})
    return {
        source: {
            name: (arrays[f"{name}|what"], arrays[f"{name}|{source}"]) for name in {k.split("|")[0] for k in arrays}
        }
        for source in sources
    }


def mahalanobis(train: np.ndarray, labels: np.ndarray):
    """The alternative: distance to the nearer class mean of unit-length features, Ledoit-Wolf shrunk covariance."""
    train = train / np.linalg.norm(train, axis=1, keepdims=True)
    means = np.stack([train[labels == label].mean(axis=0) for label in (0, 1)])
    centred = train - means[labels]
    n, d = centred.shape
    sample = centred.T @ centred / n
    target = np.trace(sample) / d
    spread = ((sample - target * np.eye(d)) ** 2).sum()
    shrinkage = min(((centred**2).sum(axis=1) ** 2).sum() / n**2 - (sample**2).sum() / n, spread) / spread
    variances, directions = np.linalg.eigh((1 - shrinkage) * sample + shrinkage * target * np.eye(d))
    whitening = directions / np.sqrt(variances)

    def distance(features: np.ndarray) -> np.ndarray:
        features = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        gaps = [(((features - mean) @ whitening) ** 2).sum(axis=1) for mean in means]
        return np.sqrt(np.min(gaps, axis=0))

    return distance


def auroc(pets: np.ndarray, others: np.ndarray) -> float:
    """The chance that a non-pet lies further away than a pet."""
    return float((others[:, None] > pets[None, :]).mean() + 0.5 * (others[:, None] == pets[None, :]).mean())


def compare(features: dict) -> None:
    from catdog.neither import NeitherDetector

    print(f"\nMethods (threshold: {NEITHER_FLAG_RATE:.0%} of validation photos flagged); margin: how far the")
    print("closest non-pet lies above the threshold, in units of (threshold - median validation distance)")
    print(f"{'features':27} {'detector':28} {'AUROC':>6} {'test':>6} {'shifted':>8} {'non-pets':>9} {'margin':>7}")
    for source, sets in features.items():
        (labels, train), (_, validation) = sets["train"], sets["validation"]
        knn = NeitherDetector.fit(train, validation, BUNDLED_MODEL)
        for name, distance in (
            ("k-NN cosine, k=10", knn.distance),
            ("Mahalanobis, unit features", mahalanobis(train, labels.astype(int))),
        ):
            pets, others = distance(validation), distance(sets["non-pets"][1])
            threshold = np.quantile(pets, 1 - NEITHER_FLAG_RATE)
            test, shifted = (np.mean(distance(sets[s][1]) > threshold) for s in ("test", "shifted"))
            margin = (others.min() - threshold) / (threshold - np.median(pets))
            print(
                f"{source:27} {name:28} {auroc(pets, others):6.4f} {test:6.1%} {shifted:8.1%} "
                f"{np.mean(others > threshold):9.1%} {margin:7.2f}"
            )


def report_chosen(features: dict) -> None:
    from catdog.neither import NeitherDetector

    sets = features["fine-tuned (catdog.keras)"]
    detector = NeitherDetector.fit(sets["train"][1], sets["validation"][1], BUNDLED_MODEL)
    print(f"\nChosen: fine-tuned features, k-NN cosine (k={detector.neighbours}); threshold {detector.threshold:.4f}")
    for split in ("validation", "test"):
        flagged = detector.distance(sets[split][1]) > detector.threshold
        print(f"  {split} photos flagged: {flagged.mean():.1%} ({flagged.sum()} of {len(flagged)})")
    for set_name, heading in (
        ("shifted", "real test photos, shifted (flagged: wrong)"),
        ("non-pets", "drawn non-pets"),
    ):
        what, set_features = sets[set_name]
        flagged = detector.distance(set_features) > detector.threshold
        print(f"  {heading}:")
        for kind in dict.fromkeys(what):
            print(f"    {kind:34} {flagged[what == kind].mean():6.1%} of {(what == kind).sum()}")


def cost() -> None:
    """ms per photo: the classifier alone, classifier then detector (two passes), and one two-output pass."""
    from catdog.model import load_model, predict_dog_probability
    from catdog.neither import NeitherDetector, detector_path

    classifier = load_model(BUNDLED_MODEL)
    detector = NeitherDetector.load(detector_path(BUNDLED_MODEL))
    separate = NeitherDetector.load(detector_path(BUNDLED_MODEL))  # its own copy of the model: a second pass
    detector.use_model(classifier)
    pixels = np.asarray(non_pet_images("car", 1)[0].resize((224, 224)))[None]
    features = detector.features(pixels)[1]
    rows = {
        "classifier alone": lambda: predict_dog_probability(classifier, pixels),
        "classifier, then the detector's own pass": lambda: (
            predict_dog_probability(classifier, pixels),
            separate.score(pixels),
        ),
        "one pass: probability and features, then distance": lambda: detector.distance(detector.features(pixels)[1]),
        "distance alone (2,000 training photos)": lambda: detector.distance(features),
    }
    print("\nCost per photo (one 224 × 224 photo, median of 30):")
    for name, call in rows.items():
        print(f"  {name:50} {median_ms(timed(call, 30)):6.1f} ms")


def main() -> None:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(line.split(":")[1].strip() for line in cpuinfo if line.startswith("model name"))
    print(f"CPU: {cpu}")
    features = cached_features()
    compare(features)
    report_chosen(features)
    cost()


if __name__ == "__main__":
    main()
