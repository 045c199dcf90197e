"""Landmark list readers: one entry point, `read_list`, for every supported list format.

Every reader turns its format's quirks (1-based coordinates, backslash paths, CRLF, leading spaces)
into `Sample`s in 0-based pixel coordinates, and every bad record is reported as `file:line: reason`.

Example:
  result = read_list("/data/mtfl/training.txt", "mtfl")
  arrays = samples_to_arrays(result.samples)  # feeds the tf.data pipeline
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import glob
import os
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from fld_tf.data.sample import DataError, Sample
from fld_tf.schemes import PointScheme, get_scheme

FORMATS = ("mtfl", "cuhk", "pts", "wflw", "csv")
DEFAULT_SCHEMES = {"mtfl": "mtfl5", "cuhk": "mtfl5", "csv": "mtfl5", "pts": "ibug68", "wflw": "wflw98"}
# Formats whose layout fixes the number of points; the others take it from the scheme.
FORMAT_POINTS = {"mtfl": 5, "cuhk": 5, "wflw": 98}
# Formats that carry attribute flags, in their schemes' `attribute_names` order.
FORMAT_ATTRIBUTES = {fmt: get_scheme(DEFAULT_SCHEMES[fmt]).attribute_names for fmt in ("mtfl", "wflw")}
IMAGE_EXTENSIONS = (".jpg", ".png", ".jpeg")
ON_BAD = ("error", "skip")
# A point more than this fraction of the image size beyond the border is an annotation error,
# not a face partly out of frame: x must lie in [-0.5 W, 1.5 W] and y in [-0.5 H, 1.5 H].
OUTSIDE_TOLERANCE = 0.5
TF_IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP")  # what tf.io.decode_image reads (Pillow's names)
CHECK_THREADS = 4


@dataclasses.dataclass(frozen=True)
class ReadResult:
    """What `read_list` found.

    Attributes:
      samples: the usable records, in list order.
      skipped: `(source, reason)` for each record left out under `on_bad="skip"`.
    """

    samples: List[Sample]
    skipped: List[Tuple[str, str]]


class _Bad(Exception):
    """One unusable record; `line` overrides the record's own line (for multi-line .pts files),
    `at` names the `.pts` file and line of a bad point."""

    def __init__(self, reason: str, line: Optional[int] = None, at: Optional[Tuple[str, int]] = None):
        super().__init__(reason)
        self.line = line
        self.at = at


@dataclasses.dataclass(frozen=True)
class _Record:
    """A parsed record before its image is located."""

    image: str
    points: np.ndarray
    box: Optional[np.ndarray] = None
    attributes: Optional[Dict[str, float]] = None
    point_lines: Optional[Tuple[str, Tuple[int, ...]]] = None  # .pts: (file, line of each point)


def _numbers(fields: Sequence[str], first_field: int) -> np.ndarray:
    """Parses fields as finite floats; `first_field` is the 1-based field number for messages."""
    values = []
    for i, field in enumerate(fields):
        try:
            values.append(float(field))
        except ValueError:
            raise _Bad(f"non-numeric value {field!r} in field {first_field + i}") from None
    values = np.array(values)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise _Bad(f"non-finite value {fields[bad[0]]!r} in field {first_field + bad[0]}")
    return values


def _expect(fields: Sequence[str], count: int) -> None:
    if len(fields) != count:
        raise _Bad(f"expected {count} values, got {len(fields)}")


def _parse_mtfl(fields: Sequence[str], k: int) -> _Record:
    """`path x1..xK y1..yK gender smile glasses pose`, 1-based.

    Attribute codes are 1-based too (gender 1-2, smile 1-2, glasses 1-2, pose 1-5); they become
    0-based class indices, as the attribute head's labels.
    """
    _expect(fields, 1 + 2 * k + 4)
    v = _numbers(fields[1:], 2)
    points = np.stack([v[:k], v[k:2 * k]], axis=1) - 1.0
    return _Record(fields[0], points, None, dict(zip(FORMAT_ATTRIBUTES["mtfl"], v[2 * k:] - 1)))


def _parse_cuhk(fields: Sequence[str], k: int) -> _Record:
    """`path left right top bottom x1 y1 .. xK yK`, 0-based."""
    _expect(fields, 1 + 4 + 2 * k)
    v = _numbers(fields[1:], 2)
    left, right, top, bottom = v[:4]
    return _Record(fields[0], v[4:].reshape(k, 2), np.array([left, top, right, bottom]))


def _parse_wflw(fields: Sequence[str], k: int) -> _Record:
    """`x0 y0 .. x97 y97 x_min y_min x_max y_max <6 flags> path`, 0-based."""
    _expect(fields, 2 * k + 4 + 6 + 1)
    v = _numbers(fields[:-1], 1)
    attributes = dict(zip(FORMAT_ATTRIBUTES["wflw"], v[2 * k + 4:]))
    return _Record(fields[-1], v[:2 * k].reshape(k, 2), v[2 * k:2 * k + 4], attributes)


def _parse_csv(fields: Sequence[str], k: int) -> _Record:
    """`path,x0,y0,..` 0-based."""
    _expect(fields, 1 + 2 * k)
    return _Record(fields[0], _numbers(fields[1:], 2).reshape(k, 2))


_LINE_PARSERS = {"mtfl": _parse_mtfl, "cuhk": _parse_cuhk, "wflw": _parse_wflw, "csv": _parse_csv}


def _read_text_lines(path: str) -> List[str]:
    try:
        # utf-8-sig drops a BOM; universal newlines turn CRLF into "\n".
        with open(path, encoding="utf-8-sig") as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read list: {getattr(e, 'strerror', None) or e}") from None


def _line_records(path: str, fmt: str, k: int) -> Iterator[Tuple[int, Union[_Record, _Bad]]]:
    """Yields `(line_number, record or _Bad)` for each non-blank line of a one-record-per-line list."""
    parse = _LINE_PARSERS[fmt]
    first = True
    for number, line in enumerate(_read_text_lines(path), 1):
        line = line.strip()
        if not line:
            continue
        if fmt == "csv":
            if first and line.lower().startswith("path"):
                first = False
                continue
            fields = [f.strip() for f in line.split(",")]
        else:
            fields = line.split()
        first = False
        try:
            yield number, parse(fields, k)
        except _Bad as bad:
            yield number, bad


def _pts_body(lines: List[Tuple[int, str]], k: int) -> List[Tuple[int, str]]:
    """The point lines of a `.pts` file, its optional header and braces checked.

    300-W's layout is `version: 1`, `n_points: N`, `{`, N lines `x y`, `}`; public copies often strip
    the header and the braces, so each part is optional (a brace needs its partner).
    """
    if not lines:
        raise _Bad("empty .pts file", 1)
    i = 0
    if lines[0][1].lower().startswith("version"):
        i = 1
    if i < len(lines) and lines[i][1].lower().startswith("n_points"):
        line, text = lines[i]
        value = text.partition(":")[2].strip()
        if not value.isdigit():
            raise _Bad(f"expected 'n_points: N', got {text!r}", line)
        if int(value) != k:
            raise _Bad(f"n_points is {int(value)}, the scheme has {k} points", line)
        i += 1
    body = lines[i:]
    opened, closed = bool(body) and body[0][1] == "{", bool(body) and body[-1][1] == "}"
    if opened != closed:
        raise _Bad("unbalanced '{' / '}'", body[0][0] if opened else body[-1][0])
    if opened:
        body = body[1:-1]
    if len(body) != k:
        where = body[0][0] if body else lines[-1][0]
        raise _Bad(f"expected {k} point lines 'x y', got {len(body)}", where)
    return body


def _parse_pts(path: str, k: int, image: Optional[str] = None) -> _Record:
    """One `.pts` file, with or without its header (`_pts_body`), 1-based; the image sits beside it
    unless `image` is given."""
    lines = [(i, t.strip()) for i, t in enumerate(_read_text_lines(path), 1) if t.strip()]
    points, numbers = [], []
    for line, text in _pts_body(lines, k):
        numbers.append(line)
        fields = text.split()
        try:
            _expect(fields, 2)
            points.append(_numbers(fields, 1))
        except _Bad as bad:
            raise _Bad(str(bad), line) from None
    if image is None:
        stem = os.path.splitext(path)[0]
        candidates = [stem + e for ext in IMAGE_EXTENSIONS for e in (ext, ext.upper())]
        image = next((c for c in candidates if os.path.exists(c)), None)
        if image is None:
            raise _Bad(f"no image beside it ({os.path.basename(stem)}{{{','.join(IMAGE_EXTENSIONS)}}})", 1)
        image = os.path.realpath(image)  # not relative to the working directory: the finder joins it to the folder
    return _Record(image, np.array(points) - 1.0, point_lines=(path, tuple(numbers)))


def _pts_records(folder: str, k: int) -> Iterator[Tuple[str, int, Union[_Record, _Bad]]]:
    """Every `.pts` under `folder` (recursively, sorted), each a record of its own file."""
    files = sorted(glob.glob(os.path.join(glob.escape(folder), "**", "*.pts"), recursive=True))
    if not files:
        raise DataError(f"{folder}: no .pts files in this folder")
    for path in files:
        try:
            yield path, 1, _parse_pts(path, k)
        except _Bad as bad:
            yield path, bad.line or 1, bad


def _pts_list_records(path: str, k: int, find: "_ImageFinder"):
    """A list file naming one `.pts` (or its image, the `.pts` beside it) per line, so that a split
    is a list; errors inside a `.pts` name the list line and the `.pts` line."""
    for number, line in enumerate(_read_text_lines(path), 1):
        entry = line.strip()
        if not entry:
            continue
        try:
            located = find(entry)
            is_pts = located.lower().endswith(".pts")
            pts = located if is_pts else os.path.splitext(located)[0] + ".pts"
            if not os.path.isfile(pts):
                raise _Bad(f"no .pts file {pts} for this image")
            try:
                record = _parse_pts(pts, k, None if is_pts else located)
            except _Bad as bad:
                raise _Bad(f"{pts}:{bad.line or 1}: {bad}") from None
            yield path, number, record
        except _Bad as bad:
            yield path, number, bad


class _ImageFinder:
    """Locates images of a list: under `image_root`, else the list's folder, else its parent.

    The base is chosen once, by the first image found, because CUHK lists sit in `cuhk/` while
    their paths start at the dataset root.
    """

    def __init__(self, list_path: str, image_root: Optional[str]):
        folder = os.path.dirname(os.path.abspath(list_path))
        self.candidates = [os.path.abspath(image_root)] if image_root else [folder, os.path.dirname(folder)]
        self.base = self.candidates[0] if len(self.candidates) == 1 else None

    def __call__(self, name: str) -> str:
        name = name.strip().replace("\\", "/")
        if self.base is None:
            for base in self.candidates:
                if os.path.exists(os.path.join(base, name)):
                    self.base = base
                    return os.path.join(base, name)
            raise _Bad(f"image {name!r} not found under {' or '.join(self.candidates)}; pass image_root")
        path = os.path.join(self.base, name)
        if not os.path.exists(path):
            raise _Bad(f"image not found: {path}")
        return path


def image_size(path: str) -> Tuple[int, int]:
    """`(width, height)` of an image, from its header only (no decoding).

    Raises:
      DataError: the file is missing or not an image.
    """
    from PIL import Image  # Pillow comes with matplotlib; imported here to keep list reading light.

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read image header: {e}") from None


def check_image(path: str) -> Tuple[int, int]:
    """`(width, height)` of an image that the pipeline's TF decoder will read, checked cheaply.

    The whole compressed stream is decoded by Pillow (JPEG at 1/8 scale, which skips most of the
    inverse DCT), so a zero-byte, truncated or corrupt file is found here, before training, rather
    than as a TF error in the middle of `fit`. About 1 ms for a 250 px JPEG.

    Raises:
      DataError: the reason, naming the file.
    """
    from PIL import Image

    try:
        if os.path.getsize(path) == 0:
            raise DataError(f"{path}: empty image file (0 bytes)")
        with Image.open(path) as image:
            if image.format not in TF_IMAGE_FORMATS:
                raise DataError(f"{path}: {image.format} image; the pipeline decodes "
                                f"{', '.join(TF_IMAGE_FORMATS)}")
            size = image.size
            if image.format == "JPEG":
                image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
            image.load()
    except OSError as e:  # Pillow reports undecodable, truncated and unknown files as OSError
        raise DataError(f"{path}: cannot decode image: {e}") from None
    if min(size) < 1:
        raise DataError(f"{path}: empty image ({size[0]}x{size[1]})")
    return size


def _check_inside(points: np.ndarray, path: str, size: Tuple[int, int], point_lines=None) -> None:
    margin = OUTSIDE_TOLERANCE * np.array(size)
    far = np.flatnonzero(((points < -margin) | (points > np.array(size) + margin)).any(axis=1))
    if far.size:
        x, y = points[far[0]]
        raise _Bad(f"point {far[0]} ({x:.1f}, {y:.1f}) is far outside the {size[0]}x{size[1]} image {path} "
                   f"(more than OUTSIDE_TOLERANCE = {OUTSIDE_TOLERANCE:.0%} of the image size beyond "
                   "its border: an annotation error, not a face partly out of frame)",
                   at=(point_lines[0], point_lines[1][far[0]]) if point_lines else None)


def _to_sample(record: _Record, source: str, path: str, attribute_names: Sequence[str],
               size: Optional[Tuple[int, int]]) -> Sample:
    points = record.points.astype(np.float32)
    if size is not None:
        _check_inside(points, path, size, record.point_lines)
    attributes = None
    if record.attributes is not None and attribute_names:
        values = [record.attributes.get(name, -1) for name in attribute_names]
        if any(v != int(v) for v in values):
            raise _Bad(f"attributes must be integers, got {[float(v) for v in values]}")
        attributes = np.array(values, np.int32)
    box = None if record.box is None else record.box.astype(np.float32)
    # TensorFlow cleans a path lexically before opening it ("root/../x" -> "x"), the OS follows
    # symbolic links first: under a linked data root only the resolved path names the same file
    # for both, in training, export and every other consumer of the sample.
    return Sample(os.path.realpath(path), points, box, attributes, source)


def _checked_sizes(paths: Sequence[Optional[str]]) -> List[Union[Tuple[int, int], DataError, None]]:
    """`check_image` of each path (None stays None), in order; a few threads, since Pillow
    decodes without holding the GIL."""
    def check(path):
        if path is None:
            return None
        try:
            return check_image(path)
        except DataError as e:
            return e

    with concurrent.futures.ThreadPoolExecutor(CHECK_THREADS) as pool:
        return list(pool.map(check, paths, chunksize=64))


def _resolve_scheme(fmt: str, scheme: Union[PointScheme, str, None]) -> PointScheme:
    scheme = get_scheme(scheme or DEFAULT_SCHEMES[fmt]) if not isinstance(scheme, PointScheme) else scheme
    expected = FORMAT_POINTS.get(fmt)
    if expected is not None and expected != scheme.num_points:
        raise DataError(f"format {fmt!r} has {expected} points, scheme {scheme.name!r} has {scheme.num_points}")
    return scheme


def read_list(path: str, fmt: str, image_root: Optional[str] = None, on_bad: str = "error",
              scheme: Union[PointScheme, str, None] = None, check_images: bool = False) -> ReadResult:
    """Reads a landmark list (or, for `pts`, a folder of .pts files or a list of them) into samples.

    Args:
      path: the list file; for `fmt="pts"` a folder searched recursively, or a list file with one
        `.pts` (or image, the `.pts` beside it) path per line.
      fmt: one of `FORMATS`.
      image_root: folder the image (or `.pts`) paths are relative to; default: the list's folder,
        or its parent when the first image is not in the list's folder (CUHK lists). For a folder
        of `.pts`, images sit beside the .pts files.
      on_bad: `"error"` raises on the first bad record; `"skip"` leaves it out and records why.
      scheme: a `PointScheme` or its name; default by format (`DEFAULT_SCHEMES`).
      check_images: also decode each image (`check_image`: empty, truncated, corrupt, unsupported)
        and reject points beyond the image border by more than `OUTSIDE_TOLERANCE` of its size.
        Training, evaluation and the parity gate read lists this way.

    Returns:
      A `ReadResult`; each sample has points with shape `(num_points, 2)`, 0-based.

    Raises:
      DataError: unknown format, unreadable or empty list, no usable record, or (with
        `on_bad="error"`) the first bad record, as `file:line: reason`.
    """
    path = os.fspath(path)
    if fmt not in FORMATS:
        raise DataError(f"{path}: unknown list format {fmt!r}; known: {', '.join(FORMATS)}")
    if on_bad not in ON_BAD:
        raise ValueError(f"on_bad must be one of {', '.join(ON_BAD)}, got {on_bad!r}")
    scheme = _resolve_scheme(fmt, scheme)
    records, find = _records(path, fmt, image_root, scheme.num_points)
    located = []  # (source, record, image path) or (source, _Bad, None), in list order
    for file, line, record in records:
        try:
            if isinstance(record, _Bad):
                raise record
            located.append((f"{file}:{line}", record, find(record.image)))
        except _Bad as bad:
            located.append((f"{file}:{line}", bad, None))
    sizes = _checked_sizes([image for _, _, image in located]) if check_images else [None] * len(located)
    samples, skipped = [], []
    for (source, record, image), size in zip(located, sizes):
        try:
            if isinstance(record, _Bad):
                raise record
            if isinstance(size, DataError):
                raise _Bad(str(size))
            samples.append(_to_sample(record, source, image, scheme.attribute_names, size))
        except _Bad as bad:
            if bad.at:  # the .pts line of the point: the record's source, or named after it
                at = f"{bad.at[0]}:{bad.at[1]}"
                source, bad = (at, bad) if source.rsplit(":", 1)[0] == bad.at[0] else (source, f"{at}: {bad}")
            if on_bad == "error":
                raise DataError(f"{source}: {bad}") from None
            skipped.append((source, str(bad)))
    if not samples:
        detail = f"all {len(skipped)} records were skipped, first: {skipped[0][0]}: {skipped[0][1]}" \
            if skipped else "no records (empty list)"
        raise DataError(f"{path}: {detail}")
    return ReadResult(samples, skipped)


def _records(path: str, fmt: str, image_root: Optional[str], k: int):
    """`(records, image finder)` of a list: records yield `(file, line, record or _Bad)`."""
    if fmt != "pts":
        return ((path, n, r) for n, r in _line_records(path, fmt, k)), _ImageFinder(path, image_root)
    if os.path.isdir(path):
        if image_root:
            raise DataError(f"{path}: image_root does not apply to a folder of .pts (images sit beside them)")
        return _pts_records(path, k), _ImageFinder(path, path)  # records carry absolute image paths
    if not os.path.exists(path):
        raise DataError(f"{path}: no such folder of .pts files or list of them")
    finder = _ImageFinder(path, image_root)
    return _pts_list_records(path, k, finder), finder


def samples_to_arrays(samples: Sequence[Sample], num_attributes: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Stacks samples into arrays for `tf.data`.

    Args:
      num_attributes: width A of `attributes` (longer flags are cut); default: the samples' widest.

    Returns:
      `paths` (N,) str; `points` (N, K, 2) float32; `boxes` (N, 4) float32, NaN rows where a sample
      has no box; `has_box` (N,) bool; `attributes` (N, A) int32, -1 where missing (A = 0 if none).
    """
    if not samples:
        raise ValueError("samples_to_arrays needs at least one sample")
    n = len(samples)
    if num_attributes is None:
        num_attributes = max((len(s.attributes) for s in samples if s.attributes is not None), default=0)
    boxes = np.full((n, 4), np.nan, np.float32)
    attributes = np.full((n, num_attributes), -1, np.int32)
    for i, s in enumerate(samples):
        if s.box is not None:
            boxes[i] = s.box
        if s.attributes is not None:
            flags = s.attributes[:num_attributes]
            attributes[i, :len(flags)] = flags
    return {
        "paths": np.array([s.image_path for s in samples], dtype=str),
        "points": np.stack([s.points for s in samples]).astype(np.float32),
        "boxes": boxes,
        "has_box": np.array([s.box is not None for s in samples], bool),
        "attributes": attributes,
    }
