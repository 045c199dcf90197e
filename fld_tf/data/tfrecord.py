"""Sharded TFRecords of annotated faces: `pack` writes them, `parse` reads them in-graph.

Usage:
  python -m fld_tf.data pack /data/mtfl/training.txt --format mtfl --out /data/mtfl-records --shards 16
  python -m fld_tf.train -o data.train_list=/data/mtfl-records -o data.train_format=tfrecord

Each record is one `tf.train.Example` holding the list's facts, not a config's choices:
  image       bytes  the image file exactly as read from disk (JPEG/PNG, decoded at training time)
  points      float  `(2K,)` x0, y0, x1, y1, ... in 0-based pixels
  box         float  `(4,)` face box x0, y0, x1, y1; zeros when `has_box` is 0
  has_box     int64  1 when the list gave a face box
  attributes  int64  `(A,)` 0-based class labels, -1 where missing (empty when the list has none)
  size        int64  `(2,)` image width and height, from the file header (the `image` crop rule)
  scheme      bytes  point scheme name, e.g. `mtfl5`
  path        bytes  the image's path when packed
  source      bytes  `list:line` of the record, for messages
  index       int64  position in the packed list (for `data.limit` and the train/val split)

Shard `s` of `S` holds list records `s, s + S, s + 2S, ...`: round-robin, so every shard mixes the
whole list and shard sizes differ by at most one. `manifest.json` beside the shards gives the counts,
so training knows its epoch length without reading the shards.

The crop square is computed at read time by `fld_tf.warp.crop_square`, the TF twin of `fld_tf.geometry.crop_square`
(tested against it), not stored at pack time: the crop rule (`data.crop`, `data.train_crop`) is a
training choice that gets recalibrated, and a square frozen into the shards would silently keep the old
rule, or force a repack of every dataset to change one number. The twin costs a handful of scalar ops
per record.
"""
from __future__ import annotations

import glob
import json
import os
from typing import Dict, List, Optional, Sequence

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from fld_tf.data.readers import image_size
from fld_tf.data.sample import DataError, Sample
from fld_tf.io import atomic_path, write_json

MANIFEST = "manifest.json"
SUFFIX = ".tfrecord"
# Buckets of the train/val hash: fractions are honoured to 1e-6.
_SPLIT_BUCKETS = 1_000_000


def _bytes(values: Sequence[bytes]) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))


def _floats(values) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=np.asarray(values, np.float32).ravel()))


def _ints(values) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=np.asarray(values, np.int64).ravel()))


def encode_example(sample: Sample, image: bytes, size, scheme: str, index: int) -> bytes:
    """One serialised `tf.train.Example` (fields in the module docstring)."""
    has_box = sample.box is not None
    attributes = [] if sample.attributes is None else sample.attributes
    feature = {
        "image": _bytes([image]), "points": _floats(sample.points),
        "box": _floats(sample.box if has_box else np.zeros(4)), "has_box": _ints([int(has_box)]),
        "attributes": _ints(attributes), "size": _ints(size), "scheme": _bytes([scheme.encode()]),
        "path": _bytes([sample.image_path.encode()]), "source": _bytes([sample.source.encode()]),
        "index": _ints([index]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def shard_name(stem: str, shard: int, shards: int) -> str:
    return f"{stem}-{shard:05d}-of-{shards:05d}{SUFFIX}"


def pack(samples: Sequence[Sample], scheme: str, out_dir: str, shards: int, stem: str = "data",
         about: Optional[Dict] = None) -> Dict:
    """Writes `samples` round-robin into `shards` TFRecord files and `manifest.json` in `out_dir`.

    The folder is built beside `out_dir` and renamed into place when complete, so an interrupted or
    failed pack leaves nothing behind.

    Args:
      out_dir: a new or empty folder.
      about: extra manifest entries (the list, its format).

    Returns:
      The manifest: `records`, `num_shards`, `shards` (file name -> `{shard, count}`), `scheme`, ...

    Raises:
      DataError: bad shard count, a non-empty `out_dir`, or an unreadable image.
    """
    if not 1 <= shards <= len(samples):
        raise DataError(f"--shards must be between 1 and the {len(samples)} records, got {shards}")
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        raise DataError(f"{out_dir}: not empty (holds {sorted(os.listdir(out_dir))[0]}, ...); "
                        "choose a new or empty --out folder")
    manifest = {"records": len(samples), "num_shards": shards, "scheme": scheme, **(about or {}),
                "layout": "round-robin: shard s holds list indices s, s + num_shards, ...", "shards": {}}
    with atomic_path(out_dir, is_dir=True) as tmp:
        for shard in range(shards):
            name = shard_name(stem, shard, shards)
            indices = range(shard, len(samples), shards)
            with tf.io.TFRecordWriter(os.path.join(tmp, name)) as writer:
                for i in indices:
                    writer.write(_serialise(samples[i], scheme, i))
            manifest["shards"][name] = {"shard": shard, "count": len(indices)}
        write_json(os.path.join(tmp, MANIFEST), manifest)
    return manifest


def _serialise(sample: Sample, scheme: str, index: int) -> bytes:
    try:
        with open(sample.image_path, "rb") as f:
            image = f.read()
    except OSError as e:
        raise DataError(f"{sample.source}: cannot read image {sample.image_path}: {e.strerror}") from None
    return encode_example(sample, image, image_size(sample.image_path), scheme, index)


def find_shards(spec: str) -> List[str]:
    """Shard files named by a folder (all its `*.tfrecord`), a glob, or one file; sorted.

    Every worker must list the same files in the same order for `AutoShardPolicy.FILE`.

    Raises:
      DataError: nothing matches.
    """
    if os.path.isdir(spec):
        files = glob.glob(os.path.join(glob.escape(spec), "*" + SUFFIX))
    elif glob.has_magic(spec):
        files = glob.glob(spec)
    else:
        files = [spec] if os.path.isfile(spec) else []
    if not files:
        raise DataError(f"{spec}: no TFRecord shards found (expected a folder of *{SUFFIX}, a glob or a file)")
    return sorted(os.path.abspath(f) for f in files)


FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "points": tf.io.VarLenFeature(tf.float32),
    "box": tf.io.FixedLenFeature([4], tf.float32),
    "has_box": tf.io.FixedLenFeature([], tf.int64),
    "attributes": tf.io.VarLenFeature(tf.int64),
    "size": tf.io.FixedLenFeature([2], tf.int64),
    "scheme": tf.io.FixedLenFeature([], tf.string),
    "path": tf.io.FixedLenFeature([], tf.string),
    "source": tf.io.FixedLenFeature([], tf.string),
    "index": tf.io.FixedLenFeature([], tf.int64),
}


def parse(serialized, num_points: int, num_attributes: int, keys: Optional[Sequence[str]] = None) -> Dict:
    """Parses one record: `points` `(K, 2)` float32, `attributes` `(A,)` int32 padded with -1 (or cut)
    to the scheme's `A`, `box` `(4,)`, `has_box` bool, `size` `(2,)` int32, the rest as stored.

    Args:
      keys: parse only these fields (e.g. without `image`, to read annotations cheaply).
    """
    spec = {k: v for k, v in FEATURES.items() if keys is None or k in keys}
    e = tf.io.parse_single_example(serialized, spec)
    if "points" in e:
        e["points"] = tf.reshape(tf.sparse.to_dense(e["points"]), [num_points, 2])
    if "attributes" in e:
        a = tf.cast(tf.sparse.to_dense(e["attributes"], default_value=-1), tf.int32)[:num_attributes]
        e["attributes"] = tf.ensure_shape(
            tf.pad(a, [[0, num_attributes - tf.shape(a)[0]]], constant_values=-1), [num_attributes])
    if "has_box" in e:
        e["has_box"] = e["has_box"] > 0
    if "size" in e:
        e["size"] = tf.cast(e["size"], tf.int32)
    return e


def is_val(index, fraction: float, seed: int):
    """Whether record `index` is held out for validation: a stable hash of `(seed, index)`.

    FarmHash fingerprints do not change across machines or TensorFlow versions, so every worker and
    every run agrees, whatever the shard order. The held-out share is `fraction` on average (lists
    hold out exactly `round(fraction * N)`, see `fld_tf.inputs.split_train_val`).
    """
    key = tf.strings.join([str(seed), tf.strings.as_string(index)], separator=":")
    return tf.strings.to_hash_bucket_fast(key, _SPLIT_BUCKETS) < int(round(fraction * _SPLIT_BUCKETS))


def record_indices(files: Sequence[str]) -> np.ndarray:
    """List indices of all records in `files`, from each folder's manifest, else by reading the shards."""
    indices, unlisted = [], []
    manifests = {}
    for f in files:
        folder = os.path.dirname(f)
        if folder not in manifests:
            path = os.path.join(folder, MANIFEST)
            manifests[folder] = None
            if os.path.exists(path):
                with open(path, encoding="utf-8") as m:
                    manifests[folder] = json.load(m)
        m = manifests[folder]
        entry = m and m["shards"].get(os.path.basename(f))
        if entry:
            indices.append(np.arange(entry["shard"], m["records"], m["num_shards"]))
        else:
            unlisted.append(f)
    if unlisted:
        ds = tf.data.TFRecordDataset(unlisted).map(lambda r: parse(r, 0, 0, ["index"])["index"])
        indices.append(np.fromiter(ds.as_numpy_iterator(), np.int64))
    return np.concatenate(indices) if indices else np.zeros([0], np.int64)


def read_scheme(files: Sequence[str]) -> str:
    """The point scheme name stored in the first record."""
    for record in tf.data.TFRecordDataset(files[:1]).take(1):
        return parse(record, 0, 0, ["scheme"])["scheme"].numpy().decode()
    raise DataError(f"{files[0]}: empty shard")
