"""Does the lesson (catdog/lesson.py) fit one class? Trains its three steps as the page will and times them.

Each step starts with catdog.jobs.start_job, as the page's buttons will, so its time includes what a
class waits for: the training process starting, photos decoded, a backbone's features computed, the
test split scored. Prints each step's seconds and accuracies, then the runs plus LESSON_TALK_MINUTES
against LESSON_MINUTES. `--precision float32` times the from-scratch steps as on a CPU without
bfloat16 arithmetic (most laptops: no AMX or AVX-512 BF16); the pretrained step runs in float32 anyway.
Run from the repository root: python -m bench.lesson_time   (5 to 9 minutes here, with the machine quiet or busy)
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import replace

from catdog.config import LESSON_MINUTES, LESSON_TALK_MINUTES, SHARED_DATASET, SHARED_WEIGHTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATASET), help="a dataset of the shared one's size")
    parser.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="keras-home-")
    os.makedirs(f"{home}/models")
    for weights in SHARED_WEIGHTS.glob("*.h5"):
        shutil.copy(weights, f"{home}/models/")
    os.environ["KERAS_HOME"] = home  # the training processes read it, as they read a user's ~/.keras

    from catdog.i18n import translate
    from catdog.jobs import start_job
    from catdog.lesson import LESSON_STEPS

    models_dir = tempfile.mkdtemp(prefix="lesson-models-")
    print("step | seconds | train acc. (last epoch) | val. acc. (last / best) | precision | load before → after")
    total = 0.0
    for step in LESSON_STEPS:
        config = step.config if step.config.pretrained else replace(step.config, precision=args.precision)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        title = translate(step.title)
        job = start_job(config, args.data, models_dir, step.run_name, title=title)
        job.wait()
        seconds = time.perf_counter() - started
        total += seconds
        record = job.record
        if record.status != "finished":
            raise SystemExit(f"{title}: {record.status}: {record.error_message()}")
        last = record.history[-1]
        print(
            f"{title} | {seconds:.0f} | {last.accuracy:.3f} | "
            f"{last.val_accuracy:.3f} / {record.validation_accuracy:.3f} | {record.precision} | "
            f"{load_before:.2f} → {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    lesson = total / 60 + LESSON_TALK_MINUTES
    verdict = "fits" if lesson <= LESSON_MINUTES else "does NOT fit"
    print(
        f"runs {total / 60:.1f} min + talking {LESSON_TALK_MINUTES} min = {lesson:.1f} min: "
        f"{verdict} in {LESSON_MINUTES} min"
    )
    shutil.rmtree(models_dir)
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
