"""Turn whatever a person uploads into an upright RGB photo, and a photo into the model's input."""

from __future__ import annotations

import hashlib
import io
import logging
import math
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile

from catdog.config import PHOTO_DECODED_BYTES_MAX, PHOTO_FORMATS
from catdog.i18n import TranslatedError

log = logging.getLogger(__name__)

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

    Handles JPEG, PNG, WebP, BMP and GIF (first frame), whatever the file's name, EXIF orientation,
    greyscale, CMYK, 16-bit, palette and transparent images. Anything unreadable, of another format,
    or whose decoded pixels would take more than PHOTO_DECODED_BYTES_MAX raises PhotoError, checked
    from the header before any pixel is decoded; Pillow's own words go to the log, never into the
    message. Nothing is written to disk. The upright size of the file as it was (before shrinking)
    is kept in `photo.info["original_size"]`, for captions that say what the visitor sent.
    """
    data = _read_bytes(source)
    if not data:
        raise PhotoError("photo.empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked just below
            image = _open(data)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoError("photo.too_many_pixels", width=width, height=height, most=MAX_PIXELS // 1_000_000)
            if isinstance(image, JpegImageFile):  # a phone's MPO (JPEG with a depth map) too
                # Decode at 1/2, 1/4 or 1/8 scale, keeping at least max_side / 2 pixels a side:
                # a 12 MP photo decodes at 1008 × 756, four times faster than at 2016 × 1512.
                image.draft("RGB", (max_side // 2, max_side // 2))
            needed = _decoded_bytes(image, (width, height))
            if needed > PHOTO_DECODED_BYTES_MAX:
                raise PhotoError(
                    "photo.too_much_memory",
                    width=width,
                    height=height,
                    needed=math.ceil(needed / 2**20),
                    most=PHOTO_DECODED_BYTES_MAX // 2**20,
                )
            image.seek(0)  # first frame of an animation
            image.load()
            image = _shrink(image, max_side)
            transposed = ImageOps.exif_transpose(image)
            if transposed.size[::-1] == image.size != transposed.size:  # turned a quarter: width and height swap
                width, height = height, width
            image = transposed
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise PhotoError("photo.too_large") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        log.warning("A photo was refused: %s: %s", type(error).__name__, error)
        # Pillow has one error type for both; only its words tell a text-chunk bomb from a damaged file.
        key = "photo.metadata_too_large" if "MAX_TEXT_" in str(error) else "photo.damaged"
        raise PhotoError(key) from None
    image = _to_rgb(image)
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
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # this copy's: the same photo sent twice is two

    @classmethod
    def keep(cls, name: str, photo: Image.Image, true_label: str | None = None) -> KeptPhoto:
        return cls(name, jpeg_bytes(photo), original_size(photo), true_label)

    @property
    def digest(self) -> str:
        """The same for the same photo, whoever sent it: what a server's answers are remembered by."""
        return hashlib.sha256(self.jpeg).hexdigest()

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


def _open(data: bytes) -> Image.Image:
    """The image in `data`, its header read and nothing decoded, if its content is one of PHOTO_FORMATS."""
    try:
        return Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
    except Image.UnidentifiedImageError:
        pass
    # Name what it is from its first bytes alone, as Pillow's plugins recognise them: no other parser runs on it.
    Image.init()
    prefix = data[:16]
    found = next((name for name, (_, accept) in Image.OPEN.items() if accept and accept(prefix)), None)
    if found in PHOTO_FORMATS:  # a photo's signature, but Pillow could not read the header after it
        raise PhotoError("photo.damaged")
    raise PhotoError("photo.wrong_format", format=found) if found else PhotoError("photo.not_an_image")


def _shrink_mode(image: Image.Image) -> str:
    """The mode an image is shrunk in: one that resamples smoothly and keeps its transparency."""
    if "transparency" in image.info or image.mode == "PA":
        return "LA" if image.mode == "L" else "RGBA"
    return {"1": "L", "P": "RGB"}.get(image.mode, image.mode)


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow stores a pixel in: a byte for 1, L and P, two for 16-bit grey, four for the rest (RGB too)."""
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def _decoded_bytes(image: Image.Image, header_size: tuple[int, int]) -> int:
    """Memory the opened image takes once decoded (a JPEG at its draft's scale), as read or as shrunk.

    A progressive JPEG also keeps every DCT coefficient of the full-size image while it decodes, two
    bytes each, whatever its draft: a 100 MP one takes 300 MB to decode at 1/8 scale.
    """
    width, height = image.size
    decoded = width * height * max(_bytes_per_pixel(image.mode), _bytes_per_pixel(_shrink_mode(image)))
    if isinstance(image, JpegImageFile) and image.info.get("progressive"):
        full_width, full_height = header_size
        most_across = max(across for _, across, _, _ in image.layer)  # layer: (id, h sampling, v sampling, table)
        most_down = max(down for _, _, down, _ in image.layer)
        coefficients = sum(
            math.ceil(full_width * across / most_across / 8) * 64 * math.ceil(full_height * down / most_down / 8)
            for _, across, down, _ in image.layer
        )
        decoded = max(decoded, 2 * coefficients)
    return decoded


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    """The decoded image at most max_side pixels a side, before any full-size copy in another mode is made.

    Pillow's reduce step cannot take 16-bit grey, so that is resampled from full size in one go.
    """
    mode = _shrink_mode(image)
    if mode != image.mode:
        image = image.convert(mode)
    gap = None if mode.startswith("I;16") else 2.0
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=gap)
    return image


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
