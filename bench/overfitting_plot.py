"""The overfitting lesson as a picture: `python -m bench.overfitting_plot` draws docs/overfitting.png.

It draws the accuracy curves (training dotted, validation solid) of two real runs, from their run
records, with the Train page's own chart. The records in docs/ come from the Train page's
small-data lesson (100 photos per class from scratch, 20 epochs), run twice with the command line:

    python -m catdog train --data ../shared/data/cats_vs_dogs_small --out /tmp/overfitting-no-augmentation.keras \
        --no-augment --limit 100 --epochs 20
    python -m catdog train --data ../shared/data/cats_vs_dogs_small --out /tmp/overfitting-augmentation.keras \
        --augment --limit 100 --epochs 20

then copying each NAME.json into docs/ (the models stay out of the repository). Writing a PNG
needs kaleido (`python -m pip install kaleido`), which draws with the Chromium installed here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import REPO
from catdog.charts import training_figure
from catdog.runs import read_record

DOCS = REPO / "docs"
RECORDS = [DOCS / "overfitting-no-augmentation.json", DOCS / "overfitting-augmentation.json"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="*", type=Path, default=RECORDS, help="run records (NAME.json)")
    parser.add_argument("--out", type=Path, default=DOCS / "overfitting.png")
    args = parser.parse_args()

    histories = {}
    for path in args.records:
        record = read_record(path)
        if record is None:
            raise SystemExit(f"error: no run record at {path}")
        histories["augmentation" if record.config.augment else "no augmentation"] = record.history
        last = record.history[-1]
        print(
            f"{path.name}: {record.epochs_run} epochs in {record.seconds:.0f} s, last epoch training "
            f"{last.accuracy:.1%}, validation {last.val_accuracy:.1%} (best {record.validation_accuracy:.1%})"
        )
    figure = training_figure(histories, "accuracy")
    figure.update_layout(
        title="100 photos per class, from scratch: accuracy (training dotted, validation solid)",
        font={"size": 15},
        width=900,
        height=520,
        margin={"l": 70, "r": 20, "t": 60, "b": 10},
        paper_bgcolor="white",
    )
    figure.write_image(args.out, scale=2)  # kaleido: Chromium draws the chart offscreen
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
