"""Transfer learning against training from scratch: wall time to a validation accuracy, in one run.

Trains, one after the other on the 2,000 shared photos: the default pretrained run (MobileNetV2,
no augmentation: features computed once), the default from-scratch run, and a short pretrained
run with augmentation, to show what augmentation costs a backbone. Times count from the call
to catdog.train.train, so decoding photos and computing features are included.
Run from the repository root: python -m bench.transfer_speed   (about 15 minutes here)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time

from bench.common import REPO
from catdog.config import SHARED_WEIGHTS
from catdog.runs import Epoch

TARGET = 0.97  # the goal for a default transfer run: within about two minutes


class Clock:
    """A catdog.train listener that notes wall seconds since `started` at each epoch end."""

    def __init__(self) -> None:
        self.started, self.prepared = time.perf_counter(), {}
        self.epochs: list[tuple[Epoch, float]] = []  # each epoch's scores, and the wall seconds when it ended

    def on_prepare(self, stage: str, done: int, total: int) -> None:
        if done == total:
            self.prepared[stage] = round(time.perf_counter() - self.started, 1)

    def on_heatmap_photo(self, path: str) -> None:
        pass

    def on_train_begin(self, batches_per_epoch: int) -> None:
        pass

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, entry: Epoch) -> None:
        self.epochs.append((entry, round(time.perf_counter() - self.started, 1)))


def run(name: str, config) -> dict:
    from catdog.config import SHARED_DATASET
    from catdog.train import train

    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        record = train(config, SHARED_DATASET, f"{out}/{name}.keras", listener=clock)
    reached = next((wall for e, wall in clock.epochs if e.val_accuracy >= TARGET), None)
    best, best_wall = max(clock.epochs, key=lambda pair: pair[0].val_accuracy)
    phases = {}
    for phase in ("head", "fine-tune", ""):
        seconds = [e.seconds for e, _ in clock.epochs if e.phase == phase]
        if seconds:
            phases[phase or "scratch"] = statistics.median(seconds)
    result = {
        "run": name,
        "config": config.to_dict(),
        "prepared_at": clock.prepared,
        "median_epoch_seconds": phases,
        "seconds_to_target": reached,
        "best_val_accuracy": best.val_accuracy,
        "seconds_to_best": best_wall,
        "test_accuracy": record.test_accuracy,
        "total_seconds": record.seconds,
        "epochs": [e.to_dict() | {"wall": wall} for e, wall in clock.epochs],
    }
    print(
        f"{name}: ready to train after {clock.prepared} s; median epoch {phases} s; "
        + (f"{TARGET} after {reached:.0f} s; " if reached else f"never reached {TARGET}; ")
        + f"best validation {best.val_accuracy:.3f} after {best_wall:.0f} s; test {record.test_accuracy}; "
        f"{record.seconds:.0f} s in all",
        flush=True,
    )
    return result


def main() -> None:
    home = tempfile.mkdtemp(prefix="keras-home-")
    os.makedirs(f"{home}/models")
    for weights in SHARED_WEIGHTS.glob("*.h5"):
        shutil.copy(weights, f"{home}/models/")
    os.environ["KERAS_HOME"] = home  # read when Keras is imported, below

    from catdog.config import TrainConfig

    results = [
        run("pretrained", TrainConfig.transfer("mobilenet_v2", augment=False)),
        run("scratch", TrainConfig()),
        run("pretrained-augmented", TrainConfig.transfer("mobilenet_v2", augment=True, epochs=3, fine_tune_epochs=1)),
    ]
    pretrained, scratch = results[0], results[1]
    if pretrained["seconds_to_target"]:
        print(
            f"pretrained reached {TARGET} after {pretrained['seconds_to_target']:.0f} s; from scratch its best "
            f"({scratch['best_val_accuracy']:.3f}) took {scratch['seconds_to_best']:.0f} s: "
            f"{scratch['seconds_to_best'] / pretrained['seconds_to_target']:.1f}× longer"
        )
    out = REPO / "bench" / "results" / f"transfer_speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"saved {out}")
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
