"""A training run as the Train and Lesson pages show it: how far it has got, and what it started from."""

from catdog.config import TrainConfig
from pages.language import t


def progress_bar(job) -> tuple[float, str]:
    """(fraction done, what the run does now) for st.progress."""
    step = job.preparing
    if job.status == "preparing" and step is None:
        return 0.0, t("train.progress.starting")
    if job.status == "preparing":  # one sentence per stage: "weights", "decoding", "features"
        return step.done / max(1, step.total), t(f"train.progress.{step.stage}", done=step.done, total=step.total)
    epochs = job.config.epochs
    if job.stopping:
        return job.progress, t("train.progress.stopping", epoch=job.current_epoch, epochs=epochs)
    if job.running and not job.current_epoch:
        return 0.0, t("train.progress.first_batch", epochs=epochs)
    left = job.seconds_left
    where = dict(epoch=job.current_epoch, epochs=epochs, batch=job.current_batch, batches=job.batches_per_epoch)
    if left is not None and job.running:
        return job.progress, t("train.progress.batch_left", seconds=f"{left:.0f}", **where)
    return job.progress, t("train.progress.batch", **where)


def started_from(config: TrainConfig) -> str:
    """What a model started from, one way everywhere: 'scratch', or 'pretrained MobileNetV2 1.0', in the visitor's
    language (the backbone's name is a name: never translated)."""
    return t("model.pretrained", backbone=config.started_from) if config.pretrained else t("model.scratch")
