"""Where a dataset lives, and fetching it when it is not there yet.

`find_root` is the one rule every CLI uses for its data root: the folder given (`--data-root`, else
the config's `data.root`), else a named dataset found (or fetched) by `resolve_root`, else
`$FLD_DATA`, else the current folder.

`resolve_root` picks the folder (argument, else `$FLD_DATA/<dataset>`, else the user cache), checks
its layout and, if it is absent, downloads the official archives and installs them atomically: all
archives are fetched and extracted into a temporary folder beside the root, the layout is verified
there, and only then is the folder renamed into place. A failed or interrupted download leaves
nothing behind (at the price of fetching again next time).

Example:
  root = resolve_root("mtfl")            # e.g. ~/.cache/fld_tf/mtfl
  train = read_list(os.path.join(root, "training.txt"), "mtfl")
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import zipfile
from typing import Dict, List, Optional, Tuple

from fld_tf.data.sample import DataError
from fld_tf.io import atomic_path

# Tests point these at a local server; keys are the `Archive.url_key`s below.
URLS: Dict[str, str] = {
    "mtfl": "http://mmlab.ie.cuhk.edu.hk/projects/TCDCN/data/MTFL.zip",
    "cuhk": "http://mmlab.ie.cuhk.edu.hk/archive/CNN/data/train.zip",
}


@dataclasses.dataclass(frozen=True)
class Archive:
    """One archive of a dataset.

    Attributes:
      url_key: key into `URLS`.
      dest: folder inside the dataset root to extract into.
      members: extract only these paths (relative to the archive's single top folder, if it has one);
        empty: everything.
    """

    url_key: str
    dest: str = ""
    members: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What a dataset folder must hold.

    Attributes:
      archives: the archives that make it up.
      folders: required sub-folders.
      lists: `(relative path, number of non-blank lines)` of each required list file.
    """

    archives: Tuple[Archive, ...]
    folders: Tuple[str, ...]
    lists: Tuple[Tuple[str, int], ...]


DATASETS: Dict[str, DatasetSpec] = {
    "mtfl": DatasetSpec(
        # The CUHK archive repeats the MTFL images; only its two lists (with face boxes) are kept.
        archives=(Archive("mtfl"), Archive("cuhk", "cuhk", ("trainImageList.txt", "testImageList.txt"))),
        folders=("AFLW", "lfw_5590", "net_7876"),
        lists=(("training.txt", 10000), ("testing.txt", 2995),
               ("cuhk/trainImageList.txt", 10000), ("cuhk/testImageList.txt", 3466)),
    ),
}


def default_root(dataset: str) -> str:
    """`$FLD_DATA/<dataset>`, else `$XDG_CACHE_HOME/fld_tf/<dataset>` (default cache: `~/.cache`)."""
    if os.environ.get("FLD_DATA"):
        return os.path.join(os.path.expanduser(os.environ["FLD_DATA"]), dataset)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "fld_tf", dataset)


def _count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def layout_problems(root: str, spec: DatasetSpec) -> List[str]:
    """What is missing or wrong in `root`, one short phrase per problem (empty when complete)."""
    problems = [f"{d}/ (missing)" for d in spec.folders if not os.path.isdir(os.path.join(root, d))]
    for name, expected in spec.lists:
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            problems.append(f"{name} (missing)")
            continue
        count = _count_lines(path)
        if count != expected:
            problems.append(f"{name} ({count} lines, expected {expected})")
    return problems


def _spec(dataset: str) -> DatasetSpec:
    if dataset not in DATASETS:
        raise DataError(f"data.dataset: {dataset!r} is not a dataset this toolkit downloads (known: "
                        f"{', '.join(sorted(DATASETS))}); for a folder of your own set data.dataset to "
                        "null and give the folder as --data-root, data.root or $FLD_DATA")
    return DATASETS[dataset]


def find_root(dataset: Optional[str] = None, root: Optional[str] = None, download: bool = False) -> str:
    """The folder that relative list paths resolve against.

    `root` (from `--data-root`, else the config's `data.root`) when it is given and holds files:
    used as it is, whatever `dataset` says, so a folder of one's own never has to look like MTFL.
    Else a named dataset (a key of `DATASETS`) is found, checked and, if absent, fetched by
    `resolve_root` (at `root`, else `$FLD_DATA/<dataset>`, else the user cache). Else `$FLD_DATA`,
    else the current folder.

    Raises:
      DataError: the folder given is not there (the message says where it came from), or
        `resolve_root`'s errors for a named dataset.
    """
    if root and os.path.isdir(os.path.expanduser(root)) and os.listdir(os.path.expanduser(root)):
        return os.path.abspath(os.path.expanduser(root))
    if dataset:
        return resolve_root(dataset, root, download)
    for value, origin in ((root, "--data-root / data.root"), (os.environ.get("FLD_DATA"), "$FLD_DATA")):
        if value:
            folder = os.path.abspath(os.path.expanduser(value))
            if not os.path.isdir(folder):
                raise DataError(f"{folder}: data root ({origin}) is not a folder")
            return folder
    return os.getcwd()


def resolve_root(dataset: str = "mtfl", root: Optional[str] = None, download: bool = True) -> str:
    """Finds (and if needed downloads) a dataset folder.

    Args:
      dataset: a key of `DATASETS`. Another name is accepted only with an existing `root`, which is
        then returned unchecked (a dataset this module cannot fetch).
      root: the folder; default `default_root(dataset)`.
      download: fetch the dataset when the folder is absent or empty.

    Returns:
      The absolute dataset folder, with a verified layout.

    Raises:
      DataError: unknown dataset, incomplete folder, download disabled, or a failed download; the
        message names the folder and lists what is missing.
    """
    root = os.path.abspath(os.path.expanduser(root or default_root(dataset)))
    if dataset not in DATASETS and os.path.isdir(root):
        return root
    spec = _spec(dataset)
    if not os.path.isdir(root) or not os.listdir(root):
        if not download:
            raise DataError(f"{root}: dataset {dataset!r} is not there and download is off "
                            "(set data.download=true, or data.root / $FLD_DATA to where it is)")
        install(dataset, root)
    problems = layout_problems(root, spec)
    if problems:
        # Never overwrite a folder someone put there: it may hold their own files.
        raise DataError(f"{root}: not a complete {dataset!r} dataset: {'; '.join(problems)} "
                        "(complete it, or move it away to download afresh)")
    return root


def install(dataset: str, root: str) -> None:
    """Downloads and extracts every archive of `dataset` into `root` (absent or empty), atomically."""
    spec = _spec(dataset)
    with atomic_path(root, is_dir=True) as staging:
        archives = os.path.join(staging, ".archives")
        for archive in spec.archives:
            path = fetch(URLS[archive.url_key], archives)
            extract(path, os.path.join(staging, archive.dest), archive.members)
        shutil.rmtree(archives)
        problems = layout_problems(staging, spec)
        if problems:
            urls = ", ".join(URLS[a.url_key] for a in spec.archives)
            raise DataError(f"{root}: the downloaded {dataset!r} archives ({urls}) do not have the "
                            f"expected layout: {'; '.join(problems)}")


def fetch(url: str, folder: str) -> str:
    """Downloads `url` into `folder` with a progress bar; returns the file's path."""
    from tf_keras.utils import get_file  # heavy import (TensorFlow): only when downloading

    # An absolute cache_subdir makes get_file use `folder` as is. Its own extract=True is not used:
    # it extracts in place and deletes the whole cache folder on failure.
    try:
        return get_file(os.path.basename(url), url, cache_dir=folder, cache_subdir=os.path.abspath(folder))
    except Exception as e:  # get_file wraps HTTP and URL errors in a bare Exception
        raise DataError(f"download failed: {url}: {e}") from None


def _top_folder(names: List[str]) -> str:
    """The single top-level folder every member sits in (with a trailing '/'), else ''."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""


def extract(path: str, dest: str, members: Tuple[str, ...] = ()) -> None:
    """Extracts a zip into `dest`, dropping a single top-level folder; `members` filters (see `Archive`).

    Raises:
      DataError: not a zip, a corrupt member, or a member path that would leave `dest`.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.filename.startswith("__MACOSX/")]
            top = _top_folder([i.filename for i in infos])
            for info in infos:
                name = info.filename[len(top):]
                if not name or (members and name not in members):
                    continue
                parts = name.split("/")
                if name.startswith("/") or ".." in parts or ":" in parts[0]:
                    raise DataError(f"{path}: unsafe member path {info.filename!r}")
                target = os.path.join(dest, *parts)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise DataError(f"{path}: not a valid zip archive: {e}") from None
