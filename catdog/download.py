"""Bring a dataset into the data folder: download TensorFlow's cats_and_dogs_filtered.zip, or import your own photos.

`python -m catdog download` and `python -m catdog import PATH` call download_dataset and import_dataset. Nothing
here prints or knows Streamlit: progress goes to a `progress(done, total)` callback, and every failure a user can
cause (no network, a 404, a damaged or hostile archive, a full disk) is a FetchError whose message is one sentence.
A dataset appears under its name only when complete: it is built in a hidden folder beside it (which
catdog.data.list_datasets skips), renamed into place, and the hidden folder is removed whatever happens.

keras.utils.get_file is not used: it prints its own progress bar and takes no callback, downloads straight to the
final file name (a download killed half-way is taken as whole next time unless a hash is given), skips unsafe ZIP
entries with a warning instead of refusing the archive, has no limits against ZIP bombs, raises a bare Exception,
and importing Keras takes seconds.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from catdog import config
from catdog.config import CLASS_FOLDERS, CLASS_NAMES, PHOTO_SUFFIXES, SPLITS
from catdog.data import KAGGLE_NAME, find_dataset, kaggle_label, split_labelled
from catdog.i18n import Message, TranslatedError
from catdog.photos import PhotoError, load_photo

# The 2,000 training and 1,000 validation photos of TensorFlow's image-classification tutorials ("Transfer
# learning and fine-tuning"). The size is the Content-Length its server sends; no checksum is published.
TUTORIAL_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
TUTORIAL_SIZE = 68_606_236  # bytes

# Refuse archives past these before unpacking a byte (ZIP bombs). The largest cat and dog archives people bring,
# Kaggle's and Microsoft's PetImages, hold about 25,000 photos in under 1 GB.
MAX_UNZIPPED_BYTES = 4 * 1024**3
MAX_UNZIPPED_FILES = 100_000

TIMEOUT_S = 30  # to connect, and between two pieces of the download
CHUNK_BYTES = 1024 * 1024
SEARCH_DEPTH = 4  # how many single wrapping folders (PetImages/, dogs-vs-cats/) are looked through
IGNORED_FOLDERS = ("__MACOSX",)  # the resource forks macOS adds to the ZIPs it makes

Progress = Callable[[int, int | None], None]  # progress(done, total); total is None when unknown


class FetchError(TranslatedError):
    """A dataset that could not be downloaded, unpacked or imported; the message says what failed and what to do."""


@dataclass
class SkippedFile:
    """A file of the source that was not imported: its path inside the folder or ZIP, and why."""

    path: str
    reason: str


@dataclass
class ImportReport:
    """What import_dataset made: the dataset folder, its photos per split and class, and every file it left out."""

    dataset: Path
    layout: str  # how the source was laid out, in words
    counts: dict[str, dict[str, int]]  # {"train": {"cat": 800, "dog": 800}, ...}
    skipped: list[SkippedFile]


def download_dataset(
    url: str | None = None,
    data_dir: str | Path | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: Progress | None = None,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Download a ZIP of train/ and validation/ folders of cats and dogs and unpack it as data_dir/NAME; returns it.

    url defaults to TUTORIAL_URL, whose published size is then checked; NAME is the ZIP's name without `.zip`.
    progress(done_bytes, total_bytes) follows the download. A mirror can be checked with sha256 or size.
    """
    url = url or TUTORIAL_URL
    if size is None and url == TUTORIAL_URL:
        size = TUTORIAL_SIZE
    target = download_target(url, data_dir)
    data_dir, file_name = target.parent, _zip_name(url)
    with _staging(data_dir, "download") as staging:
        archive = staging / file_name
        _download(url, archive, size, sha256, progress, timeout)
        unzip_safely(archive, staging / "unzipped")
        layout = _find_layout(staging / "unzipped", file_name)
        splits = {split for _, split, _ in layout.files}
        if not {"train", "validation"} <= splits:
            raise FetchError("fetch.no_splits", file=file_name, url=url)
        built = staging / "dataset"
        _fill(built, [(path, split, label) for path, split, label in layout.files if _is_photo_name(path)], move=True)
        _move_into_place(built, target)
    return target


def download_target(url: str, data_dir: str | Path | None = None) -> Path:
    """The folder download_dataset would make, data_dir/NAME; FetchError, before a byte is fetched, if it cannot."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FetchError("fetch.not_web_address", url=url)
    return _new_dataset_folder(_data_dir(data_dir), Path(_zip_name(url)).stem)


def _zip_name(url: str) -> str:
    return PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "dataset.zip"


def import_dataset(
    source: str | Path,
    name: str | None = None,
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Copy a folder or ZIP of cat and dog photos into data_dir/name as train/, validation/ and test/ folders.

    The source may be Kaggle's cat.N.jpg and dog.N.jpg in one folder (maybe in train/), Microsoft's PetImages
    (Cat/ and Dog/), or already split (SPLIT/cats, SPLIT/dogs), inside any single wrapping folders. Every photo
    is opened to check it can be read; unsplit photos are split 80/10/10 per class as catdog.data does.
    progress(done_photos, total_photos) follows the checking. name defaults to the folder's or ZIP's name.
    """
    source = Path(source)
    data_dir = _data_dir(data_dir)
    target = _new_dataset_folder(data_dir, name or (source.resolve().name if source.is_dir() else source.stem))
    with _staging(data_dir, "import") as staging:
        if source.is_dir():
            root, owned = source, False
        elif source.is_file():
            root, owned = staging / "unzipped", True
            unzip_safely(source, root)
        else:
            raise FetchError("fetch.source_missing", source=str(source))
        layout = _find_layout(root, source.name)
        reasons = _check_photos([path for path, _, _ in layout.files], progress)
        readable = [(path, split, label) for path, split, label in layout.files if reasons[path] is None]
        for label, class_name in enumerate(CLASS_NAMES):
            if not any(item_label == label for _, _, item_label in readable):
                raise FetchError(
                    "fetch.no_readable", layout.description, source=str(source), animal=Message(f"class.{class_name}")
                )
        if all(split is None for _, split, _ in readable):
            cut = split_labelled([(path, label) for path, _, label in readable])
            readable = [(path, split, label) for split, items in cut.items() for path, label in items]
        taken = {path for path, _, _ in readable}
        skipped = [
            SkippedFile(_relative(path, root), reasons.get(path) or layout.other_files)
            for path in sorted(_all_files(root))
            if path not in taken
        ]
        built = staging / "dataset"
        _fill(built, readable, move=owned)
        _move_into_place(built, target)
    return ImportReport(target, layout.description, find_dataset(target).counts(), skipped)


def unzip_safely(archive: str | Path, target: str | Path) -> None:
    """Unpack archive into target, a new folder, or refuse the whole archive and leave no target.

    Refused: entries that would land outside target (`../`, absolute paths), symbolic links and other special
    files, encrypted entries, and more than MAX_UNZIPPED_FILES files or MAX_UNZIPPED_BYTES unpacked.
    """
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as zipped:
            entries = _safe_entries(zipped, archive.name)
            _check_free_space(target.parent, sum(info.file_size for info, _ in entries))
            target.mkdir()  # never unpacks over something already there
            try:
                _extract(zipped, entries, target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise FetchError("fetch.not_zip", str(error), archive=archive.name) from None
    except NotImplementedError as error:
        raise FetchError("fetch.compression", str(error), archive=archive.name) from None


def _extract(zipped: zipfile.ZipFile, entries: list[tuple[zipfile.ZipInfo, tuple[str, ...]]], target: Path) -> None:
    for info, parts in entries:
        destination = target.joinpath(*parts)
        if info.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            raise FetchError("fetch.twice", archive=Path(zipped.filename).name, entry=repr(info.filename))
        # "xb": a file is only ever created, never written over or through something already there.
        with zipped.open(info) as member, open(destination, "xb") as out:
            shutil.copyfileobj(member, out, CHUNK_BYTES)


def _safe_entries(zipped: zipfile.ZipFile, archive_name: str) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """(entry, path parts) for every entry, after checking them all: nothing is written if one is unsafe."""
    entries = []
    files = declared = 0
    for info in zipped.infolist():
        name = info.filename.replace("\\", "/")  # some Windows tools write backslashes
        parts = PurePosixPath(name).parts
        entry = {"archive": archive_name, "entry": repr(info.filename)}
        if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
            raise FetchError("fetch.outside", **entry)
        kind = stat.S_IFMT(info.external_attr >> 16)  # Unix file type; 0 from tools that do not record one
        if kind == stat.S_IFLNK:
            raise FetchError("fetch.link", **entry)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise FetchError("fetch.special", **entry)
        if info.flag_bits & 0x1:
            raise FetchError("fetch.encrypted", **entry)
        if not parts:
            continue
        if not info.is_dir():
            files += 1
            declared += info.file_size
        entries.append((info, parts))
    if files > MAX_UNZIPPED_FILES:
        raise FetchError(
            "fetch.too_many_files", archive=archive_name, files=f"{files:,}", most=f"{MAX_UNZIPPED_FILES:,}"
        )
    # zipfile stops reading an entry at its declared size (then fails its CRC check), so the declared sizes bound
    # what unpacking writes: an archive that lies about them is refused as damaged.
    if declared > MAX_UNZIPPED_BYTES:
        raise FetchError("fetch.too_big", archive=archive_name, size=_mb(declared), most=_mb(MAX_UNZIPPED_BYTES))
    return entries


def _download(
    url: str, destination: Path, size: int | None, sha256: str | None, progress: Progress | None, timeout: float
) -> None:
    """Stream url into destination + ".part", check its length, size and hash, and only then rename it."""
    host = urllib.parse.urlsplit(url).netloc
    by_hand = {"url": url, "file": destination.name}  # what to download by hand and import, should this fail
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise FetchError("fetch.http", str(error.reason), code=error.code, **by_hand) from None
    except (OSError, http.client.HTTPException) as error:  # refused, no such host, timed out
        raise FetchError("fetch.unreachable", _reason(getattr(error, "reason", error)), host=host, **by_hand) from None
    part = destination.with_name(destination.name + ".part")
    with response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        if size is not None and total is not None and total != size:
            raise FetchError(
                "fetch.size_changed", url=url, offered=f"{total:,}", file=destination.name, size=f"{size:,}"
            )
        _check_free_space(destination.parent, total or 0)
        hasher = hashlib.sha256()
        done = 0
        if progress:
            progress(done, total)
        with open(part, "wb") as out:
            while True:
                try:
                    chunk = response.read(CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as error:
                    raise FetchError("fetch.broke_off", _reason(error), host=host, done=_mb(done)) from None
                if not chunk:
                    break
                out.write(chunk)
                hasher.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    if total is not None and done != total:
        raise FetchError("fetch.cut_short", host=host, done=f"{done:,}", total=f"{total:,}")
    if size is not None and done != size:
        raise FetchError("fetch.wrong_size", file=destination.name, done=f"{done:,}", size=f"{size:,}")
    if sha256 is not None and hasher.hexdigest() != sha256.lower():
        raise FetchError("fetch.wrong_hash", file=destination.name, actual=hasher.hexdigest(), expected=sha256.lower())
    part.rename(destination)


@dataclass
class _Layout:
    """The labelled files of a source, found by _find_layout."""

    description: str
    files: list[tuple[Path, str | None, int]]  # (file, its split or None when catdog splits it, label)
    other_files: str  # why every other file of the source is left out


def _find_layout(root: Path, source_name: str) -> _Layout:
    """The first layout found at root or inside single wrapping folders (ZIPs often hold one top folder)."""
    folder = root
    for _ in range(SEARCH_DEPTH + 1):
        layout = _layout_at(folder)
        if layout is not None:
            return layout
        children = _folders_in(folder)
        if len(children) != 1:
            break
        folder = children[0]
    raise FetchError("fetch.no_layout", source=source_name)


def _layout_at(folder: Path) -> _Layout | None:
    if _class_folders(folder / "train"):
        files = [
            (path, split, label)
            for split in SPLITS
            for label, class_folder in _class_folders(folder / split).items()
            for path in _files_in(class_folder)
        ]
        return _Layout(
            "already split into SPLIT/cats and SPLIT/dogs", files, "not in a SPLIT/cats or SPLIT/dogs folder"
        )
    classes = _class_folders(folder)
    if classes:
        files = [(path, None, label) for label, class_folder in classes.items() for path in _files_in(class_folder)]
        return _Layout("a folder of cats and a folder of dogs, split 80/10/10", files, "not in the cat or dog folder")
    for flat in (folder, folder / "train"):
        named = [path for path in _files_in(flat) if KAGGLE_NAME.match(path.name)]
        if named:
            files = [(path, None, kaggle_label(path.name)) for path in named]
            return _Layout(
                "Kaggle's cat.N.jpg and dog.N.jpg, split 80/10/10", files, "not named cat.N.jpg or dog.N.jpg"
            )
    return None


def _class_folders(folder: Path) -> dict[int, Path]:
    """{label: subfolder} for subfolders named cat, cats, dog or dogs, in any case (PetImages has Cat/, Dog/)."""
    found = {}
    for child in _folders_in(folder):
        for label, name in enumerate(CLASS_NAMES):
            if child.name.lower() in (name, CLASS_FOLDERS[label]):
                found[label] = child
    return found


def _check_photos(paths: list[Path], progress: Progress | None) -> dict[Path, str | None]:
    """{path: None if it is a readable photo, else why not}, opening photos on a few threads."""

    def check(path: Path) -> str | None:
        if not _is_photo_name(path):
            return f"not a photo file ({path.suffix or 'no file ending'})"
        try:
            load_photo(path)
        except PhotoError as error:
            return str(error)
        return None

    reasons = {}
    with ThreadPoolExecutor(4) as pool:  # Pillow releases the GIL while decoding
        for done, (path, reason) in enumerate(zip(paths, pool.map(check, paths)), start=1):
            reasons[path] = reason
            if progress:
                progress(done, len(paths))
    return reasons


def _fill(built: Path, files: list[tuple[Path, str | None, int]], move: bool) -> None:
    """Lay files out as built/SPLIT/cats|dogs/NAME, moving them (ours, just unpacked) or copying them (the user's)."""
    for split in {split for _, split, _ in files}:
        for class_folder in CLASS_FOLDERS:
            (built / split / class_folder).mkdir(parents=True, exist_ok=True)
    for path, split, label in files:
        destination = built / split / CLASS_FOLDERS[label] / path.name
        if move:
            path.rename(destination)
        else:
            shutil.copyfile(path, destination)


def _data_dir(data_dir: str | Path | None) -> Path:
    return Path(data_dir) if data_dir is not None else config.DATA_DIR  # read now: tests and pages may change it


def _new_dataset_folder(data_dir: Path, name: str) -> Path:
    """data_dir/name, after checking name is one plain folder name and nothing is there yet."""
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or "\\" in name:
        raise FetchError("fetch.bad_name", name=repr(name))
    target = data_dir / name
    if target.exists():
        raise FetchError("fetch.exists", target=str(target))
    return target


def _move_into_place(built: Path, target: Path) -> None:
    if target.exists():  # made meanwhile, by another download or import
        raise FetchError("fetch.exists", target=str(target))
    built.rename(target)


@contextmanager
def _staging(data_dir: Path, purpose: str) -> Iterator[Path]:
    """A hidden folder in data_dir to build in (so the final rename cannot cross disks), removed afterwards."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{purpose}-", dir=data_dir))
    except OSError as error:
        raise _file_error(error) from None
    try:
        yield staging
    except OSError as error:
        raise _file_error(error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _file_error(error: OSError) -> FetchError:
    if error.errno == errno.ENOSPC:
        return FetchError("fetch.disk_full", file=str(error.filename))
    if error.filename:
        return FetchError("fetch.file_error", error.strerror or str(error), file=str(error.filename))
    return FetchError("fetch.io_error", error.strerror or str(error))


def _check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise FetchError("fetch.no_space", folder=str(folder), needed=_mb(needed), free=_mb(free))


def _folders_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_dir() and not path.name.startswith(".") and path.name not in IGNORED_FOLDERS
    )


def _files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.is_file()) if folder.is_dir() else []


def _all_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _is_photo_name(path: Path) -> bool:
    return path.suffix.lower() in PHOTO_SUFFIXES


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _reason(error: object) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"
