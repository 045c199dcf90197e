"""Dataset location and download, against archives served from 127.0.0.1."""
import functools
import http.server
import os
import threading
import zipfile

import cv2
import numpy as np
import pytest

from fld_tf.data import download
from fld_tf.data.download import find_root, resolve_root
from fld_tf.data.readers import read_list
from fld_tf.data.sample import DataError

MTFL_LINE = "lfw_5590\\a.jpg 11.5 31.5 21.5 13.5 29.5 21.0 21.0 31.0 41.0 41.0 1 2 2 3"
AFLW_LINE = "AFLW/0001.jpg 11.5 31.5 21.5 13.5 29.5 21.0 21.0 31.0 41.0 41.0 1 2 2 3"
CUHK_LINE = "lfw_5590\\a.jpg 5 35 8 48 10.5 20.0 30.5 20.0 20.5 30.0 12.5 40.0 28.5 40.0"


def _jpeg() -> bytes:
    return cv2.imencode(".jpg", np.full((60, 50, 3), 90, np.uint8))[1].tobytes()


def _lines(line: str, count: int) -> str:
    # As the real lists: CRLF, a leading space after the first line, a trailing " ".
    return "\r\n ".join([line] * count) + "\r\n "


def _mtfl_zip(path, drop=(), train_lines=10000, top="MTFL/"):
    members = {
        "AFLW/0001.jpg": _jpeg(), "lfw_5590/a.jpg": _jpeg(), "net_7876/b.jpg": _jpeg(),
        "training.txt": _lines(MTFL_LINE, train_lines), "testing.txt": _lines(AFLW_LINE, 2995),
        "readme.txt": "MTFL v1.0",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name not in drop:
                zf.writestr(top + name, data)


def _cuhk_zip(path):
    # No top folder here; its images must not be copied (only the two lists are kept).
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("trainImageList.txt", "\r\n".join([CUHK_LINE] * 10000) + "\r\n")
        zf.writestr("testImageList.txt", "\r\n".join([CUHK_LINE] * 3466) + "\r\n")
        zf.writestr("lfw_5590/a.jpg", _jpeg())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1; yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch, server):
    """Empty XDG cache, no $FLD_DATA, URLs pointing at the local server; yields the cache's fld_tf/."""
    www, url = server
    monkeypatch.delenv("FLD_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setitem(download.URLS, "mtfl", f"{url}/MTFL.zip")
    monkeypatch.setitem(download.URLS, "cuhk", f"{url}/train.zip")
    _cuhk_zip(www / "train.zip")
    return tmp_path / "cache" / "fld_tf"


def test_download_extract_verify(cache, server, monkeypatch):
    _mtfl_zip(server[0] / "MTFL.zip")
    root = resolve_root("mtfl")
    assert root == str(cache / "mtfl")
    assert sorted(os.listdir(cache)) == ["mtfl"]  # no temporary folder left
    assert sorted(os.listdir(root)) == ["AFLW", "cuhk", "lfw_5590", "net_7876", "readme.txt",
                                        "testing.txt", "training.txt"]
    assert sorted(os.listdir(os.path.join(root, "cuhk"))) == ["testImageList.txt", "trainImageList.txt"]
    train = read_list(os.path.join(root, "training.txt"), "mtfl")
    assert len(train.samples) == 10000
    np.testing.assert_array_equal(train.samples[0].points[0], [10.5, 20.0])
    cuhk = read_list(os.path.join(root, "cuhk", "testImageList.txt"), "cuhk")
    assert len(cuhk.samples) == 3466
    assert cuhk.samples[0].image_path == os.path.join(root, "lfw_5590", "a.jpg")
    # Present now: a second call must not download (the URLs lead nowhere).
    monkeypatch.setitem(download.URLS, "mtfl", "http://127.0.0.1:9/gone.zip")
    assert resolve_root("mtfl") == root


@pytest.mark.parametrize("drop, train_lines, problem", [
    (("testing.txt",), 10000, "testing.txt (missing)"),
    (("net_7876/b.jpg",), 10000, "net_7876/ (missing)"),
    ((), 9999, "training.txt (9999 lines, expected 10000)"),
])
def test_incomplete_archive_leaves_nothing(cache, server, drop, train_lines, problem):
    _mtfl_zip(server[0] / "MTFL.zip", drop=drop, train_lines=train_lines, top="")
    with pytest.raises(DataError) as info:
        resolve_root("mtfl")
    message = str(info.value)
    assert message.startswith(f"{cache / 'mtfl'}: the downloaded 'mtfl' archives")
    assert problem in message
    assert os.listdir(cache) == []


def test_broken_zip_leaves_nothing(cache, server):
    (server[0] / "MTFL.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(DataError, match=r"MTFL\.zip: not a valid zip archive"):
        resolve_root("mtfl")
    assert os.listdir(cache) == []


def test_missing_url_is_a_download_error(cache):
    with pytest.raises(DataError, match=r"download failed: http://127\.0\.0\.1:\d+/MTFL\.zip: .*404"):
        resolve_root("mtfl")
    assert os.listdir(cache) == []


def test_no_download(tmp_path, monkeypatch):
    monkeypatch.setenv("FLD_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError, match="mtfl: dataset 'mtfl' is not there and download is off"):
        resolve_root("mtfl", download=False)
    assert not (tmp_path / "data").exists()


def test_existing_incomplete_folder_is_not_touched(tmp_path):
    root = tmp_path / "mine"
    root.mkdir()
    (root / "training.txt").write_text(_lines(MTFL_LINE, 3))
    with pytest.raises(DataError) as info:
        resolve_root("mtfl", root=str(root))
    assert "training.txt (3 lines, expected 10000); testing.txt (missing)" in str(info.value)
    assert os.listdir(root) == ["training.txt"]


def test_resolution_order(mtfl_root, tmp_path, monkeypatch):
    monkeypatch.setenv("FLD_DATA", os.path.dirname(mtfl_root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_root("mtfl", download=False) == mtfl_root
    assert download.default_root("mtfl") == mtfl_root
    monkeypatch.delenv("FLD_DATA")
    assert download.default_root("mtfl") == str(tmp_path / "cache" / "fld_tf" / "mtfl")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert download.default_root("x") == os.path.join(os.path.expanduser("~"), ".cache", "fld_tf", "x")
    # An explicit root wins over the environment.
    assert resolve_root("mtfl", root=mtfl_root + "/", download=False) == mtfl_root
    with pytest.raises(DataError, match=r"data\.dataset: 'wflw' is not a dataset this toolkit downloads "
                                        r"\(known: mtfl\); for a folder of your own set data\.dataset to null"):
        resolve_root("wflw", root=str(tmp_path / "absent"))


def test_find_root_without_a_dataset(mtfl_root, tmp_path, monkeypatch):
    """No dataset name: --data-root / data.root, else $FLD_DATA as it is, else the current folder;
    nothing is checked for an MTFL layout or downloaded."""
    own = tmp_path / "own"
    own.mkdir()
    monkeypatch.setenv("FLD_DATA", str(tmp_path))
    assert find_root(None, str(own)) == str(own)
    assert find_root("", None) == str(tmp_path)  # not $FLD_DATA/<dataset>
    monkeypatch.delenv("FLD_DATA")
    monkeypatch.chdir(own)
    assert find_root() == str(own)
    with pytest.raises(DataError, match=r"absent: data root \(--data-root / data\.root\) is not a folder"):
        find_root(None, str(tmp_path / "absent"))
    monkeypatch.setenv("FLD_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"gone: data root \(\$FLD_DATA\) is not a folder"):
        find_root()
    # A named dataset is still found and checked where it lives.
    monkeypatch.setenv("FLD_DATA", os.path.dirname(mtfl_root))
    assert find_root("mtfl") == mtfl_root
