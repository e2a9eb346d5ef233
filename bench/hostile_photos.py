"""Small files that decode to gigabytes: how much each makes a process's memory grow in load_photo.

Writes each kind into a temporary folder, named .jpg like an allowed photo, then for each runs a fresh
`python` that loads a small photo first (so imports and Pillow's plugins are in place) and reports how
far its peak resident memory rose above where it stood while load_photo read the file: once alone,
then three times at once in threads, like three visitors uploading it together. A 12 MP phone JPEG is
the yardstick of what a real photo costs. Targets (issue #22): at most 300 MB alone, 1 GB for three.
The peak is the process's own VmHWM, not getrusage's ru_maxrss: a child starts with its parent's ru_maxrss.
Run from the repository root (about a minute; making the files takes about 1 GB for a moment):
    python -m bench.hostile_photos
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]

MEASURE = """
import sys, threading
from catdog.photos import PhotoError, load_photo
def megabytes(field):  # VmRSS: resident now; VmHWM: the most ever resident
    return int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith(field + ":"))) // 1024
load_photo(sys.argv[1])
path, copies = sys.argv[2], int(sys.argv[3])
said = []
def load():
    try:
        load_photo(path)
        said.append("opened")
    except PhotoError as error:
        said.append(error.said.key)
before = megabytes("VmRSS")
threads = [threading.Thread(target=load) for _ in range(copies)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(megabytes("VmHWM") - before, said[0])
"""


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(width: int, height: int, colour_type: int, bit_depth: int = 8, before_pixels: bytes = b"") -> bytes:
    """A PNG of black rows, compressed a row at a time; colour_type 0 grey, 2 RGB, 6 RGBA."""
    row = bytes(1 + width * {0: 1, 2: 3, 6: 4}[colour_type] * bit_depth // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header) + before_pixels + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def hostile_files() -> dict[str, bytes]:
    """Each kind of issue #22, and a progressive JPEG, whose full-size coefficients a draft does not shrink."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 10000, 10000, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    cut = encoded(Image.fromarray(noise), "JPEG")
    phone = Image.fromarray(np.random.default_rng(1).integers(0, 256, (189, 252, 3), dtype=np.uint8))
    return {
        "16-bit grey PNG 10000x10000": blank_png(10000, 10000, colour_type=0, bit_depth=16),
        "float TIFF 10000x10000": encoded(
            Image.fromarray(np.zeros((10000, 10000), np.float32)), "TIFF", compression="tiff_deflate"
        ),
        "RGBA PNG 10000x10000": blank_png(10000, 10000, colour_type=6),
        "GIF, 10000x10000 screen": screen + frame + b";",
        "PNG with a 10 MB text bomb": blank_png(
            8, 8, colour_type=0, before_pixels=png_chunk(b"zTXt", b"c\0\0" + zlib.compress(bytes(10**7), 9))
        ),
        "JPEG cut in half": cut[: len(cut) // 2],
        "progressive JPEG 10000x10000": encoded(
            Image.new("RGB", (10000, 10000), (90, 60, 30)), "JPEG", progressive=True
        ),
        "12 MP phone JPEG (a real photo)": encoded(phone.resize((4032, 3024), Image.Resampling.BICUBIC), "JPEG"),
    }


def peak_growth(small: Path, path: Path, copies: int) -> tuple[int, str]:
    """(MB the peak resident memory grew by, what load_photo said) for `copies` threads loading `path` at once."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(small), str(path), str(copies)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    grown, said = done.stdout.split()
    return int(grown), said


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        small = Path(folder) / "small.png"
        Image.new("RGB", (32, 32)).save(small)
        print(f"{'kind':34} {'size on disk':>13} {'alone':>8} {'3 at once':>10}  load_photo said")
        for number, (kind, data) in enumerate(hostile_files().items()):
            path = Path(folder) / f"photo-{number}.jpg"
            path.write_bytes(data)
            alone, said = peak_growth(small, path, 1)
            together, _ = peak_growth(small, path, 3)
            print(f"{kind:34} {len(data):>11,} B {alone:>5} MB {together:>7} MB  {said}")


if __name__ == "__main__":
    main()
