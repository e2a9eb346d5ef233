"""Command line: `python -m catdog predict|explain|train|evaluate|export|download|import ...` (--help for options).

Lines for people speak --lang (default: the terminal's LANG), from catdog/locales/; --json output and --help
stay English: a program reads the first, and argparse's own words in the second have no catalogue.
Exit codes (docs/cli.md): 0 done, 1 something failed on the way (an unreadable photo, the network, a run),
2 bad arguments (argparse's own, a missing file or folder, options that contradict), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

from catdog.config import (
    BACKBONES,
    BUNDLED_MODEL,
    EXPORT_FORMATS,
    EXPORT_QUANTIZATIONS,
    NEITHER_FLAG_RATE,
    NEITHER_SUFFIX,
    PHOTO_FORMATS,
    PRETRAINED_IMAGE_SIZE,
    TrainConfig,
    log,
)
from catdog.i18n import LANGUAGES, language_from_environment, translate
from catdog.runs import TrainingListener, phase_name, phase_times
from catdog.wording import percent

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
        print(translate("cli.no_model", args.lang, model=args.model), file=sys.stderr)
        return 2
    if args.command == "explain":
        return explain_command(args)
    if args.command == "export":
        return export_command(args)
    if args.command == "calibrate-neither":
        return calibrate_neither_command(args)
    return predict_command(args) if args.command == "predict" else evaluate_command(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m catdog", description="Cat or dog? A small convnet.")
    lang = language_from_environment()
    lang_help = f"the language of lines for people (default: {lang}, from LANG)"
    root.add_argument("--lang", choices=list(LANGUAGES), default=lang, help=lang_help + "; --json stays English")
    # Also after the command (`predict --lang zh PHOTO`); SUPPRESS keeps the root's value when it is not given there.
    # Only a command with --json says that it stays English.
    language, language_and_json = argparse.ArgumentParser(add_help=False), argparse.ArgumentParser(add_help=False)
    language.add_argument("--lang", choices=list(LANGUAGES), default=argparse.SUPPRESS, help=lang_help)
    language_and_json.add_argument(
        "--lang", choices=list(LANGUAGES), default=argparse.SUPPRESS, help=lang_help + "; --json stays English"
    )
    commands = root.add_subparsers(dest="command", required=True)
    photos_help = f"one or more photo files: {', '.join(PHOTO_FORMATS)}"
    model_help = f"a .keras model, or a .tflite file exported from one (default: {_shown(BUNDLED_MODEL)})"

    predict = commands.add_parser("predict", help="classify photos", parents=[language_and_json])
    predict.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help=photos_help)
    predict.add_argument("--model", type=Path, default=BUNDLED_MODEL, help=model_help)
    predict.add_argument("--json", action="store_true", help="one JSON object per line (default: lines for people)")

    explain = commands.add_parser(
        "explain", help="show where in each photo the model found its verdict (Grad-CAM)", parents=[language_and_json]
    )
    explain.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help=photos_help)
    explain.add_argument(
        "--model", type=Path, default=BUNDLED_MODEL, help=f"a .keras model (default: {_shown(BUNDLED_MODEL)})"
    )
    explain.add_argument(
        "--out",
        type=Path,
        default=Path("heatmaps"),
        metavar="DIR",
        help="where NAME-heatmap.png, each photo with its heatmap, go (default: heatmaps/, made if missing)",
    )
    explain.add_argument(
        "--json",
        action="store_true",
        help=f"one JSON object per line: path, dog_probability, label, neither, and heatmap, rows of values in [0, 1] "
        f"from top to bottom laid over the upright photo, {JSON_HEATMAP_CELLS} cells on its long side",
    )

    train = commands.add_parser(
        "train", help="train a model, from scratch or from a pretrained backbone", parents=[language]
    )
    train.add_argument(
        "--data", type=Path, required=True, help="folder with train/ and validation/ (or Kaggle's cat.N.jpg)"
    )
    train.add_argument("--out", type=_keras_path, required=True, help="where to save, e.g. models/mine.keras")
    train.add_argument(
        "--pretrained",
        choices=list(BACKBONES),
        help="start from an ImageNet backbone: MobileNetV2 1.0, or MobileNet v1 0.25 (default: none, from scratch)",
    )
    # Unset options take the defaults of the kind of model chosen: TrainConfig() or TrainConfig.transfer().
    scratch, transfer = TrainConfig(), TrainConfig.transfer()

    def defaults(name: str) -> str:
        """Both kinds' defaults, or the one they share, as --help shows them."""
        mine, theirs = _shown(getattr(scratch, name)), _shown(getattr(transfer, name))
        return f"(default: {mine})" if mine == theirs else f"(default: {mine} from scratch, {theirs} pretrained)"

    train.add_argument(
        "--epochs", type=_positive_int, help=f"all epochs, fine-tuning ones included {defaults('epochs')}"
    )
    train.add_argument(
        "--fine-tune-epochs",
        type=_natural_int,
        help=f"pretrained: the last epochs, which also fine-tune the backbone's top (default: "
        f"{transfer.fine_tune_epochs} of {transfer.epochs}, the same share of --epochs when only that is given)",
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help=f"random flips, turns, zooms and shifts {defaults('augment')}",
    )
    train.add_argument(
        "--limit",
        type=_positive_int,
        dest="limit_per_class",
        metavar="N",
        help="train on the first N training photos of each class (default: all of them)",
    )
    train.add_argument(
        "--image-size",
        type=_positive_int,
        metavar="PIXELS",
        help=f"the side of the square photos are squashed to {defaults('image_size')}; pretrained: only its own",
    )
    train.add_argument("--batch-size", type=_positive_int, help=f"photos per training step {defaults('batch_size')}")
    train.add_argument("--learning-rate", type=float, help=f"the peak learning rate {defaults('learning_rate')}")
    train.add_argument(
        "--width", type=_positive_int, help=f"from scratch: filters in the first layer {defaults('width')}"
    )
    train.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        help=f"auto: bfloat16 where this computer runs it faster {defaults('precision')}",
    )
    train.add_argument("--seed", type=int, help=f"for the same run twice {defaults('seed')}")

    evaluate = commands.add_parser(
        "evaluate", help="score a labelled folder (DIR/cats, DIR/dogs)", parents=[language_and_json]
    )
    evaluate.add_argument("--data", type=Path, required=True, metavar="DIR", help="a folder with cats/ and dogs/ in it")
    evaluate.add_argument("--model", type=Path, default=BUNDLED_MODEL, help=model_help)
    evaluate.add_argument("--json", action="store_true", help="the report as one JSON object (default: a table)")

    export = commands.add_parser(
        "export",
        help="save a model for use outside the app: .keras, or TensorFlow Lite (float or int8)",
        parents=[language],
    )
    export.add_argument(
        "--model", type=Path, default=BUNDLED_MODEL, help=f"the .keras model (default: {_shown(BUNDLED_MODEL)})"
    )
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, required=True, help="keras: a copy of the model; tflite: TensorFlow Lite"
    )
    export.add_argument(
        "--quantize",
        choices=EXPORT_QUANTIZATIONS,
        default="float",
        help="tflite: int8 computes in 8-bit integers, about a third of the size (default: float, as the app computes)",
    )
    export.add_argument("--out", type=Path, required=True, help="the file to write: NAME.keras or NAME.tflite")
    export.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="int8: a dataset whose training photos calibrate it (default: the one the model was trained on)",
    )

    neither = commands.add_parser(
        "calibrate-neither",
        help="teach a pretrained model to say when a photo is neither a cat nor a dog (saved beside it)",
        parents=[language],
    )
    neither.add_argument(
        "--model",
        type=Path,
        default=BUNDLED_MODEL,
        help=f"a pretrained model (.keras) (default: {_shown(BUNDLED_MODEL)})",
    )
    neither.add_argument("--data", type=Path, required=True, metavar="DIR", help="a dataset: train/ and validation/")
    neither.add_argument("--out", type=Path, help=f"where it goes (default: beside the model, NAME{NEITHER_SUFFIX})")
    neither.add_argument(
        "--flag-rate",
        type=float,
        default=NEITHER_FLAG_RATE,
        help=f"the share of validation photos it may flag (default: {NEITHER_FLAG_RATE})",
    )

    data_help = "the data folder to put it in (default: CATDOG_DATA_DIR, or data/)"
    download = commands.add_parser(
        "download", help="download cats_and_dogs_filtered.zip, TensorFlow's 3,000 photos", parents=[language]
    )
    download.add_argument("--url", help="a mirror of the ZIP (default: the one TensorFlow's tutorials download)")
    download.add_argument(
        "--sha256", type=_sha256, metavar="HEX", help="the ZIP's expected SHA-256, for a mirror (default: none)"
    )
    download.add_argument("--data", type=Path, metavar="DIR", help=data_help)
    download.add_argument(
        "--weights",
        action="store_true",
        help="instead, fetch the pretrained backbones' ImageNet weights (10.5 MB) into Keras's cache (KERAS_HOME)",
    )

    import_ = commands.add_parser(
        "import", help="bring in your own folder or ZIP of cat and dog photos", parents=[language]
    )
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
            print(
                json.dumps({"path": str(path), "error": str(error)}) if args.json else _photo_error(path, error, args)
            )
            continue
        probability, label = prediction.dog_probability, prediction.label
        if args.json:
            record = {"path": str(path), "dog_probability": round(probability, 4), "label": label}
            if prediction.neither_distance is not None:  # checked, as every model is where the detector is
                record["neither"] = prediction.neither
            print(json.dumps(record))
        else:
            line = "cli.prediction_neither" if prediction.neither else "cli.prediction"
            print(translate(line, args.lang, **_verdict(path, label, probability, args.lang)))
    return 1 if failed else 0


def calibrate_neither_command(args: argparse.Namespace) -> int:
    """Fit a pretrained model's "neither" detector on data/train, set its threshold on data/validation, save it."""
    from catdog.neither import detector_path
    from catdog.neither_fit import calibrate

    for split in ("train", "validation"):
        if not (args.data / split).is_dir():
            print(translate("cli.not_a_folder", args.lang, folder=args.data / split), file=sys.stderr)
            return 2
    try:
        detector = calibrate(args.model, args.data, args.flag_rate)
    except ValueError:  # a model without a pretrained backbone
        print(translate("cli.neither_needs_backbone", args.lang, model=args.model), file=sys.stderr)
        return 2
    out = args.out or detector_path(args.model)
    detector.save(out)
    print(
        translate(
            "cli.neither_saved",
            args.lang,
            out=out,
            photos=detector.photos,
            threshold=f"{detector.threshold:.4f}",
            percent=f"{detector.flag_rate:.1%}",
        )
    )
    if (args.data / "test").is_dir():
        from catdog.data import labelled_photos

        paths = [path for path, _ in labelled_photos(args.data / "test")]
        flagged = float((detector.score(paths) > detector.threshold).mean())
        print(translate("cli.neither_test", args.lang, percent=f"{flagged:.1%}", photos=len(paths)))
    return 0


def explain_command(args: argparse.Namespace) -> int:
    from catdog.photos import PhotoError, heatmap_over_photo, load_photo, overlay
    from catdog.predict import Classifier

    if args.model.suffix.lower() == ".tflite":
        print(translate("cli.explain_tflite", args.lang), file=sys.stderr)
        return 2
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(translate("cli.cannot_make_folder", args.lang, folder=args.out, reason=error.strerror), file=sys.stderr)
        return 2
    classifier = Classifier.load(args.model)
    failed, written = False, set()
    for path in args.photos:
        try:
            photo = load_photo(path)
        except PhotoError as error:
            failed = True
            print(
                json.dumps({"path": str(path), "error": str(error)}) if args.json else _photo_error(path, error, args)
            )
            continue
        prediction = classifier.classify_photo(photo)  # the heatmap is of exactly what the model classified
        heat = classifier.heatmap_of(prediction)
        image = args.out / _heatmap_name(path, written)
        overlay(photo, heat).save(image)
        probability, label = prediction.dog_probability, prediction.label
        if args.json:
            grid = heatmap_over_photo(photo, heat, JSON_HEATMAP_CELLS)
            rows = [[round(float(value), 3) for value in row] for row in grid]
            record = {"path": str(path), "dog_probability": round(probability, 4), "label": label, "heatmap": rows}
            if prediction.neither_distance is not None:  # checked, as predict does
                record["neither"] = prediction.neither
            print(json.dumps(record))
        else:
            line = "cli.explained_neither" if prediction.neither else "cli.explained"
            print(translate(line, args.lang, image=image, **_verdict(path, label, probability, args.lang)))
    return 1 if failed else 0


def _photo_error(path: Path, error, args: argparse.Namespace) -> str:
    """A photo that could not be read, in --lang (a catdog.photos.PhotoError)."""
    return translate("cli.photo_error", args.lang, path=path, reason=error.message(args.lang))


def _verdict(path: Path, label: str, probability: float, lang: str) -> dict:
    """The fields of a verdict line: the class in `lang`, and the dog probability as the app says it ("over 99%")."""
    return {"path": path, "label": translate(f"class.{label}", lang), "percent": percent(probability, lang)}


def _heatmap_name(photo: Path, written: set[str]) -> str:
    """NAME-heatmap.png, numbered when photos of the same name from different folders would overwrite it."""
    name, n = f"{photo.stem}-heatmap.png", 1
    while name in written:
        n += 1
        name = f"{photo.stem}-{n}-heatmap.png"
    written.add(name)
    return name


class _PhaseLines(TrainingListener):
    """The training listener of the terminal: a line as each phase begins (Keras draws the epochs' bars)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def on_phase(self, phase: str, seconds: dict[str, float]) -> None:
        print(translate("cli.phase_begins", self.lang, phase=phase_name(phase, self.lang)), flush=True)


def _progress_style() -> int:
    """Keras's verbosity: a live bar in a terminal; elsewhere (a log file, a pipe) one line an epoch of scores,
    where the bar, redrawn at every batch, wrote 427 KB into a default run's log, against 4 KB."""
    return 1 if sys.stdout.isatty() else 2


def train_command(args: argparse.Namespace, command: str) -> int:
    from catdog.data import DatasetError
    from catdog.model import WeightsUnavailable
    from catdog.train import explain_failure, train

    config = TrainConfig.transfer(args.pretrained) if args.pretrained else TrainConfig()
    if args.epochs is not None and args.fine_tune_epochs is None:
        config = replace(config, fine_tune_epochs=_fine_tune_share(config, args.epochs))
    options = ("epochs", "fine_tune_epochs", "augment", "limit_per_class", "image_size", "batch_size")
    options += ("learning_rate", "width", "precision", "seed")
    config = replace(config, **{name: getattr(args, name) for name in options if getattr(args, name) is not None})
    if config.pretrained and config.image_size != PRETRAINED_IMAGE_SIZE:
        side = PRETRAINED_IMAGE_SIZE
        print(translate("cli.pretrained_size", args.lang, side=side, size=config.image_size), file=sys.stderr)
        return 2
    if config.fine_tune_epochs > config.epochs:
        too_long = {"fine_tune": config.fine_tune_epochs, "epochs": config.epochs}
        print(translate("cli.fine_tune_too_long", args.lang, **too_long), file=sys.stderr)
        return 2
    try:
        record = train(config, args.data, args.out, _PhaseLines(args.lang), verbose=_progress_style(), command=command)
    except DatasetError as error:  # --data names no dataset this can train on
        print(translate("cli.error", args.lang, reason=error.message(args.lang)), file=sys.stderr)
        return 2
    except WeightsUnavailable as error:  # no network and no cached weights: nothing wrong with the arguments
        print(translate("cli.error", args.lang, reason=error.message(args.lang)), file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 -- a person reads one sentence; the traceback is for the log
        log.debug("training %s failed", args.out, exc_info=error)
        print(translate("cli.error", args.lang, reason=explain_failure(error).text(args.lang)), file=sys.stderr)
        return 1
    if config.precision == "bfloat16" and record.precision == "float32":
        print(translate("cli.bfloat16_unavailable", args.lang), file=sys.stderr)
    for path, reason in record.unreadable:  # the reason as the training process kept it: English
        print(translate("cli.skipped", args.lang, path=path, reason=reason))
    scores = {"validation": _accuracy(record.validation_accuracy), "epoch": record.best_epoch}
    if record.test_accuracy is None:  # a dataset without a test split
        print(translate("cli.trained_without_test", args.lang, seconds=f"{record.seconds:.0f}", **scores))
    else:
        test = _accuracy(record.test_accuracy)
        print(translate("cli.trained", args.lang, seconds=f"{record.seconds:.0f}", test=test, **scores))
    print(translate("cli.phase_times", args.lang, times=phase_times(record.phase_seconds, args.lang)))
    print(translate("cli.saved_model", args.lang, model=args.out, record=Path(args.out).with_suffix(".json")))
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    from catdog.evaluation import evaluate_folder
    from catdog.predict import Classifier

    started = time.perf_counter()
    report = evaluate_folder(Classifier.load(args.model), args.data)
    if report["n"] == 0:
        print(translate("cli.no_readable_photos", args.lang, folder=args.data), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    (cc, cd), (dc, dd) = report["confusion"]
    seconds = f"{time.perf_counter() - started:.1f}"
    print(translate("cli.accuracy", args.lang, accuracy=_accuracy(report["accuracy"]), n=report["n"], seconds=seconds))
    said_cat, said_dog, cats, dogs = (
        translate(f"cli.{key}", args.lang) for key in ("said_cat", "said_dog", "cats", "dogs")
    )
    print(f"{'':>10}{said_cat:>10}{said_dog:>10}\n{cats:>10}{cc:>10}{cd:>10}\n{dogs:>10}{dc:>10}{dd:>10}")
    print(translate("cli.unreadable", args.lang, count=len(report["unreadable"])))
    for path in report["unreadable"]:
        print(f"  {path}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from catdog.export import ExportError, export_keras, export_tflite, training_photos

    suffix = f".{args.format}"
    if args.out.suffix.lower() != suffix:
        wrong = dict(format=args.format, suffix=suffix, file=args.out.name)
        print(translate("cli.export_wrong_suffix", args.lang, **wrong), file=sys.stderr)
        return 2
    if args.quantize != "float" and args.format != "tflite":
        print(translate("cli.export_quantize_keras", args.lang, quantize=args.quantize), file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        if args.format == "keras":
            export_keras(args.model, args.out)
        else:
            photos = training_photos(args.data) if args.data and args.quantize == "int8" else None
            export_tflite(args.model, args.out, args.quantize, photos)
    except ExportError as error:
        print(translate("cli.error", args.lang, reason=error.message(args.lang)), file=sys.stderr)
        return 2
    except OSError as error:
        print(translate("cli.cannot_write", args.lang, file=args.out, reason=error.strerror), file=sys.stderr)
        return 2
    seconds = f"{time.perf_counter() - started:.0f}"
    megabytes = f"{args.out.stat().st_size / 1e6:.1f}"
    print(translate("cli.exported", args.lang, file=args.out, megabytes=megabytes, seconds=seconds))
    print(translate("cli.try_exported", args.lang, file=args.out))
    return 0


def download_command(args: argparse.Namespace) -> int:
    from catdog import download
    from catdog.data import find_dataset

    if args.weights:
        return download_weights_command(args)
    url = args.url or download.TUTORIAL_URL
    bar = _ProgressBar(translate("cli.megabytes", args.lang), args.lang, scale=1e6)
    try:
        download.download_target(url, args.data)  # a clash or a bad address is said before "downloading"
        print(translate("cli.downloading", args.lang, url=url))
        folder = download.download_dataset(url, args.data, sha256=args.sha256, progress=bar)
    except download.FetchError as error:
        return _fetch_failed(bar, error.message(args.lang), args.lang)
    except KeyboardInterrupt:
        return _fetch_failed(bar, translate("cli.interrupted", args.lang), args.lang, code=130)
    bar.close()
    print(translate("cli.saved", args.lang, folder=folder))
    _print_counts(find_dataset(folder).counts(), args.lang)
    return 0


def download_weights_command(args: argparse.Namespace) -> int:
    """Each backbone's ImageNet weights into Keras's cache, where a pretrained run then finds them offline."""
    from catdog.model import WeightsUnavailable, load_backbone, weights_cache_dir, weights_cached

    weights_cache_dir().mkdir(parents=True, exist_ok=True)  # else Keras, finding no writable KERAS_HOME, uses /tmp
    for name, backbone in BACKBONES.items():
        file = weights_cache_dir() / backbone.weights_file
        if not weights_cached(name):
            print(translate("cli.downloading_weights", args.lang, backbone=backbone.title))
            try:
                load_backbone(name)  # what a pretrained run does: keras.applications downloads into its cache
            except WeightsUnavailable as error:
                print(translate("cli.error", args.lang, reason=error.message(args.lang)), file=sys.stderr)
                return 1
        print(translate("cli.weights_in_cache", args.lang, backbone=backbone.title, file=file))
    return 0


def import_command(args: argparse.Namespace) -> int:
    from catdog.download import FetchError, import_dataset

    bar = _ProgressBar(translate("cli.files_checked", args.lang), args.lang)
    try:
        report = import_dataset(args.path, args.name, args.data, progress=bar)
    except FetchError as error:
        return _fetch_failed(bar, error.message(args.lang), args.lang)
    except KeyboardInterrupt:
        return _fetch_failed(bar, translate("cli.interrupted", args.lang), args.lang, code=130)
    bar.close()
    total = sum(sum(classes.values()) for classes in report.counts.values())
    imported = {"total": total, "source": args.path, "layout": report.layout, "dataset": report.dataset}
    print(translate("cli.imported", args.lang, **imported))  # the layout and skipped reasons: English for now
    _print_counts(report.counts, args.lang)
    if report.skipped:
        count = len(report.skipped)
        print(
            translate("cli.skipped_one", args.lang)
            if count == 1
            else translate("cli.skipped_many", args.lang, count=count)
        )
        for skipped in report.skipped:
            print(f"  {skipped.path}: {skipped.reason}")
    return 0


def _fetch_failed(bar: _ProgressBar, message: str, lang: str, code: int = 1) -> int:
    bar.close()
    print(translate("cli.error", lang, reason=message), file=sys.stderr)
    return code


def _print_counts(counts: dict[str, dict[str, int]], lang: str) -> None:
    for split, classes in counts.items():
        count = {"cats": classes.get("cat", 0), "dogs": classes.get("dog", 0)}
        print(translate("cli.counts", lang, split=translate(f"split.{split}", lang), **count))


class _ProgressBar:
    """A one-line bar on stderr for a progress(done, total) callback, redrawn only when its percentage changes."""

    def __init__(self, unit: str, lang: str, scale: float = 1, width: int = 30) -> None:
        self.unit, self.lang, self.scale, self.width = unit, lang, scale, width  # scale 1e6 shows bytes as MB
        self.shown: object = None  # what the drawn line shows: its percentage, or its text when total is unknown

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            filled, percent = self.width * done // total, 100 * done // total
            text = f"[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%  "
            text += translate(
                "cli.amount_of", self.lang, done=self._amount(done), total=self._amount(total), unit=self.unit
            )
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


def _fine_tune_share(config: TrainConfig, epochs: int) -> int:
    """The default fine-tuning epochs for `epochs` in all: the same share of them, at least one head epoch first.

    TrainConfig.transfer() fine-tunes the last 3 of 8 epochs: --epochs 2 fine-tunes the last 1, --epochs 1 none.
    """
    if not config.fine_tune_epochs:
        return 0
    share = int(config.fine_tune_epochs * epochs / config.epochs + 0.5)  # rounded half up
    return max(0, min(share, epochs - 1))


def _accuracy(value: float) -> str:
    """An accuracy as every CLI line gives it: 0.9820."""
    return f"{value:.4f}"


def _shown(value: object) -> str:
    """A default as --help shows it: a path relative to the current folder when inside it, on/off for a switch."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Path):
        return str(value.relative_to(Path.cwd())) if value.is_relative_to(Path.cwd()) else str(value)
    return str(value)


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
