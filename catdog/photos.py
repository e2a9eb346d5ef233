"""Turn whatever a person uploads into an upright RGB photo, and a photo into the model's input."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

from catdog.i18n import TranslatedError

# Photos are kept at most this many pixels on their longer side: plenty to show on a page,
# and a 12-megapixel JPEG is then decoded at reduced scale, which is several times faster.
MAX_SIDE = 1024
# A larger image is refused before its pixels are decoded (a decompression bomb, or a
# panorama that would take gigabytes of memory). 100 MP admits any phone or camera photo.
MAX_PIXELS = 100_000_000

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns past this and refuses past twice this

PhotoSource = str | Path | bytes | BinaryIO


class PhotoError(TranslatedError, ValueError):
    """A file that is not a photo we can read; message(lang) says why, for a person."""


def load_photo(source: PhotoSource, max_side: int = MAX_SIDE) -> Image.Image:
    """Open a path, bytes or file object as an upright RGB photo of at most `max_side` pixels.

    Handles JPEG, PNG, WebP, BMP and GIF (first frame), EXIF orientation, greyscale, CMYK,
    16-bit, palette and transparent images. Anything unreadable raises PhotoError. Nothing is
    written to disk. The upright size of the file as it was (before shrinking) is kept in
    `photo.info["original_size"]`, for captions that say what the visitor sent.
    """
    data = _read_bytes(source)
    if not data:
        raise PhotoError("photo.empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked just below
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoError("photo.too_many_pixels", width=width, height=height, most=MAX_PIXELS // 1_000_000)
            if image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale, keeping at least max_side / 2 pixels a side:
                # a 12 MP photo decodes at 1008 × 756, four times faster than at 2016 × 1512.
                image.draft("RGB", (max_side // 2, max_side // 2))
            image.seek(0)  # first frame of an animation
            image.load()
            transposed = ImageOps.exif_transpose(image)
            if transposed.size[::-1] == image.size != transposed.size:  # turned a quarter: width and height swap
                width, height = height, width
            image = transposed
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise PhotoError("photo.too_large") from None
    except Image.UnidentifiedImageError:
        raise PhotoError("photo.not_an_image") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise PhotoError("photo.damaged", str(error)) from None
    image = _to_rgb(image)
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    image.info["original_size"] = (width, height)
    return image


def original_size(photo: Image.Image) -> tuple[int, int]:
    """(width, height) of the file the photo came from, upright; its own size when load_photo did not open it."""
    return photo.info.get("original_size", photo.size)


def jpeg_bytes(photo: Image.Image, quality: int = 95) -> bytes:
    """The photo as a JPEG: what a page keeps and shows, a tenth of its decoded pixels' memory."""
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@dataclass(frozen=True)
class KeptPhoto:
    """A visitor's photo as the app keeps it between pages: the upright photo as a JPEG, not the upload's bytes."""

    name: str
    jpeg: bytes
    original_size: tuple[int, int]  # (width, height) of the file sent, upright
    true_label: str | None = None  # known for a photo from a labelled dataset
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def keep(cls, name: str, photo: Image.Image, true_label: str | None = None) -> KeptPhoto:
        return cls(name, jpeg_bytes(photo), original_size(photo), true_label)

    def photo(self) -> Image.Image:
        return load_photo(self.jpeg)


def model_input(photo: Image.Image, size: int) -> np.ndarray:
    """The (size, size, 3) uint8 array a model receives: the whole photo squashed to a square."""
    square = photo.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(square, dtype=np.uint8)


def _read_bytes(source: PhotoSource) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except FileNotFoundError:
            raise PhotoError("photo.missing") from None
        except IsADirectoryError:
            raise PhotoError("photo.folder") from None
        except (OSError, ValueError) as error:
            raise PhotoError("photo.unreadable", str(error)) from None
    if hasattr(source, "getvalue"):  # BytesIO, Streamlit's UploadedFile
        return source.getvalue()
    return source.read()


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB with transparency composited onto white and 16-bit or float pixels scaled to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        if image.mode == "F" and pixels.max() <= 1.0:
            top = 1.0
        image = Image.fromarray(np.clip(pixels * (255.0 / top), 0, 255).astype(np.uint8), "L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def enlarge(pixels: np.ndarray, factor: int) -> Image.Image:
    """The model's input blown up with nearest-neighbour sampling, so each pixel shows as a block."""
    height, width = pixels.shape[:2]
    return Image.fromarray(pixels).resize((width * factor, height * factor), Image.Resampling.NEAREST)


def heatmap_over_photo(photo: Image.Image, heat: np.ndarray, size: int | None = None) -> np.ndarray:
    """The heatmap stretched over the upright photo: (height, width) float32, or `size` cells on its long side.

    The model saw the photo squashed to a square, so stretching the square grid back to the photo's
    shape puts each cell over the part of the photo it came from.
    """
    width, height = photo.size
    if size is not None:
        scale = size / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    stretched = Image.fromarray(heat.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(stretched), 0, 1)


def overlay(photo: Image.Image, heat: np.ndarray, opacity: float = 0.45) -> Image.Image:
    """The photo with the heatmap blended over it: red where the verdict's evidence lies, blue where none does."""
    colours = _jet(heatmap_over_photo(photo, heat))
    blended = (1 - opacity) * np.asarray(photo.convert("RGB"), np.float32) + opacity * colours
    return Image.fromarray(np.clip(blended + 0.5, 0, 255).astype(np.uint8))


def _jet(values: np.ndarray) -> np.ndarray:
    """The "jet" colour map: 0 dark blue, 0.5 green, 1 dark red; (...) in [0, 1] → (..., 3) in [0, 255]."""
    distance = np.abs(4 * values[..., None] - np.array([3.0, 2.0, 1.0], np.float32))  # from red, green, blue peaks
    return np.clip(1.5 - distance, 0, 1) * 255
