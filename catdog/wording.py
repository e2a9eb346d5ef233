"""How catdog words what it found, for people: verdicts and percentages, and why a model file is unusable.

No TensorFlow here: pages word a verdict without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, UNSURE_BAND
from catdog.i18n import DEFAULT_LANGUAGE, translate


def label_of(dog_probability: float) -> str:
    """The class name: dog at or above the decision threshold, else cat."""
    return CLASS_NAMES[int(dog_probability >= DOG_THRESHOLD)]


def percent(probability: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A probability for people, by one rule everywhere: whole percents, and never 0% or 100%.

    The model is never certain, so 0.9996 reads "over 99%" (not "100.0%") and 0.0002 "under 1%".
    """
    if probability > 0.99:
        return translate("percent.over_99", lang)
    if probability < 0.01:
        return translate("percent.under_1", lang)
    return f"{probability:.0%}"


def is_unsure(dog_probability: float) -> bool:
    """Near the middle, where the verdict says "not sure" rather than cat or dog."""
    low, high = UNSURE_BAND
    return low < dog_probability < high


def verdict(dog_probability: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """'Dog — 88% sure', 'Cat — over 99% sure', or 'Not sure (54% dog)' near the middle."""
    if is_unsure(dog_probability):
        return translate("verdict.unsure", lang, percent=percent(dog_probability, lang))
    label = label_of(dog_probability)
    sure = dog_probability if label == "dog" else 1 - dog_probability
    return translate(f"verdict.{label}", lang, percent=percent(sure, lang))


@dataclass(frozen=True)
class UnusableModel:
    """A file among the models that cannot classify photos, and why, in one short sentence for a person."""

    path: Path
    why: str  # the catalogue key of the sentence (catdog.i18n): visitors read it in their language

    def reason(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """Why, in words; it never names a folder: visitors see it."""
        return translate(self.why, lang)
