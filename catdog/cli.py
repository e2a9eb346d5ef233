"""Command line: `python -m catdog predict|explain|train|evaluate|download|import ...` (--help for the options)."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

from catdog.config import BUNDLED_MODEL, PRETRAINED_BACKBONES, PRETRAINED_IMAGE_SIZE, TrainConfig

# explain --json: the heatmap's cells on the photo's long side; enough to see where, few enough to read.
JSON_HEATMAP_CELLS = 32


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command == "train":
        return train_command(args, command="python -m catdog " + shlex.join(argv))
    if args.command == "download":
        return download_command(args)
    if args.command == "import":
        return import_command(args)
    if not Path(args.model).is_file():
        print(f"error: no model at {args.model}", file=sys.stderr)
        return 2
    if args.command == "explain":
        return explain_command(args)
    return predict_command(args) if args.command == "predict" else evaluate_command(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m catdog", description="Cat or dog? A small convnet.")
    commands = root.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="classify photos")
    predict.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    predict.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    predict.add_argument("--json", action="store_true", help="one JSON object per line")

    explain = commands.add_parser("explain", help="show where in each photo the model found its verdict (Grad-CAM)")
    explain.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    explain.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    explain.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where NAME-heatmap.png, each photo with its heatmap, go (default: the current folder; made if missing)",
    )
    explain.add_argument(
        "--json",
        action="store_true",
        help=f"one JSON object per line: path, dog_probability, label, and heatmap, rows of values in [0, 1] "
        f"from top to bottom laid over the upright photo, {JSON_HEATMAP_CELLS} cells on its long side",
    )

    train = commands.add_parser("train", help="train a model, from scratch or from a pretrained backbone")
    train.add_argument(
        "--data", type=Path, required=True, help="folder with train/ and validation/ (or Kaggle's cat.N.jpg)"
    )
    train.add_argument("--out", type=_keras_path, required=True, help="where to save, e.g. models/mine.keras")
    train.add_argument(
        "--pretrained",
        choices=list(PRETRAINED_BACKBONES),
        help="start from an ImageNet backbone (MobileNetV2 1.0, or MobileNet v1 0.25) instead of from scratch",
    )
    # Unset options take the defaults of the kind of model chosen: TrainConfig() or TrainConfig.transfer().
    train.add_argument("--epochs", type=_positive_int, help="all epochs, fine-tuning ones included")
    train.add_argument("--fine-tune-epochs", type=_natural_int, help="pretrained: last epochs that fine-tune its top")
    train.add_argument("--augment", action=argparse.BooleanOptionalAction)
    train.add_argument("--limit", type=_positive_int, dest="limit_per_class", help="first N training photos per class")
    train.add_argument("--image-size", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--width", type=_positive_int, help="from scratch: filters in the first layer")
    train.add_argument("--precision", choices=["auto", "float32", "bfloat16"])
    train.add_argument("--seed", type=int)

    evaluate = commands.add_parser("evaluate", help="score a labelled folder (DIR/cats, DIR/dogs)")
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    evaluate.add_argument("--json", action="store_true")

    data_help = "the data folder to put it in (default: CATDOG_DATA_DIR, or data/)"
    download = commands.add_parser("download", help="download cats_and_dogs_filtered.zip, TensorFlow's 3,000 photos")
    download.add_argument("--url", help="a mirror of the ZIP (default: the one TensorFlow's tutorials download)")
    download.add_argument("--sha256", type=_sha256, metavar="HEX", help="the ZIP's expected SHA-256, for a mirror")
    download.add_argument("--data", type=Path, metavar="DIR", help=data_help)

    import_ = commands.add_parser("import", help="bring in your own folder or ZIP of cat and dog photos")
    import_.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="a folder or ZIP: Kaggle's cat.N.jpg, PetImages' Cat/ and Dog/, or SPLIT/cats|dogs",
    )
    import_.add_argument("--name", help="the dataset's folder name (default: the folder's or ZIP's name)")
    import_.add_argument("--data", type=Path, metavar="DIR", help=data_help)
    return root


def predict_command(args: argparse.Namespace) -> int:
    from catdog.photos import PhotoError
    from catdog.predict import Classifier

    classifier = Classifier.load(args.model)
    failed = False
    for path in args.photos:
        try:
            prediction = classifier.classify(path)
        except PhotoError as error:
            failed = True
            print(json.dumps({"path": str(path), "error": str(error)}) if args.json else f"{path}: error: {error}")
            continue
        probability, label = prediction.dog_probability, prediction.label
        if args.json:
            print(json.dumps({"path": str(path), "dog_probability": round(probability, 4), "label": label}))
        else:
            print(f"{path}: {label}, {probability:.1%} dog")
    return 1 if failed else 0


def explain_command(args: argparse.Namespace) -> int:
    from catdog.explain import heatmap
    from catdog.photos import PhotoError, heatmap_over_photo, load_photo, overlay
    from catdog.predict import Classifier

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"error: cannot make the folder {args.out} ({error.strerror})", file=sys.stderr)
        return 2
    classifier = Classifier.load(args.model)
    failed, written = False, set()
    for path in args.photos:
        try:
            photo = load_photo(path)
        except PhotoError as error:
            failed = True
            print(json.dumps({"path": str(path), "error": str(error)}) if args.json else f"{path}: error: {error}")
            continue
        prediction = classifier.classify_photo(photo)  # the heatmap is of exactly what the model classified
        heat = heatmap(classifier.model, prediction.pixels)
        image = args.out / _heatmap_name(path, written)
        overlay(photo, heat).save(image)
        probability, label = prediction.dog_probability, prediction.label
        if args.json:
            grid = heatmap_over_photo(photo, heat, JSON_HEATMAP_CELLS)
            rows = [[round(float(value), 3) for value in row] for row in grid]
            record = {"path": str(path), "dog_probability": round(probability, 4), "label": label, "heatmap": rows}
            print(json.dumps(record))
        else:
            print(f"{path}: {label}, {probability:.1%} dog; heatmap in {image}")
    return 1 if failed else 0


def _heatmap_name(photo: Path, written: set[str]) -> str:
    """NAME-heatmap.png, numbered when photos of the same name from different folders would overwrite it."""
    name, n = f"{photo.stem}-heatmap.png", 1
    while name in written:
        n += 1
        name = f"{photo.stem}-{n}-heatmap.png"
    written.add(name)
    return name


def train_command(args: argparse.Namespace, command: str) -> int:
    from catdog.data import DatasetError
    from catdog.model import WeightsUnavailable
    from catdog.train import train

    config = TrainConfig.transfer(args.pretrained) if args.pretrained else TrainConfig()
    options = ("epochs", "fine_tune_epochs", "augment", "limit_per_class", "image_size", "batch_size")
    options += ("learning_rate", "width", "precision", "seed")
    config = replace(config, **{name: getattr(args, name) for name in options if getattr(args, name) is not None})
    if config.pretrained and config.image_size != PRETRAINED_IMAGE_SIZE:
        side = PRETRAINED_IMAGE_SIZE
        print(
            f"error: a pretrained backbone takes {side} × {side} photos, not --image-size {config.image_size}",
            file=sys.stderr,
        )
        return 2
    if config.fine_tune_epochs > config.epochs:
        print(
            f"error: --fine-tune-epochs {config.fine_tune_epochs} is more than --epochs {config.epochs}",
            file=sys.stderr,
        )
        return 2
    try:
        record = train(config, args.data, args.out, verbose=1, command=command)
    except (DatasetError, WeightsUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path, reason in record.unreadable:
        print(f"skipped {path}: {reason}")
    print(
        f"best validation accuracy {record.validation_accuracy} at epoch {record.best_epoch}, "
        f"test accuracy {record.test_accuracy}, {record.seconds:.0f} s"
    )
    print(f"saved {args.out} and {Path(args.out).with_suffix('.json')}")
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    from catdog.predict import evaluate_folder

    started = time.perf_counter()
    report = evaluate_folder(args.model, args.data)
    if report["n"] == 0:
        print(f"error: no readable photos in {args.data}/cats or {args.data}/dogs", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    (cc, cd), (dc, dd) = report["confusion"]
    print(f"accuracy {report['accuracy']:.4f} on {report['n']} photos ({time.perf_counter() - started:.1f} s)")
    print(f"{'':>10}{'said cat':>10}{'said dog':>10}\n{'cats':>10}{cc:>10}{cd:>10}\n{'dogs':>10}{dc:>10}{dd:>10}")
    print(f"unreadable: {len(report['unreadable'])}")
    for path in report["unreadable"]:
        print(f"  {path}")
    return 0


def download_command(args: argparse.Namespace) -> int:
    from catdog import download
    from catdog.data import find_dataset

    url = args.url or download.TUTORIAL_URL
    print(f"downloading {url}")
    bar = _ProgressBar("MB", scale=1e6)
    try:
        folder = download.download_dataset(url, args.data, sha256=args.sha256, progress=bar)
    except download.FetchError as error:
        return _fetch_failed(bar, str(error))
    except KeyboardInterrupt:
        return _fetch_failed(bar, "interrupted, nothing was kept", code=130)
    bar.close()
    print(f"saved {folder}")
    _print_counts(find_dataset(folder).counts())
    return 0


def import_command(args: argparse.Namespace) -> int:
    from catdog.download import FetchError, import_dataset

    bar = _ProgressBar("files checked")
    try:
        report = import_dataset(args.path, args.name, args.data, progress=bar)
    except FetchError as error:
        return _fetch_failed(bar, str(error))
    except KeyboardInterrupt:
        return _fetch_failed(bar, "interrupted, nothing was kept", code=130)
    bar.close()
    total = sum(sum(classes.values()) for classes in report.counts.values())
    print(f"imported {total} photos from {args.path} ({report.layout}) into {report.dataset}")
    _print_counts(report.counts)
    if report.skipped:
        print(f"skipped {len(report.skipped)} file{'' if len(report.skipped) == 1 else 's'}:")
        for skipped in report.skipped:
            print(f"  {skipped.path}: {skipped.reason}")
    return 0


def _fetch_failed(bar: _ProgressBar, message: str, code: int = 1) -> int:
    bar.close()
    print(f"error: {message}", file=sys.stderr)
    return code


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    for split, classes in counts.items():
        print(f"  {split}: {classes.get('cat', 0)} cats, {classes.get('dog', 0)} dogs")


class _ProgressBar:
    """A one-line bar on stderr for a progress(done, total) callback, redrawn only when its percentage changes."""

    def __init__(self, unit: str, scale: float = 1, width: int = 30) -> None:
        self.unit, self.scale, self.width = unit, scale, width  # scale 1e6 shows bytes as MB
        self.shown: object = None  # what the drawn line shows: its percentage, or its text when total is unknown

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            filled, percent = self.width * done // total, 100 * done // total
            text = f"[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%  "
            text += f"{self._amount(done)} of {self._amount(total)} {self.unit}"
            key: object = percent
        else:
            text = key = f"{self._amount(done)} {self.unit}"
        if key != self.shown:
            sys.stderr.write(f"\r{text}")
            sys.stderr.flush()
            self.shown = key

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self.shown is not None:
            sys.stderr.write("\n")
            self.shown = None

    def _amount(self, n: int) -> str:
        return f"{n / self.scale:,.1f}" if self.scale != 1 else f"{n:,}"


def _keras_path(text: str) -> Path:
    if not text.endswith(".keras"):
        example = f"{Path(text).stem or 'model'}.keras"
        raise argparse.ArgumentTypeError(f"must end in .keras (Keras's format), e.g. {example}")
    return Path(text)


def _natural_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _sha256(text: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError("must be 64 hexadecimal digits, as sha256sum prints")
    return text.lower()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
