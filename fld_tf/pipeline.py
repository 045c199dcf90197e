"""tf.data input pipeline: read -> decode -> face crop -> augment -> batch.

Training decodes each image once into a cached *context* window (the face square enlarged by
`CONTEXT_FACTOR`, so rotation, zoom and shift have real pixels to draw from), then augments from
the cache every epoch. Evaluation samples the face square straight from the image with the crop
rule of `fld_tf.geometry`, exactly as the exported model's users must.

Two sources feed the same steps: a list's column arrays (`build_dataset`: image files read one by
one, sharded between workers by element, `AutoShardPolicy.DATA`) and packed TFRecord shards
(`build_record_dataset`: parallel interleave over the shards, sharded between workers by file,
`AutoShardPolicy.FILE`; see `fld_tf.data.tfrecord`).
"""
from __future__ import annotations

import math
import os
import sys
from typing import Dict, Optional, Sequence, Tuple

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from fld_tf import augment, geometry
from fld_tf.data import tfrecord
from fld_tf.warp import crop_square as square_in_graph, round_pixels, sampling_matrix, to_crop, warp
from fld_tf.data.readers import image_size, read_list, samples_to_arrays
from fld_tf.data.sample import Sample
from fld_tf.schemes import PointScheme

AUTOTUNE = tf.data.AUTOTUNE
# (attribute index, per-class loss weights from `losses.class_balance_weights`)
Balance = Tuple[int, np.ndarray]
# (attribute index, per-class acceptance probabilities from `inputs.resample_for`), rows as `Balance`'s
Resample = Tuple[int, np.ndarray]
CONTEXT_FACTOR = 2.0     # context window side / face square side
CONTEXT_RESOLUTION = 1.5  # context pixels per model-input pixel (keeps augmented crops sharp)
RECORD_READERS = 8        # shards read at once by the parallel interleave
MEAN_TARGET_RECORDS = 1024  # records read for the mean-shape initialisation from shards


def crop_squares(samples: Sequence[Sample], crop_cfg, source: str) -> np.ndarray:
    """The crop square `(cx, cy, side)` of each sample, shape `(N, 3)`."""
    squares = np.empty((len(samples), 3), np.float32)
    for i, s in enumerate(samples):
        size = image_size(s.image_path) if source == "image" else None
        squares[i] = geometry.crop_square(source, crop_cfg, s.points, s.box, size)
    return squares


def sample_arrays(samples: Sequence[Sample], crop_cfg, source: str, num_attributes: int = 0) -> Dict:
    """Column arrays for `tf.data`: path, points `(N, K, 2)`, square `(N, 3)`, attributes `(N, A)`."""
    columns = samples_to_arrays(samples, num_attributes)
    return {"path": columns["paths"], "points": columns["points"],
            "square": crop_squares(samples, crop_cfg, source), "attributes": columns["attributes"]}


def decode_image(path):
    """The one image decoder every consumer shares: RGB uint8 `(H, W, 3)`, accurate JPEG IDCT."""
    return _decode_bytes(tf.io.read_file(path))


def _decode_bytes(data):
    # TF's default JPEG IDCT is the fast, approximate one (up to 4 grey levels off); the accurate
    # one matches OpenCV, Pillow and the phone's decoders, so every consumer sees the same pixels.
    image = tf.cond(
        tf.io.is_jpeg(data),
        lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(data, channels=3, expand_animations=False))
    image.set_shape([None, None, 3])
    return image


def _load_image(e):
    """Decodes an element's image: packed bytes (`image`) or a file (`path`)."""
    return _decode_bytes(e["image"]) if "image" in e else decode_image(e["path"])


def _context_square(square):
    return tf.concat([square[:2], square[2:] * CONTEXT_FACTOR], axis=0)


def build_dataset(data_cfg, scheme: PointScheme, input_size: int, arrays: Dict, training: bool,
                  batch_size: Optional[int] = None, repeat: bool = False,
                  balance: Optional[Balance] = None,
                  resample: Optional[Resample] = None) -> tf.data.Dataset:
    """Batches of `(image, targets)`: images `(B, S, S, 3)` float32 pixels 0..255, targets a dict
    with `landmarks` `(B, 2K)` in normalised crop coordinates and `attributes` `(B, A)`.

    Args:
      data_cfg: a `DataConfig` (batch size, augmentation, cache, seed, determinism).
      scheme: the point scheme (flip permutation).
      input_size: model input side `S`.
      arrays: output of `sample_arrays`.
      training: random augmentation and shuffling when True; the plain crop rule otherwise.
      batch_size: the batch `B` (default `data_cfg.batch_size`); under `tf.distribute`, the global batch.
      balance: training only: `(attribute index, losses.class_balance_weights table)`; batches then
        carry a third element, each sample's loss weight.
      resample: training only: draw samples by attribute class (`inputs.resample_for`).
    """
    ds = tf.data.Dataset.from_tensor_slices(arrays)
    # Every worker reads the whole list and keeps its share of the elements.
    policy = tf.data.experimental.AutoShardPolicy.DATA
    return _finish(ds, data_cfg, scheme, input_size, training, batch_size, repeat, policy, balance,
                   resample)


def build_record_dataset(data_cfg, scheme: PointScheme, input_size: int, files: Sequence[str],
                         training: bool, split: str = "all", crop_source: str = "auto",
                         batch_size: Optional[int] = None, repeat: bool = False,
                         balance: Optional[Balance] = None,
                         resample: Optional[Resample] = None) -> tf.data.Dataset:
    """`build_dataset` reading TFRecord shards packed by `python -m fld_tf.data pack`.

    Args:
      files: shard paths (`tfrecord.find_shards`), the same sorted list on every worker.
      split: `train` or `val` keep the records `tfrecord.is_val` assigns to that side at
        `data_cfg.val_fraction`; `all` keeps every record. `data_cfg.limit` keeps list indices below it.
      crop_source: the crop rule (`geometry.CROP_SOURCES`), applied in-graph to each record.
    """
    files_ds = tf.data.Dataset.from_tensor_slices(list(files))
    if training:
        # A fixed seed gives every worker the same file order, which sharding by file relies on.
        files_ds = files_ds.shuffle(len(files), seed=data_cfg.seed)
    ds = files_ds.interleave(tf.data.TFRecordDataset, cycle_length=min(len(files), RECORD_READERS),
                             num_parallel_calls=AUTOTUNE)
    k, a = scheme.num_points, len(scheme.attribute_names)

    def element(record):
        r = tfrecord.parse(record, k, a)
        square = square_in_graph(crop_source, data_cfg.crop, r["points"], r["box"], r["has_box"],
                                      r["size"])
        return {"image": r["image"], "points": r["points"], "square": square,
                "attributes": r["attributes"], "index": r["index"]}

    ds = ds.map(element, num_parallel_calls=AUTOTUNE).filter(_record_filter(data_cfg, split))
    # Each worker reads only its own shards.
    policy = tf.data.experimental.AutoShardPolicy.FILE
    return _finish(ds, data_cfg, scheme, input_size, training, batch_size, repeat, policy, balance,
                   resample)


def _record_filter(data_cfg, split: str):
    if split not in ("all", "train", "val"):
        raise ValueError(f"split must be all, train or val, got {split!r}")
    fraction, seed, limit = data_cfg.val_fraction, data_cfg.seed, data_cfg.limit

    def keep(e):
        ok = e["index"] < limit if limit else tf.constant(True)
        if split != "all":
            val = tfrecord.is_val(e["index"], fraction, seed) if fraction > 0 else tf.constant(False)
            ok = ok & (val if split == "val" else ~val)
        return ok

    return keep


def _finish(ds, data_cfg, scheme, input_size, training, batch_size, repeat, shard_policy, balance,
            resample=None):
    batch_size = batch_size or data_cfg.batch_size
    options = tf.data.Options()
    options.deterministic = bool(data_cfg.deterministic or not training)
    options.experimental_distribute.auto_shard_policy = shard_policy
    ds = ds.with_options(options)
    if training:
        ds = _training(ds, data_cfg, scheme, input_size, balance, resample)
    else:
        ds = ds.map(lambda e: _eval_element(e, input_size), num_parallel_calls=AUTOTUNE)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def _eval_element(e, size):
    matrix = sampling_matrix(e["square"], size)
    image = round_pixels(warp(_load_image(e), matrix, size))
    points = to_crop(e["points"], matrix, size)
    return image, {"landmarks": tf.reshape(points, [-1]), "attributes": e["attributes"]}


def _attribute_class(e, index, classes):
    """Row of a `Balance` / `Resample` table: 0 for unknown (-1), else class + 1."""
    return tf.clip_by_value(tf.cast(e["attributes"][index], tf.int32) + 1, 0, classes - 1)


def _training(ds, data_cfg, scheme, size, balance=None, resample=None):
    context = int(round(size * CONTEXT_FACTOR * CONTEXT_RESOLUTION))

    def load_context(e):
        matrix = sampling_matrix(_context_square(e["square"]), context)
        image = tf.cast(round_pixels(warp(_load_image(e), matrix, context)), tf.uint8)
        points = to_crop(e["points"], matrix, context) * context - 0.5  # context pixel coords
        context_e = {"image": image, "points": points, "attributes": e["attributes"]}
        if "index" in e:
            context_e["index"] = e["index"]
        return context_e

    ds = ds.map(load_context, num_parallel_calls=AUTOTUNE)
    if data_cfg.cache:
        ds = ds.cache()
    seed = data_cfg.seed if data_cfg.deterministic else None
    ds = ds.shuffle(data_cfg.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()

    # One independent stateless seed per element keeps augmentation reproducible in deterministic
    # mode and free of shared RNG state across the parallel augmentation calls. The seeds are drawn
    # by a sequential map (so in a fixed order), not zipped from `Dataset.random`: a second source
    # would stop `AutoShardPolicy.FILE` from finding the shard files.
    def with_seed(e):
        pair = tf.random.uniform([2], maxval=2 ** 62, dtype=tf.int64, seed=seed)
        if "index" in e:
            # Workers reading different shards draw the same sequence; the record index decorrelates them.
            pair += tf.stack([tf.constant(0, tf.int64), e.pop("index")])
        return e, pair

    ds = ds.map(with_seed)
    if resample is not None:
        # Rejection sampling from the cached stream (a dropped element costs a cache read, not a
        # decode), one iterator: tf.data's rejection_resample mixes in a second pass over the
        # dataset, which would iterate the cache twice.
        index, accept = resample
        accept = tf.constant(accept, tf.float32)

        def keep(e, pair):
            draw = tf.random.stateless_uniform([], seed=tf.random.experimental.stateless_fold_in(pair, 1))
            return draw < tf.gather(accept, _attribute_class(e, index, accept.shape[0]))

        ds = ds.filter(keep)
    flip_indices = tf.constant(scheme.flip_indices, tf.int32)
    aug = data_cfg.augment
    face_side = context / CONTEXT_FACTOR

    def augment_element(e, seed):
        image, points = augment.random_crop(
            e["image"], e["points"], seed, aug, size, face_side, flip_indices)
        image = augment.random_photometric(image, seed, aug)
        targets = {"landmarks": tf.reshape(points, [-1]), "attributes": e["attributes"]}
        if balance is None:
            return image, targets
        index, table = balance
        row = _attribute_class(e, index, len(table))
        return image, targets, tf.gather(tf.constant(table, tf.float32), row)

    return ds.map(augment_element, num_parallel_calls=AUTOTUNE)


def steps_for(count: int, batch_size: int) -> int:
    return max(1, math.ceil(count / batch_size))


def read_checked(data_cfg, root: Optional[str], list_path: str, fmt: str, scheme: PointScheme,
                 image_root: Optional[str] = None):
    """`read_list` with every image decoded and every point checked (`check_images`), as training,
    evaluation and the parity gate read lists; `data_cfg.on_bad` says whether a bad record stops
    the read or is skipped, and skips are reported on stderr. A relative `list_path` is under `root`
    (`fld_tf.data.download.find_root`; None: the current folder)."""
    path = list_path if os.path.isabs(list_path) else os.path.join(root or os.getcwd(), list_path)
    result = read_list(path, fmt, image_root=image_root, on_bad=data_cfg.on_bad, scheme=scheme,
                       check_images=True)
    if result.skipped:
        first = "; ".join(f"{source}: {reason}" for source, reason in result.skipped[:3])
        print(f"{path}: skipped {len(result.skipped)} bad records (data.on_bad=skip), first: {first}",
              file=sys.stderr)
    return result


def read_samples(data_cfg, root: Optional[str], list_path: str, fmt: str, scheme: PointScheme,
                 image_root: Optional[str] = None):
    """The samples of `read_checked`."""
    return read_checked(data_cfg, root, list_path, fmt, scheme, image_root).samples


def read_split(data_cfg, root: str, list_path: str, fmt: str, crop_source: str,
               scheme: PointScheme, image_root: Optional[str] = None):
    """`read_samples`, then the arrays `build_dataset` takes."""
    samples = read_samples(data_cfg, root, list_path, fmt, scheme, image_root)
    return sample_arrays(samples, data_cfg.crop, crop_source, len(scheme.attribute_names))


def record_split_counts(data_cfg, files: Sequence[str]):
    """`(train, val)` record counts of `build_record_dataset`'s `train` and `val` splits."""
    index = tfrecord.record_indices(files)
    if data_cfg.limit:
        index = index[index < data_cfg.limit]
    if data_cfg.val_fraction <= 0 or not index.size:
        return int(index.size), 0
    val = int(np.sum(tfrecord.is_val(index, data_cfg.val_fraction, data_cfg.seed).numpy()))
    return int(index.size) - val, val


def record_annotations(data_cfg, scheme: PointScheme, files: Sequence[str], crop_source: str,
                       count: int = MEAN_TARGET_RECORDS) -> Dict:
    """`points` `(N, K, 2)`, `square` `(N, 3)` and `attributes` `(N, A)` of up to `count` training
    records, images unread."""
    k = scheme.num_points
    keys = ["points", "box", "has_box", "size", "index", "attributes"]
    a = len(scheme.attribute_names)

    def annotations(record):
        r = tfrecord.parse(record, k, a, keys)
        square = square_in_graph(crop_source, data_cfg.crop, r["points"], r["box"], r["has_box"],
                                      r["size"])
        return {"points": r["points"], "square": square, "index": r["index"], "attributes": r["attributes"]}

    ds = tf.data.TFRecordDataset(list(files)).map(annotations).filter(_record_filter(data_cfg, "train"))
    rows = list(ds.take(count).as_numpy_iterator())
    if not rows:
        raise ValueError(f"{files[0]}: no training records (after data.limit and data.val_fraction)")
    return {key: np.stack([r[key] for r in rows]) for key in ("points", "square", "attributes")}
