"""Command line: `python -m catdog predict|train|evaluate ...` (run with --help for the options)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from catdog.config import BUNDLED_MODEL, CLASS_NAMES, TrainConfig


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command == "train":
        return train_command(args, command="python -m catdog " + shlex.join(argv))
    if not Path(args.model).is_file():
        print(f"error: no model at {args.model}", file=sys.stderr)
        return 2
    return predict_command(args) if args.command == "predict" else evaluate_command(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m catdog", description="Cat or dog? A small convnet.")
    commands = root.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="classify photos")
    predict.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    predict.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    predict.add_argument("--json", action="store_true", help="one JSON object per line")

    defaults = TrainConfig()
    train = commands.add_parser("train", help="train a model from scratch")
    train.add_argument(
        "--data", type=Path, required=True, help="folder with train/ and validation/ (or Kaggle's cat.N.jpg)"
    )
    train.add_argument("--out", type=_keras_path, required=True, help="where to save, e.g. models/mine.keras")
    train.add_argument("--epochs", type=_positive_int, default=defaults.epochs)
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=defaults.augment)
    train.add_argument("--limit", type=_positive_int, default=None, help="first N training photos per class")
    train.add_argument("--image-size", type=_positive_int, default=defaults.image_size)
    train.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    train.add_argument("--width", type=_positive_int, default=defaults.width)
    train.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default=defaults.precision)
    train.add_argument("--seed", type=int, default=defaults.seed)

    evaluate = commands.add_parser("evaluate", help="score a labelled folder (DIR/cats, DIR/dogs)")
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    evaluate.add_argument("--json", action="store_true")
    return root


def predict_command(args: argparse.Namespace) -> int:
    from catdog.photos import PhotoError
    from catdog.predict import Classifier

    classifier = Classifier.load(args.model)
    failed = False
    for path in args.photos:
        try:
            probability = classifier.classify(path).dog_probability
        except PhotoError as error:
            failed = True
            print(json.dumps({"path": str(path), "error": str(error)}) if args.json else f"{path}: error: {error}")
            continue
        label = CLASS_NAMES[int(probability > 0.5)]
        if args.json:
            print(json.dumps({"path": str(path), "dog_probability": round(probability, 4), "label": label}))
        else:
            print(f"{path}: {label}, {probability:.1%} dog")
    return 1 if failed else 0


def train_command(args: argparse.Namespace, command: str) -> int:
    from catdog.data import DatasetError
    from catdog.train import train

    config = TrainConfig(
        image_size=args.image_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        augment=args.augment,
        limit_per_class=args.limit,
        width=args.width,
        precision=args.precision,
        seed=args.seed,
    )
    try:
        metadata = train(config, args.data, args.out, verbose=1, command=command)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path, reason in metadata["unreadable"]:
        print(f"skipped {path}: {reason}")
    print(
        f"best validation accuracy {metadata['validation_accuracy']} at epoch {metadata['best_epoch']}, "
        f"test accuracy {metadata['test_accuracy']}, {metadata['seconds']:.0f} s"
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


def _keras_path(text: str) -> Path:
    if not text.endswith(".keras"):
        example = f"{Path(text).stem or 'model'}.keras"
        raise argparse.ArgumentTypeError(f"must end in .keras (Keras's format), e.g. {example}")
    return Path(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
