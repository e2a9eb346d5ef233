"""catdog.photos: whatever a person uploads comes back as an upright RGB photo, or a PhotoError.

Every image here is made on the spot with Pillow and NumPy; none is stored in the repository.
"""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catdog import photos
from catdog.config import PHOTO_DECODED_BYTES_MAX
from catdog.i18n import translate
from catdog.photos import MAX_PIXELS, MAX_SIDE, PhotoError, load_photo, model_input

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
ORIENTATION = 0x0112  # the EXIF tag


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def assert_colour(actual, expected, tolerance=0):
    assert len(actual) == 3, actual
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected)), f"{actual} is not {expected}"


def assert_rgb(photo) -> None:
    assert isinstance(photo, Image.Image)
    assert photo.mode == "RGB"


def half_and_half(size=(60, 40), left=RED, right=BLUE) -> Image.Image:
    """Left half one colour, right half another: shows where a rotation put each side."""
    width, height = size
    image = Image.new("RGB", size, left)
    image.paste(right, (width // 2, 0, width, height))
    return image


# --- the three ways a photo arrives --------------------------------------------------------


def test_a_photo_can_be_opened_from_a_path_as_str_or_path(tmp_path: Path):
    path = tmp_path / "holiday.png"
    Image.new("RGB", (20, 10), GREEN).save(path)
    for source in (path, str(path)):
        photo = load_photo(source)
        assert_rgb(photo)
        assert photo.size == (20, 10)
        assert photo.getpixel((5, 5)) == GREEN


def test_a_photo_can_be_opened_from_the_bytes_of_an_upload():
    photo = load_photo(encode(Image.new("RGB", (20, 10), GREEN), "PNG"))
    assert_rgb(photo)
    assert photo.size == (20, 10)
    assert photo.getpixel((5, 5)) == GREEN


def test_a_photo_can_be_opened_from_a_bytesio_upload_even_after_it_was_read():
    upload = io.BytesIO(encode(Image.new("RGB", (20, 10), GREEN), "PNG"))
    upload.read()  # a web framework may already have consumed the stream; getvalue() still has it all
    photo = load_photo(upload)
    assert_rgb(photo)
    assert photo.getpixel((5, 5)) == GREEN


def test_a_photo_can_be_opened_from_an_open_file(tmp_path: Path):
    path = tmp_path / "scan.bmp"
    Image.new("RGB", (12, 12), BLUE).save(path)
    with path.open("rb") as handle:
        photo = load_photo(handle)
    assert_rgb(photo)
    assert photo.getpixel((6, 6)) == BLUE


def test_loading_a_photo_writes_nothing_to_disk(tmp_path: Path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (30, 30), RED).save(path)
    load_photo(path)
    assert [p.name for p in tmp_path.iterdir()] == ["photo.jpg"]


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, options, tolerance",
    [
        ("JPEG", {"quality": 95}, 8),
        ("PNG", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("WEBP", {"quality": 90}, 12),
        ("BMP", {}, 0),
        ("GIF", {}, 0),
    ],
    ids=["jpeg", "png", "webp-lossless", "webp-lossy", "bmp", "gif"],
)
def test_every_common_photo_format_comes_back_as_rgb_with_its_colours(fmt, options, tolerance):
    original = half_and_half((40, 20), left=RED, right=BLUE)
    photo = load_photo(encode(original, fmt, **options))
    assert_rgb(photo)
    assert photo.size == (40, 20)
    assert_colour(photo.getpixel((5, 10)), RED, tolerance)
    assert_colour(photo.getpixel((34, 10)), BLUE, tolerance)


def test_an_animated_gif_gives_its_first_frame():
    first, second = Image.new("RGB", (16, 16), RED), Image.new("RGB", (16, 16), BLUE)
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2  # the test really has an animation
    photo = load_photo(data)
    assert_rgb(photo)
    assert photo.getpixel((8, 8)) == RED


# --- EXIF orientation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "orientation, top, bottom",
    [(6, RED, BLUE), (8, BLUE, RED)],  # 6: turn 90° clockwise to view; 8: turn 90° anticlockwise
)
def test_a_phone_photo_with_exif_orientation_comes_out_upright(orientation, top, bottom):
    # Stored sideways as 60×40, left half red and right half blue, as a phone held upright writes it.
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    data = encode(half_and_half((60, 40)), "JPEG", quality=95, exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()[ORIENTATION] == orientation

    photo = load_photo(data)

    assert_rgb(photo)
    assert photo.size == (40, 60)  # portrait, as the person saw it
    assert_colour(photo.getpixel((20, 8)), top, tolerance=40)
    assert_colour(photo.getpixel((20, 52)), bottom, tolerance=40)


def test_a_photo_with_orientation_1_is_left_as_it_is():
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    photo = load_photo(encode(half_and_half((60, 40)), "JPEG", quality=95, exif=exif.tobytes()))
    assert photo.size == (60, 40)
    assert_colour(photo.getpixel((8, 20)), RED, tolerance=40)
    assert_colour(photo.getpixel((52, 20)), BLUE, tolerance=40)


# --- colour modes --------------------------------------------------------------------------


def test_a_greyscale_photo_becomes_rgb_with_equal_channels():
    photo = load_photo(encode(Image.new("L", (10, 10), 100), "PNG"))
    assert_rgb(photo)
    assert photo.getpixel((5, 5)) == (100, 100, 100)


def test_a_cmyk_jpeg_from_a_print_workflow_comes_back_as_rgb():
    # C=0, M=100%, Y=100%, K=0 is red ink.
    photo = load_photo(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95))
    assert_rgb(photo)
    assert_colour(photo.getpixel((8, 8)), RED, tolerance=10)


def test_a_16_bit_png_is_scaled_to_8_bits_not_clipped_to_white():
    pixels = np.full((8, 8), 32768, dtype=np.uint16)  # mid-grey in 16 bits
    pixels[:, :4] = 65535  # white
    data = encode(Image.fromarray(pixels), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")  # really a 16-bit image

    photo = load_photo(data)

    assert_rgb(photo)
    assert photo.getpixel((1, 1)) == WHITE
    grey = photo.getpixel((6, 6))
    assert grey[0] == grey[1] == grey[2]
    assert abs(grey[0] - 128) <= 1, f"32768 of 65535 should be mid-grey, got {grey}"


def test_a_palette_image_keeps_its_colours():
    image = half_and_half((20, 10), left=RED, right=GREEN).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    data = encode(image, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "P"
    photo = load_photo(data)
    assert_rgb(photo)
    assert photo.getpixel((2, 5)) == RED
    assert photo.getpixel((17, 5)) == GREEN


def test_transparent_palette_pixels_are_shown_on_white():
    image = Image.new("P", (20, 10), 0)
    image.putpalette([0, 0, 0, 0, 255, 0] + [0] * (256 - 2) * 3)  # 0: black (transparent), 1: green
    image.paste(1, (10, 0, 20, 10))
    data = encode(image, "PNG", transparency=0)
    assert "transparency" in Image.open(io.BytesIO(data)).info
    photo = load_photo(data)
    assert_rgb(photo)
    assert photo.getpixel((2, 5)) == WHITE  # not the black hidden behind the transparency
    assert photo.getpixel((17, 5)) == GREEN


def test_fully_transparent_rgba_pixels_are_composited_onto_white():
    image = Image.new("RGBA", (20, 10), (255, 0, 0, 0))  # red, but invisible
    image.paste((0, 0, 255, 255), (10, 0, 20, 10))  # opaque blue
    photo = load_photo(encode(image, "PNG"))
    assert_rgb(photo)
    assert photo.getpixel((2, 5)) == WHITE
    assert photo.getpixel((17, 5)) == BLUE


def test_half_transparent_pixels_are_blended_with_white():
    photo = load_photo(encode(Image.new("RGBA", (4, 4), (0, 0, 0, 128)), "PNG"))
    assert_colour(photo.getpixel((1, 1)), (127, 127, 127), tolerance=1)


def test_a_greyscale_image_with_alpha_is_composited_onto_white():
    image = Image.new("LA", (20, 10), (0, 0))  # transparent black
    image.paste((0, 255), (10, 0, 20, 10))  # opaque black
    photo = load_photo(encode(image, "PNG"))
    assert_rgb(photo)
    assert photo.getpixel((2, 5)) == WHITE
    assert photo.getpixel((17, 5)) == (0, 0, 0)


# --- sizes ---------------------------------------------------------------------------------


def test_a_tiny_8x8_image_is_kept_at_its_size_not_blown_up():
    photo = load_photo(encode(Image.new("RGB", (8, 8), BLUE), "PNG"))
    assert_rgb(photo)
    assert photo.size == (8, 8)
    assert photo.getpixel((4, 4)) == BLUE


def test_a_12_megapixel_phone_jpeg_is_shrunk_to_max_side_keeping_its_shape():
    big = half_and_half((2, 1)).resize((4000, 3000), Image.Resampling.NEAREST)
    photo = load_photo(encode(big, "JPEG", quality=85))
    assert_rgb(photo)
    assert max(photo.size) <= MAX_SIDE
    assert max(photo.size) >= MAX_SIDE // 2  # shrunk, not reduced to a postage stamp
    assert photo.size[0] / photo.size[1] == pytest.approx(4 / 3, rel=0.01)
    width, height = photo.size
    assert_colour(photo.getpixel((width // 4, height // 2)), RED, tolerance=40)
    assert_colour(photo.getpixel((3 * width // 4, height // 2)), BLUE, tolerance=40)


def test_a_portrait_photo_is_shrunk_by_its_longer_side():
    photo = load_photo(encode(Image.new("RGB", (1500, 3000), GREEN), "PNG"))
    assert photo.size == (MAX_SIDE // 2, MAX_SIDE)


def test_a_smaller_max_side_can_be_asked_for():
    photo = load_photo(encode(Image.new("RGB", (400, 200), GREEN), "PNG"), max_side=100)
    assert photo.size == (100, 50)


def test_a_50_megapixel_jpeg_is_shrunk_without_error():
    big = half_and_half((2, 1)).resize((8660, 5774), Image.Resampling.NEAREST)
    data = encode(big, "JPEG", quality=80)
    del big
    photo = load_photo(data)
    assert_rgb(photo)
    assert max(photo.size) == MAX_SIDE
    assert photo.size[0] / photo.size[1] == pytest.approx(8660 / 5774, rel=0.01)


def test_an_image_over_the_pixel_limit_is_refused_as_too_large():
    # 12000×9000 = 108 MP; a 1-bit blank PNG of that size is only a few kilobytes on disk.
    size = (12000, 9000)
    assert size[0] * size[1] > MAX_PIXELS
    data = encode(Image.new("1", size), "PNG")
    assert len(data) < 1_000_000
    with pytest.raises(PhotoError, match="too large"):
        load_photo(data)


def test_a_95_megapixel_jpeg_under_the_stated_limit_is_accepted_as_it_decodes_at_an_eighth():
    size = (10000, 9500)
    assert size[0] * size[1] < MAX_PIXELS
    photo = load_photo(encode(Image.new("L", size, 90), "JPEG"))
    assert max(photo.size) == MAX_SIDE


def test_a_16_megapixel_png_fits_the_memory_budget_and_a_50_megapixel_one_is_refused():
    fits = blank_png(4000, 4000, colour_type=2)  # RGB: 64 MB once decoded, as Pillow keeps 4 bytes a pixel
    assert PHOTO_DECODED_BYTES_MAX >= 4000 * 4000 * 4
    assert load_photo(fits).size == (MAX_SIDE, MAX_SIDE)
    with pytest.raises(PhotoError) as caught:
        load_photo(blank_png(8660, 5774, colour_type=2))
    assert str(caught.value) == translate(
        "photo.too_much_memory", width=8660, height=5774, needed=191, most=PHOTO_DECODED_BYTES_MAX // 2**20
    )


def test_a_12_megapixel_phone_jpeg_held_upright_comes_out_upright_and_decoded_reduced():
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    sideways = half_and_half((2, 1)).resize((4032, 3024), Image.Resampling.NEAREST)
    data = encode(sideways, "JPEG", quality=85, exif=exif.tobytes())
    del sideways
    photo = load_photo(data)
    assert photo.size == (756, 1008)  # decoded at a quarter, 1008 × 756, then turned upright
    assert photo.info["original_size"] == (3024, 4032)
    assert_colour(photo.getpixel((378, 100)), RED, tolerance=40)
    assert_colour(photo.getpixel((378, 900)), BLUE, tolerance=40)


def test_a_12_megapixel_16_bit_png_within_the_budget_is_shrunk_and_scaled_to_8_bits():
    pixels = np.full((3000, 4000), 32768, dtype=np.uint16)  # 24 MB once decoded: shrunk by four, in 16 bits
    pixels[:, :2000] = 65535
    photo = load_photo(encode(Image.fromarray(pixels), "PNG", compress_level=1))
    assert_rgb(photo)
    assert photo.size == (MAX_SIDE, 768)
    assert photo.getpixel((100, 300)) == WHITE
    assert_colour(photo.getpixel((900, 300)), (128, 128, 128), tolerance=1)


# --- things that are not photos --------------------------------------------------------------


NOT_PHOTOS = {
    "empty bytes": b"",
    "a text file renamed .jpg": b"hello",
    "an html page": b"<!DOCTYPE html><html><head><title>Cats</title></head><body><img src=cat.jpg></body></html>",
    "a pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "random noise": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
}


@pytest.mark.parametrize("data", NOT_PHOTOS.values(), ids=NOT_PHOTOS.keys())
def test_bytes_that_are_not_a_photo_raise_photo_error_with_a_readable_message(data):
    with pytest.raises(PhotoError) as caught:
        load_photo(data)
    message = str(caught.value)
    assert message and "Traceback" not in message
    assert type(caught.value) is PhotoError


@pytest.mark.parametrize("name", ["notes.jpg", "page.png"])
def test_a_text_file_renamed_as_a_photo_on_disk_raises_photo_error(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text("hello")
    with pytest.raises(PhotoError, match="not an image"):
        load_photo(path)


def test_an_empty_file_says_it_is_empty(tmp_path: Path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(PhotoError, match="empty"):
        load_photo(path)


def test_a_jpeg_cut_off_halfway_through_the_upload_raises_photo_error(photos_of):
    data = photos_of("train", "cats")[0].read_bytes()
    assert load_photo(data).size  # the whole file is fine
    with pytest.raises(PhotoError, match="damaged or cut short"):
        load_photo(data[: len(data) // 2])


def test_a_png_cut_off_halfway_raises_photo_error():
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "PNG")
    with pytest.raises(PhotoError):
        load_photo(data[: len(data) // 2])


def test_a_path_that_does_not_exist_raises_photo_error(tmp_path: Path):
    with pytest.raises(PhotoError, match="does not exist"):
        load_photo(tmp_path / "no-such-photo.jpg")


def test_a_folder_is_not_a_photo(tmp_path: Path):
    with pytest.raises(PhotoError, match="folder"):
        load_photo(tmp_path)
    with pytest.raises(PhotoError, match="folder"):
        load_photo(str(tmp_path))


def test_photo_error_is_a_value_error_so_callers_can_catch_either():
    assert issubclass(PhotoError, ValueError)


# --- hostile files: bytes or kilobytes on disk, gigabytes once decoded -----------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(width: int, height: int, colour_type: int, bit_depth: int = 8, before_pixels: bytes = b"") -> bytes:
    """A PNG of black rows, compressed one row at a time: kilobytes on disk whatever its size, none of it in memory.

    colour_type: 0 grey, 2 RGB, 4 grey and alpha, 6 RGBA (the PNG specification's numbers).
    """
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = bytes(1 + width * channels * bit_depth // 8)  # a filter byte, then the pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header) + before_pixels + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def gif_with_a_huge_screen() -> bytes:
    """35 bytes: a GIF whose logical screen is 10000 × 10000 and whose only frame is one pixel."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 10000, 10000, 0, 0, 0)  # no colour table
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"  # one LZW-coded pixel
    return screen + frame + b";"


def float_tiff(size: tuple[int, int] = (5000, 5000)) -> bytes:
    """A 32-bit float TIFF of zeros, deflated: 100 MB decoded at the default size, kilobytes on disk."""
    return encode(Image.fromarray(np.zeros(size[::-1], np.float32)), "TIFF", compression="tiff_deflate")


def png_with_a_text_bomb() -> bytes:
    """An 8 × 8 PNG with a compressed comment that inflates to 10 MB: Pillow stops at 1 MB, in its own words."""
    text = png_chunk(b"zTXt", b"comment\0\0" + zlib.compress(bytes(10_000_000), 9))
    return blank_png(8, 8, colour_type=0, before_pixels=text)


def cut_jpeg() -> bytes:
    noise = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "JPEG")
    return data[: len(data) // 2]


def png_cut_inside_a_chunk() -> bytes:
    """Cut in the middle of a text chunk before the pixels: Pillow says "Truncated File Read"."""
    data = blank_png(8, 8, colour_type=0, before_pixels=png_chunk(b"tEXt", b"comment\0" + b"x" * 5000))
    return data[:2000]


HOSTILE = {  # what each is, and the sentence a visitor reads instead
    "16-bit grey PNG 10000×10000": (
        lambda: blank_png(10000, 10000, colour_type=0, bit_depth=16),
        ("photo.too_much_memory", dict(width=10000, height=10000, needed=191, most=64)),
    ),
    "RGBA PNG 10000×10000": (
        lambda: blank_png(10000, 10000, colour_type=6),
        ("photo.too_much_memory", dict(width=10000, height=10000, needed=382, most=64)),
    ),
    "GIF with a 10000×10000 screen": (
        gif_with_a_huge_screen,
        ("photo.too_much_memory", dict(width=10000, height=10000, needed=96, most=64)),
    ),
    "float TIFF": (float_tiff, ("photo.wrong_format", dict(format="TIFF"))),
    "PNG with a text bomb": (png_with_a_text_bomb, ("photo.metadata_too_large", {})),
    "JPEG cut in half": (cut_jpeg, ("photo.damaged", {})),
    "PNG cut inside a chunk": (png_cut_inside_a_chunk, ("photo.damaged", {})),
}
PILLOWS_WORDS = ("Pillow", "PngImagePlugin", "MAX_TEXT_CHUNK", "Truncated", "truncated", "Decompressed", "identify")


@pytest.mark.parametrize("make, said", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_refused_in_our_own_words_in_each_language(make, said):
    key, fields = said
    assert fields.get("most", 64) == PHOTO_DECODED_BYTES_MAX // 2**20
    with pytest.raises(PhotoError) as caught:
        load_photo(make())
    for lang in ("en", "zh"):
        message = caught.value.message(lang)
        assert message == translate(key, lang, **fields)
        assert not [word for word in PILLOWS_WORDS if word in message], message
    assert str(caught.value) == translate(key, "en", **fields)  # what the CLI prints: no Pillow either


@pytest.mark.parametrize("name", ["scan.jpg", "scan.png", "scan.gif", "scan.tif"])
def test_tiff_content_is_refused_under_any_name(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(float_tiff((64, 64)))
    with pytest.raises(PhotoError, match="this is a TIFF file, not a JPEG, PNG, WebP, BMP or GIF photo"):
        load_photo(path)


def test_the_pillow_detail_of_a_refused_file_goes_to_the_log(caplog):
    with pytest.raises(PhotoError):
        load_photo(png_with_a_text_bomb())
    assert "MAX_TEXT_CHUNK" in caplog.text


def test_a_progressive_jpeg_counts_the_coefficients_it_keeps_at_full_size(monkeypatch):
    # A progressive JPEG keeps 2 bytes per coefficient of the whole image while decoding, whatever its draft:
    # 2000 × 1500 takes 9 MB with colour at half resolution (4:2:0), 18 MB with colour at full (4:4:4).
    monkeypatch.setattr(photos, "PHOTO_DECODED_BYTES_MAX", 16 * 2**20)
    picture = half_and_half((2000, 1500))
    assert load_photo(encode(picture, "JPEG", progressive=True, subsampling=2)).size == (1000, 750)  # drafted to half
    with pytest.raises(PhotoError) as caught:
        load_photo(encode(picture, "JPEG", progressive=True, subsampling=0))
    assert caught.value.said.key == "photo.too_much_memory"
    assert caught.value.said.fields["needed"] == 18


# The peak is /proc's VmHWM, the process's own: getrusage's ru_maxrss starts at its parent's (pytest's) peak.
MEASURE_PEAK = """
import sys
from catdog.photos import PhotoError, load_photo
def megabytes(field):  # VmRSS: resident now; VmHWM: the most ever resident
    return int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith(field + ":"))) // 1024
load_photo(sys.argv[1])  # a small photo first: every import and plugin is in place before the measure
before = megabytes("VmRSS")
for path in sys.argv[2:]:
    try:
        load_photo(path)
    except PhotoError:
        pass
print(megabytes("VmHWM") - before)
"""


def test_no_hostile_file_grows_the_process_by_more_than_300_mb(tmp_path: Path):
    small = tmp_path / "small.png"
    Image.new("RGB", (32, 32), RED).save(small)
    paths = []
    for number, (make, _) in enumerate(HOSTILE.values()):
        paths.append(tmp_path / f"hostile-{number}.jpg")  # every kind named as an allowed photo
        paths[-1].write_bytes(make())
    phone = tmp_path / "phone.jpg"  # a real photo's cost, for comparison: decoded at a quarter
    half_and_half((2, 1)).resize((4032, 3024), Image.Resampling.NEAREST).save(phone, quality=85)
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK, str(small), *map(str, paths), str(phone)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    growth_mb = int(measured.stdout.split()[-1])
    assert growth_mb <= 300, f"peak memory grew by {growth_mb} MB"


# --- the model's input -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [32, 128])
def test_model_input_is_a_square_uint8_rgb_array(size):
    photo = half_and_half((300, 120))
    pixels = model_input(photo, size)
    assert pixels.shape == (size, size, 3)
    assert pixels.dtype == np.uint8
    # The whole photo is squashed, not cropped: red on the left, blue on the right.
    assert_colour(tuple(int(v) for v in pixels[size // 2, 2]), RED, tolerance=5)
    assert_colour(tuple(int(v) for v in pixels[size // 2, size - 3]), BLUE, tolerance=5)


def test_model_input_of_a_loaded_dataset_photo(photos_of):
    pixels = model_input(load_photo(photos_of("test", "dogs")[0]), 64)
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    assert pixels.std() > 5  # a real photo, not a blank square


# --- the words a person reads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "probability, words",
    [
        (0.88, "Dog — 88% sure"),
        (0.19, "Cat — 81% sure"),
        (0.54, "Not sure (54% dog)"),
        (0.41, "Not sure (41% dog)"),
        (0.6, "Dog — 60% sure"),  # the unsure band is open at both ends
        (0.4, "Cat — 60% sure"),
        (1.0, "Dog — over 99% sure"),
        (0.0, "Cat — over 99% sure"),
    ],
)
def test_the_verdict_reads_like_a_person_would_say_it(probability, words):
    from catdog.wording import verdict

    assert verdict(probability) == words


@pytest.mark.parametrize(
    "probability, words",
    [(0.9996, "over 99%"), (0.99, "99%"), (0.676, "68%"), (0.5, "50%"), (0.01, "1%"), (2.348e-05, "under 1%")],
)
def test_one_rounding_rule_gives_whole_percents_and_never_claims_certainty(probability, words):
    from catdog.wording import percent

    assert percent(probability) == words


@pytest.mark.parametrize("dog_probability", [2.348e-05, 0.3, 0.52, 0.676, 0.9996])
def test_the_probability_bars_draw_both_classes_with_their_percentages_past_the_bars(dog_probability):
    from catdog.charts import probability_bars_html
    from catdog.wording import percent, verdict

    drawn = probability_bars_html(dog_probability)
    bars = re.findall(r'class="catdog-bar" data-value="([0-9.]+)" style="width:([0-9.]+)%', drawn)
    assert [float(value) for value, _ in bars] == pytest.approx([1 - dog_probability, dog_probability], abs=1e-6)
    assert [float(width) for _, width in bars] == pytest.approx(
        [100 * (1 - dog_probability), 100 * dog_probability], abs=0.01
    )
    assert max(float(value) for value, _ in bars) >= 0.5  # the verdict's class always has a visible bar
    # Names, then bars, then percentages: the percentages in their own column, past the bars' end.
    assert re.findall(r'<span class="catdog-bar-name">(\w+)</span>', drawn) == ["cat", "dog"]
    words = [percent(1 - dog_probability), percent(dog_probability)]
    assert re.findall(r'<b class="catdog-bar-percent">([^<]+)</b>', drawn) == words
    assert "grid-template-columns:max-content minmax(0,1fr) max-content" in drawn
    assert drawn.count("dashed") == 2 and drawn.count("left:50%") == 2  # the 50% line across each bar
    assert f'aria-label="cat {words[0]}, dog {words[1]}"' in drawn  # read out by a screen reader
    # The bars and the verdict say the same number.
    sure = max(dog_probability, 1 - dog_probability)
    assert percent(sure) in verdict(dog_probability) or "Not sure" in verdict(dog_probability)
