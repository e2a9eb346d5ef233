"""catdog.photos: whatever a person uploads comes back as an upright RGB photo, or a PhotoError.

Every image here is made on the spot with Pillow and NumPy; none is stored in the repository.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_50_megapixel_image_is_shrunk_without_error(fmt):
    big = half_and_half((2, 1)).resize((8660, 5774), Image.Resampling.NEAREST)
    data = encode(big, fmt, **({"compress_level": 1} if fmt == "PNG" else {"quality": 80}))
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


def test_a_95_megapixel_image_under_the_stated_limit_is_accepted():
    size = (10000, 9500)
    assert size[0] * size[1] < MAX_PIXELS
    photo = load_photo(encode(Image.new("1", size), "PNG"))
    assert max(photo.size) == MAX_SIDE


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
    from catdog.predict import verdict

    assert verdict(probability) == words


@pytest.mark.parametrize(
    "probability, words",
    [(0.9996, "over 99%"), (0.99, "99%"), (0.676, "68%"), (0.5, "50%"), (0.01, "1%"), (2.348e-05, "under 1%")],
)
def test_one_rounding_rule_gives_whole_percents_and_never_claims_certainty(probability, words):
    from catdog.predict import percent

    assert percent(probability) == words


@pytest.mark.parametrize("dog_probability", [2.348e-05, 0.3, 0.52, 0.676, 0.9996])
def test_the_probability_chart_draws_both_classes_with_labels_outside_the_bars(dog_probability):
    from catdog.charts import probability_figure
    from catdog.predict import percent, verdict

    figure = probability_figure(dog_probability)
    (bars,) = figure.data
    assert list(bars.x) == pytest.approx([1 - dog_probability, dog_probability])
    assert max(bars.x) >= 0.5  # the verdict's class always has a visible bar
    labels = [a.text for a in figure.layout.annotations]
    assert labels == [f"<b>{percent(1 - dog_probability)}</b>", f"<b>{percent(dog_probability)}</b>"]
    # In the right margin, past the axis's end: no bar and no 50% line can cross them.
    assert all(a.xref == "paper" and a.x == 1 and a.xanchor == "left" for a in figure.layout.annotations)
    assert figure.layout.margin.r >= 100
    assert all(a.font.size >= 18 for a in figure.layout.annotations)
    # The chart and the verdict say the same number.
    sure = max(dog_probability, 1 - dog_probability)
    assert percent(sure) in verdict(dog_probability) or "Not sure" in verdict(dog_probability)
