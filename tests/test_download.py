"""Getting a dataset: `python -m catdog download` from a local HTTP server, and `python -m catdog import` of folders
and ZIPs in Kaggle's, PetImages' and the split layout. Nothing here touches the internet."""

from __future__ import annotations

import errno
import hashlib
import io
import shutil
import socket
import stat
import struct
import threading
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

import catdog.config
from catdog import download
from catdog.cli import main
from catdog.data import find_dataset
from catdog.download import FetchError, download_dataset, import_dataset, unzip_safely

TOP = "cats_and_dogs_filtered"


# --- a local web server --------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    cut_after: int | None = None  # send only this many bytes, though Content-Length promises them all
    says_length: bool = True  # False: no Content-Length, the body simply ends when the connection closes


class LocalServer:
    """http.server on 127.0.0.1 and a free port, serving bytes registered with serve(); 404 for anything else."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                if route.says_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body[: route.cut_after])
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, cut_after: int | None = None, says_length: bool = True) -> str:
        self.routes[path] = Route(body, cut_after, says_length)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture
def refused_url() -> str:
    """A URL on a port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{TOP}.zip"


# --- archives and folders ------------------------------------------------------------------------


def zip_bytes(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def pillow_jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 10), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


CAT, DOG = pillow_jpeg((200, 120, 40)), pillow_jpeg((40, 90, 200))


@pytest.fixture
def tutorial_entries(photos_of) -> list[tuple[str, bytes]]:
    """The tutorial ZIP's layout in small: 3 + 3 training and 2 + 2 validation photos, and its stray vectorize.py."""
    entries = [(f"{TOP}/", b""), (f"{TOP}/vectorize.py", b"print('not a photo')\n")]
    for split, count in (("train", 3), ("validation", 2)):
        for class_folder in ("cats", "dogs"):
            entries.append((f"{TOP}/{split}/{class_folder}/", b""))
            for photo in photos_of(split, class_folder)[:count]:
                entries.append((f"{TOP}/{split}/{class_folder}/{photo.name}", photo.read_bytes()))
    return entries


@pytest.fixture
def tutorial_zip(tutorial_entries) -> bytes:
    return zip_bytes(tutorial_entries)


TUTORIAL_COUNTS = {"train": {"cat": 3, "dog": 3}, "validation": {"cat": 2, "dog": 2}}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The data folder to download or import into; not made yet, as on a fresh clone."""
    return tmp_path / "data"


def contents(folder: Path) -> list[str]:
    """Every name in folder, hidden ones included: what a failed download or import must not leave."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def make_pet_images(root: Path, per_class: int = 10) -> Path:
    """Microsoft's PetImages layout: Cat/N.jpg and Dog/N.jpg, with the junk it is known for."""
    for folder, photo in (("Cat", CAT), ("Dog", DOG)):
        (root / folder).mkdir(parents=True)
        for n in range(per_class):
            (root / folder / f"{n}.jpg").write_bytes(photo)
        (root / folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0 windows thumbnail cache")
    (root / "Cat" / "666.jpg").write_bytes(b"")
    (root / "Dog" / "notes.jpg").write_bytes(b"hello, I am a text file, not a JPEG\n")
    return root


PET_IMAGES_SKIPPED = [
    ("Cat/666.jpg", "the file is empty"),
    ("Cat/Thumbs.db", "not a photo file (.db)"),
    ("Dog/Thumbs.db", "not a photo file (.db)"),
    ("Dog/notes.jpg", "this is not an image we can read"),
]
SPLIT_10 = {"train": {"cat": 8, "dog": 8}, "validation": {"cat": 1, "dog": 1}, "test": {"cat": 1, "dog": 1}}


def names_per_split(dataset_root: Path) -> dict[str, list[str]]:
    return {split: sorted(p.name for p, _ in items) for split, items in find_dataset(dataset_root).splits.items()}


# --- download: the good path ---------------------------------------------------------------------


def test_download_lays_the_zip_out_as_train_and_validation_folders_in_the_data_folder(
    server, tutorial_zip, tutorial_entries, data, monkeypatch
):
    monkeypatch.setattr(catdog.config, "DATA_DIR", data)
    url = server.serve(f"/mledu-datasets/{TOP}.zip", tutorial_zip)
    calls = []

    folder = download_dataset(url, progress=lambda done, total: calls.append((done, total)))

    assert folder == data / TOP
    dataset = find_dataset(folder)
    assert dataset.layout == "folders"
    assert dataset.counts() == TUTORIAL_COUNTS
    assert contents(data) == [TOP]  # no ZIP, no hidden staging folder
    assert contents(folder) == ["train", "validation"]  # vectorize.py left out
    name, photo = next((n, b) for n, b in tutorial_entries if n.endswith(".jpg"))
    assert (data / name).read_bytes() == photo
    assert calls[0] == (0, len(tutorial_zip))
    assert calls[-1] == (len(tutorial_zip), len(tutorial_zip))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_the_download_command_draws_a_progress_bar_and_prints_the_counts(server, tutorial_zip, data, capsys):
    url = server.serve(f"/{TOP}.zip", tutorial_zip)

    code = main(["download", "--url", url, "--data", str(data)])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"saved {data / TOP}" in captured.out
    assert "train: 3 cats, 3 dogs" in captured.out and "validation: 2 cats, 2 dogs" in captured.out
    assert "100%" in captured.err and "error" not in captured.err


def test_the_default_download_checks_the_published_size(server, tutorial_zip, data, monkeypatch, capsys):
    monkeypatch.setattr(download, "TUTORIAL_URL", server.serve(f"/{TOP}.zip", tutorial_zip))
    monkeypatch.setattr(download, "TUTORIAL_SIZE", len(tutorial_zip) + 1)

    assert main(["download", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"published as {len(tutorial_zip) + 1:,}" in err
    assert contents(data) == []

    monkeypatch.setattr(download, "TUTORIAL_SIZE", len(tutorial_zip))
    assert main(["download", "--data", str(data)]) == 0
    assert find_dataset(data / TOP).counts() == TUTORIAL_COUNTS


def test_a_wrong_sha256_is_refused_and_the_right_one_accepted(server, tutorial_zip, data, capsys):
    url = server.serve(f"/{TOP}.zip", tutorial_zip)

    assert main(["download", "--url", url, "--sha256", "0" * 64, "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: ") and "sha256" in err and "Traceback" not in err
    assert contents(data) == []

    right = hashlib.sha256(tutorial_zip).hexdigest().upper()  # as some tools print it
    assert main(["download", "--url", url, "--sha256", right, "--data", str(data)]) == 0
    assert find_dataset(data / TOP).counts() == TUTORIAL_COUNTS


# --- download: what goes wrong -------------------------------------------------------------------


def test_a_transfer_cut_short_leaves_nothing_and_a_retry_succeeds(server, tutorial_zip, data):
    url = server.serve(f"/{TOP}.zip", tutorial_zip, cut_after=len(tutorial_zip) // 2)
    with pytest.raises(FetchError, match=f"broke off after {len(tutorial_zip) // 2:,} of {len(tutorial_zip):,}"):
        download_dataset(url, data)
    assert contents(data) == []

    server.serve(f"/{TOP}.zip", tutorial_zip)
    assert find_dataset(download_dataset(url, data)).counts() == TUTORIAL_COUNTS


def test_a_short_file_from_a_server_that_does_not_say_its_length_fails_the_size_check(server, tutorial_zip, data):
    url = server.serve(f"/{TOP}.zip", tutorial_zip, cut_after=1000, says_length=False)
    with pytest.raises(FetchError, match=f"came as 1,000 bytes, not its published {len(tutorial_zip):,}"):
        download_dataset(url, data, size=len(tutorial_zip))
    assert contents(data) == []


def test_a_missing_file_gives_the_404_and_the_way_round_it(server, data, capsys):
    code = main(["download", "--url", server.url(f"/moved/{TOP}.zip"), "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "404" in err and "Traceback" not in err
    assert f"python -m catdog import {TOP}.zip" in err
    assert contents(data) == []


def test_no_network_names_the_host_and_says_to_download_by_hand_and_import(refused_url, data, capsys):
    code = main(["download", "--url", refused_url, "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 1
    host = refused_url.split("/")[2]
    assert err.startswith(f"error: could not reach {host}: ") and err.rstrip().endswith("(Connection refused)")
    assert f"download {refused_url} by hand and run `python -m catdog import {TOP}.zip`" in err
    assert "Traceback" not in err
    assert contents(data) == []


def test_a_web_page_instead_of_a_zip_is_refused(server, data):
    url = server.serve(f"/{TOP}.zip", b"<html><body>Please sign in to the hotel wifi</body></html>")
    with pytest.raises(FetchError, match="is not a ZIP archive"):
        download_dataset(url, data)
    assert contents(data) == []


def test_a_zip_without_train_and_validation_folders_is_refused(server, data):
    url = server.serve(f"/{TOP}.zip", zip_bytes([("PetImages/Cat/1.jpg", CAT), ("PetImages/Dog/1.jpg", DOG)]))
    with pytest.raises(FetchError, match="no train/ and validation/ folders"):
        download_dataset(url, data)
    assert contents(data) == []


UNSAFE_ENTRIES = {
    "parent": (f"{TOP}/../../evil.txt", "would land outside"),
    "leading-dots": ("../evil.txt", "would land outside"),
    "backslashes": ("..\\..\\evil.txt", "would land outside"),
    "absolute": ("{tmp}/evil.txt", "would land outside"),
    "symlink": (f"{TOP}/train/cats/evil.jpg", "is a symbolic link"),
}


@pytest.mark.parametrize("kind", UNSAFE_ENTRIES)
def test_an_archive_with_an_entry_that_escapes_is_refused_whole(kind, server, tutorial_entries, data, tmp_path):
    name, complaint = UNSAFE_ENTRIES[kind]
    entry = zipfile.ZipInfo(name.format(tmp=tmp_path))
    if kind == "symlink":
        entry.external_attr = (stat.S_IFLNK | 0o777) << 16
    url = server.serve(f"/{TOP}.zip", zip_bytes([*tutorial_entries, (entry, b"../../../../evil.txt")]))

    with pytest.raises(FetchError, match=complaint):
        download_dataset(url, data)

    assert contents(data) == []
    assert list(tmp_path.rglob("evil*")) == []


def test_a_zip_bomb_of_many_files_is_refused_before_unpacking(server, tutorial_zip, data, monkeypatch):
    monkeypatch.setattr(download, "MAX_UNZIPPED_FILES", 8)  # the ZIP holds 10 photos and vectorize.py
    with pytest.raises(FetchError, match="holds 11 files, more than 8"):
        download_dataset(server.serve(f"/{TOP}.zip", tutorial_zip), data)
    assert contents(data) == []


def test_a_zip_bomb_of_zeros_is_refused_before_unpacking(server, tutorial_entries, data, monkeypatch):
    monkeypatch.setattr(download, "MAX_UNZIPPED_BYTES", 5_000_000)
    bomb = zip_bytes([*tutorial_entries, (f"{TOP}/train/cats/zeros.jpg", bytes(20_000_000))])
    assert len(bomb) < 1_000_000  # 20 MB of zeros squeeze into a few kilobytes
    with pytest.raises(FetchError, match=r"unpacks to 20\.\d MB, more than 5\.0 MB"):
        download_dataset(server.serve(f"/{TOP}.zip", bomb), data)
    assert contents(data) == []


def test_an_entry_that_hides_its_real_size_is_cut_at_the_size_it_declares_and_refused(tmp_path):
    archive = tmp_path / "liar.zip"
    archive.write_bytes(zip_bytes([("big.bin", bytes(2_000_000))]))
    raw = bytearray(archive.read_bytes())
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        start = raw.index(signature)
        assert struct.unpack_from("<I", raw, start + size_at)[0] == 2_000_000
        struct.pack_into("<I", raw, start + size_at, 1_000)
    archive.write_bytes(raw)

    with pytest.raises(FetchError, match="damaged"):
        unzip_safely(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_existing_dataset_is_never_overwritten_and_nothing_is_downloaded(server, tutorial_zip, data):
    (data / TOP).mkdir(parents=True)
    (data / TOP / "mine.txt").write_text("keep me")
    url = server.serve(f"/{TOP}.zip", tutorial_zip)

    with pytest.raises(FetchError, match="already exists"):
        download_dataset(url, data)

    assert (data / TOP / "mine.txt").read_text() == "keep me"
    assert contents(data) == [TOP]
    assert server.requests == []


def test_the_download_command_says_an_existing_folder_before_downloading_anything(server, tutorial_zip, data, capsys):
    (data / TOP).mkdir(parents=True)
    url = server.serve(f"/{TOP}.zip", tutorial_zip)

    assert main(["download", "--url", url, "--data", str(data)]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""  # no "downloading ..." line, no progress bar
    assert captured.err == f"error: {data / TOP} already exists: choose another name, or delete it first\n"
    assert server.requests == []


def test_a_page_that_stops_mid_download_leaves_nothing_behind(server, tutorial_zip, data):
    class Rerun(Exception):
        """What Streamlit raises in a script thread when the visitor clicks elsewhere."""

    def progress(done: int, total: int | None) -> None:
        if done:
            raise Rerun

    with pytest.raises(Rerun):
        download_dataset(server.serve(f"/{TOP}.zip", tutorial_zip), data, progress=progress)
    assert contents(data) == []


def test_too_little_free_space_is_said_before_downloading(server, tutorial_zip, data, monkeypatch):
    usage = shutil.disk_usage(data.parent)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=1_000))
    with pytest.raises(FetchError, match="not enough free space"):
        download_dataset(server.serve(f"/{TOP}.zip", tutorial_zip), data)
    assert contents(data) == []


def test_only_web_addresses_are_downloaded(data):
    with pytest.raises(FetchError, match="not a web address"):
        download_dataset(f"file:///etc/{TOP}.zip", data)
    assert contents(data) == []


# --- import ---------------------------------------------------------------------------------------


def test_a_kaggle_folder_is_split_80_10_10_as_catdog_data_splits_it(tmp_path, data):
    source = tmp_path / "dogs-vs-cats"
    (source / "train").mkdir(parents=True)
    for n in range(10):
        (source / "train" / f"cat.{n}.jpg").write_bytes(CAT)
        (source / "train" / f"dog.{n}.jpg").write_bytes(DOG)
    (source / "sampleSubmission.csv").write_text("id,label\n")

    report = import_dataset(source, data_dir=data)

    assert report.dataset == data / "dogs-vs-cats"
    assert report.counts == SPLIT_10
    assert find_dataset(report.dataset).layout == "folders"
    assert names_per_split(report.dataset) == names_per_split(source)  # the split catdog.data makes of it
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("sampleSubmission.csv", "not named cat.N.jpg or dog.N.jpg")
    ]
    assert len(list(source.rglob("*"))) == 22  # the source is copied, not moved


def test_pet_images_junk_is_skipped_with_its_reason(tmp_path, data):
    source = make_pet_images(tmp_path / "PetImages")

    report = import_dataset(source, data_dir=data)

    assert report.dataset == data / "PetImages"
    assert [(s.path, s.reason) for s in report.skipped] == PET_IMAGES_SKIPPED
    assert report.counts == SPLIT_10
    imported = {p.name for p in report.dataset.rglob("*") if p.is_file()}
    assert len(imported) == 10  # 0.jpg ... 9.jpg, in cats/ and in dogs/
    assert not imported & {"666.jpg", "Thumbs.db", "notes.jpg"}


def test_a_zip_of_pet_images_imports_like_the_folder(tmp_path, data):
    folder = make_pet_images(tmp_path / "unzipped" / "PetImages")
    entries = [("readme[1].txt", b"Microsoft's cats and dogs")]
    entries += [(f"PetImages/{p.relative_to(folder).as_posix()}", p.read_bytes()) for p in folder.rglob("*.*")]
    archive = tmp_path / "kagglecatsanddogs_5340.zip"
    archive.write_bytes(zip_bytes(entries))

    from_zip = import_dataset(archive, data_dir=data)
    from_folder = import_dataset(folder, "from_folder", data)

    assert from_zip.dataset == data / "kagglecatsanddogs_5340"
    assert from_zip.counts == SPLIT_10
    assert names_per_split(from_zip.dataset) == names_per_split(from_folder.dataset)
    assert [(s.path, s.reason) for s in from_zip.skipped] == [
        *((f"PetImages/{path}", reason) for path, reason in PET_IMAGES_SKIPPED),
        ("readme[1].txt", "not in the cat or dog folder"),
    ]
    assert contents(data) == ["from_folder", "kagglecatsanddogs_5340"]


def test_an_already_split_folder_keeps_its_splits(tmp_path, data, make_dataset, not_a_photo):
    source = make_dataset(tmp_path / "small", train=3, validation=2, test=1)
    not_a_photo(source / "train" / "cats" / "cat.999.jpg")

    report = import_dataset(source, "small_copy", data)

    assert report.counts == {
        "train": {"cat": 3, "dog": 3},
        "validation": {"cat": 2, "dog": 2},
        "test": {"cat": 1, "dog": 1},
    }
    assert names_per_split(report.dataset) == {
        split: [n for n in names if n != "cat.999.jpg"] for split, names in names_per_split(source).items()
    }
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("train/cats/cat.999.jpg", "this is not an image we can read")
    ]


def test_an_import_never_replaces_a_dataset_of_the_same_name(tmp_path, data):
    source = make_pet_images(tmp_path / "PetImages")
    first = import_dataset(source, "pets", data)
    before = sorted(p.relative_to(data) for p in first.dataset.rglob("*"))

    with pytest.raises(FetchError, match="already exists"):
        import_dataset(make_pet_images(tmp_path / "other" / "PetImages", per_class=3), "pets", data)

    assert sorted(p.relative_to(data) for p in first.dataset.rglob("*")) == before
    assert contents(data) == ["pets"]


def test_an_import_zip_with_an_entry_that_escapes_is_refused(tmp_path, data):
    archive = tmp_path / "pets.zip"
    archive.write_bytes(zip_bytes([("Cat/1.jpg", CAT), ("Dog/1.jpg", DOG), ("../../evil.jpg", CAT)]))
    with pytest.raises(FetchError, match="would land outside"):
        import_dataset(archive, data_dir=data)
    assert contents(data) == []
    assert list(tmp_path.rglob("evil*")) == []


def test_a_full_disk_while_copying_is_said_plainly_and_leaves_nothing(tmp_path, data, monkeypatch):
    source = make_pet_images(tmp_path / "PetImages")

    def full(source_path, destination):
        raise OSError(errno.ENOSPC, "No space left on device", str(destination))

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(FetchError, match="the disk is full"):
        import_dataset(source, data_dir=data)
    assert contents(data) == []


@pytest.mark.parametrize(
    "source_name, name, complaint",
    [
        ("holiday", None, "holds neither"),
        ("missing", None, "does not exist"),
        ("PetImages", "../escape", "cannot name a dataset"),
        ("only_cats", None, "no readable dog photos"),
    ],
)
def test_sources_that_cannot_be_imported_say_why(source_name, name, complaint, tmp_path, data):
    (tmp_path / "holiday" / "beach").mkdir(parents=True)
    (tmp_path / "holiday" / "beach" / "sea.jpg").write_bytes(CAT)
    make_pet_images(tmp_path / "PetImages")
    (tmp_path / "only_cats" / "Cat").mkdir(parents=True)
    (tmp_path / "only_cats" / "Cat" / "1.jpg").write_bytes(CAT)

    with pytest.raises(FetchError, match=complaint):
        import_dataset(tmp_path / source_name, name, data)
    assert contents(data) == []
    assert not (tmp_path / "escape").exists()


def test_the_import_command_prints_counts_and_every_skipped_file(tmp_path, data, capsys):
    source = make_pet_images(tmp_path / "PetImages")

    code = main(["import", str(source), "--name", "pets", "--data", str(data)])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"imported 20 photos from {source}" in captured.out and f"into {data / 'pets'}" in captured.out
    assert "train: 8 cats, 8 dogs" in captured.out and "test: 1 cats, 1 dogs" in captured.out
    assert "skipped 4 files:" in captured.out
    for path, reason in PET_IMAGES_SKIPPED:
        assert f"  {path}: {reason}\n" in captured.out
    assert "100%" in captured.err


def test_the_import_command_exits_1_with_a_plain_error_on_a_name_clash(tmp_path, data, capsys):
    source = make_pet_images(tmp_path / "PetImages")
    assert main(["import", str(source), "--data", str(data)]) == 0
    capsys.readouterr()

    assert main(["import", str(source), "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert (
        err.splitlines()[-1] == f"error: {data / 'PetImages'} already exists: choose another name, or delete it first"
    )
    assert "Traceback" not in err


def test_download_weights_fetches_each_backbones_imagenet_weights_into_keras_cache_once(
    server, tmp_path, monkeypatch, capsys
):
    """keras.applications downloads them from Google's storage; here the same files come from a local server."""
    import keras.src.applications.mobilenet as mobilenet
    import keras.src.applications.mobilenet_v2 as mobilenet_v2
    from conftest import NEEDS_SHARED, missing, use_keras_home

    from catdog.config import SHARED_WEIGHTS
    from catdog.model import BACKBONES

    files = [BACKBONES[name].weights_file for name in ("mobilenet_v2", "mobilenet")]
    if not all((SHARED_WEIGHTS / file).is_file() for file in files):
        missing(NEEDS_SHARED, str(SHARED_WEIGHTS))
    for file in files:
        server.serve(f"/weights/{file}", (SHARED_WEIGHTS / file).read_bytes())
    for module in (mobilenet, mobilenet_v2):
        monkeypatch.setattr(module, "BASE_WEIGHT_PATH", server.url("/weights/"))
    use_keras_home(monkeypatch, tmp_path / "keras")

    assert main(["download", "--weights"]) == 0
    out = capsys.readouterr().out
    assert out.count("downloading the ImageNet weights of") == 2
    for file in files:
        assert (tmp_path / "keras" / "models" / file).read_bytes() == (SHARED_WEIGHTS / file).read_bytes()
        assert f"ImageNet weights in {tmp_path / 'keras' / 'models' / file}" in out
    assert main(["download", "--weights"]) == 0  # already there: nothing fetched again
    assert "downloading" not in capsys.readouterr().out
    assert sorted(server.requests) == sorted(f"/weights/{file}" for file in files)
