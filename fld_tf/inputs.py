"""Training inputs: the run's data root, its training list (or TFRecord shards) read and checked,
the seeded train/validation split and the `tf.data` pipelines built from them.

Training (`fld_tf.train`) and int8 calibration and QAT (`export.quantize`) take their inputs from
here, so both see the same split, crops, augmentation and loss weights.

Example:
  root = data_root(cfg)
  inputs = build_inputs(cfg, get_scheme(cfg.data.scheme), root, cfg.data.batch_size)
  model.fit(inputs.train, validation_data=inputs.val, ...)
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from fld_tf import geometry, losses, pipeline
from fld_tf.config import Config
from fld_tf.data import tfrecord
from fld_tf.data.download import find_root
from fld_tf.data.sample import DataError


@dataclasses.dataclass
class Inputs:
    """Training and validation datasets (global batches) and what the model needs to know of them."""

    train: tf.data.Dataset
    val: Optional[tf.data.Dataset]
    train_count: int
    val_count: int
    mean_shape: Optional[np.ndarray]  # (2K,) mean target, initialises a regression head's bias
    skipped: int = 0                  # bad records left out (data.on_bad=skip)


def data_root(cfg: Config) -> Optional[str]:
    """The run's data root (`find_root` of `data.dataset`, `data.root`); None when every list of
    the run is an absolute path, so that a named dataset is not fetched for nothing."""
    paths = [cfg.data.train_list] + [item.list for item in cfg.data.eval_lists]
    if cfg.data.dataset and all(os.path.isabs(p) for p in paths):
        return None
    return find_root(cfg.data.dataset, cfg.data.root, cfg.data.download)


def split_train_val(samples, fraction: float, seed: int):
    """Holds out a seeded random `fraction` of the training list for model selection."""
    if fraction <= 0:
        return list(samples), []
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(fraction * len(samples))))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [samples[i] for i in train], [samples[i] for i in val]


def mean_target(arrays, cfg: Config) -> Optional[np.ndarray]:
    """Mean landmark target `(2K,)` of un-augmented crops, in normalised crop coordinates; None
    for the heatmap and simcc heads, which have no regression bias to start there."""
    if cfg.model.head in ("heatmap", "simcc"):
        return None
    size = cfg.model.input_size
    crops = [geometry.encode(p, sq, size) for p, sq in zip(arrays["points"], arrays["square"])]
    return np.mean(crops, axis=0).reshape(-1)


def _attribute_index(key: str, name: str, scheme, attributes: np.ndarray, instead: str) -> Optional[int]:
    """Column of attribute `name` (option `key`); None when unset or the data lacks it (said, with
    what happens `instead`)."""
    if not name:
        return None
    if name not in scheme.attribute_names or not attributes.size:
        print(f"{key}={name}: scheme {scheme.name} lists carry no such attribute; {instead}")
        return None
    return scheme.attribute_names.index(name)


def balance_for(cfg: Config, scheme, attributes: np.ndarray) -> Optional[pipeline.Balance]:
    """`train.balance_attribute` as `(index, weights)`, or None when off or the data lacks it."""
    name = cfg.train.balance_attribute
    index = _attribute_index("train.balance_attribute", name, scheme, attributes, "training unweighted")
    if index is None:
        return None
    table = losses.class_balance_weights(attributes[:, index], cfg.train.balance_power)
    print(f"loss weight by {name} class: " + ", ".join(f"{w:.2f}" for w in table[1:]))
    return index, table


def resample_for(cfg: Config, scheme, attributes: np.ndarray) -> Optional[pipeline.Resample]:
    """`data.resample_attribute` as `(index, acceptance per class row)`, or None when off or the
    data lacks it.

    Known classes are drawn in proportion to frequency ** (1 - power) (unknown ones keep their
    share); a class of the list is accepted with probability target / frequency, scaled so that
    the most under-represented class is always kept, as is a class the rows do not hold.
    """
    name, power = cfg.data.resample_attribute, cfg.data.resample_power
    index = _attribute_index("data.resample_attribute", name, scheme, attributes, "sampling as listed")
    if index is None:
        return None
    rows = np.clip(attributes[:, index].astype(np.int64) + 1, 0, None)
    counts = np.bincount(rows).astype(np.float64)
    initial = counts / counts.sum()
    target = np.where(counts > 0, counts ** (1.0 - power), 0.0)
    target[0] = 0.0
    if target.sum() > 0:
        target *= initial[1:].sum() / target.sum()
    target[0] = initial[0]
    ratio = np.divide(target, initial, out=np.zeros_like(target), where=initial > 0)
    # A class these rows lack (absent, or past the first records of shards) is always kept; the
    # extra last row stands for every class above the highest one seen.
    accept = np.append(np.where(counts > 0, ratio / ratio.max(), 1.0), 1.0).astype(np.float32)
    print(f"sampling by {name} class: " + ", ".join(f"{t:.1%}" for t in target[1:])
          + f" of draws (listed: {', '.join(f'{p:.1%}' for p in initial[1:])}), "
          f"{kept_fraction((index, accept), attributes):.0%} of the stream kept")
    return index, accept


def kept_fraction(resample: Optional[pipeline.Resample], attributes: np.ndarray) -> float:
    """The share of `attributes`' rows that `resample` (from `resample_for`) accepts on average: a
    batch of B draws B / kept_fraction elements from the cached stream. 1 without resampling."""
    if resample is None:
        return 1.0
    index, accept = resample
    rows = np.clip(attributes[:, index].astype(np.int64) + 1, 0, len(accept) - 1)
    return float(np.mean(accept[rows]))


def extra_arrays(cfg: Config, scheme, root: Optional[str]) -> list:
    """The `data.extra_train` lists as `pipeline.sample_arrays`, points reduced to `scheme`."""
    from fld_tf.schemes import get_scheme

    out = []
    for item in cfg.data.extra_train:
        own = get_scheme(item.scheme or scheme.name)
        samples = pipeline.read_samples(cfg.data, root, item.list, item.format, own)
        if own.name != scheme.name:
            samples = [dataclasses.replace(s, points=own.to_subset5(s.points), attributes=None)
                       for s in samples]
        out.append(pipeline.sample_arrays(samples, cfg.data.crop, item.crop, len(scheme.attribute_names)))
        print(f"extra training list {item.list}: {len(samples)} faces"
              + (f" ({own.name} reduced to {scheme.name})" if own.name != scheme.name else ""))
    return out


def list_inputs(cfg: Config, scheme, root: Optional[str], global_batch: int) -> Inputs:
    """Inputs from a landmark list, every image checked first, with the seeded `split_train_val`."""
    result = pipeline.read_checked(cfg.data, root, cfg.data.train_list, cfg.data.train_format, scheme)
    samples = result.samples[:cfg.data.limit] if cfg.data.limit else result.samples
    train_samples, val_samples = split_train_val(samples, cfg.data.val_fraction, cfg.data.seed)
    if not train_samples:
        raise DataError(f"{cfg.data.train_list}: no training samples left after data.val_fraction "
                        f"{cfg.data.val_fraction:g} of {len(samples)}")
    n_attr, size = len(scheme.attribute_names), cfg.model.input_size
    train_arrays = pipeline.sample_arrays(train_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
    extra = extra_arrays(cfg, scheme, root)
    if extra:
        train_arrays = {key: np.concatenate([train_arrays[key]] + [e[key] for e in extra])
                        for key in train_arrays}
    train_count = len(train_arrays["path"])
    train_ds = pipeline.build_dataset(cfg.data, scheme, size, train_arrays, training=True,
                                      batch_size=global_batch,
                                      balance=balance_for(cfg, scheme, train_arrays["attributes"]),
                                      resample=resample_for(cfg, scheme, train_arrays["attributes"]))
    val_ds = None
    if val_samples:
        val_arrays = pipeline.sample_arrays(val_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
        val_ds = pipeline.build_dataset(cfg.data, scheme, size, val_arrays, training=False,
                                        batch_size=global_batch)
    return Inputs(train_ds, val_ds, train_count, len(val_samples), mean_target(train_arrays, cfg),
                  len(result.skipped))


def record_inputs(cfg: Config, scheme, root: Optional[str], global_batch: int) -> Inputs:
    """Inputs from TFRecord shards (`data.train_format: tfrecord`), hold-out by `tfrecord.is_val`.

    Images were checked when the shards were packed (`python -m fld_tf.data pack`).
    """
    if cfg.data.extra_train:
        raise DataError("data.extra_train: only with a training list, not with data.train_format "
                        "tfrecord")
    path = cfg.data.train_list
    files = tfrecord.find_shards(path if os.path.isabs(path) else os.path.join(root or os.getcwd(), path))
    stored = tfrecord.read_scheme(files)
    if stored != scheme.name:
        raise DataError(f"{files[0]}: shards hold scheme {stored!r}, data.scheme is {scheme.name!r}")
    n_train, n_val = pipeline.record_split_counts(cfg.data, files)
    if not n_train:
        raise DataError(f"{cfg.data.train_list}: no training records after data.limit and data.val_fraction")
    size, crop = cfg.model.input_size, cfg.data.train_crop
    # Class frequencies for the loss balance and the resampling come from the same first records as the mean shape.
    annotations = pipeline.record_annotations(cfg.data, scheme, files, crop)
    balance = balance_for(cfg, scheme, annotations["attributes"])
    resample = resample_for(cfg, scheme, annotations["attributes"])
    build = lambda training, split: pipeline.build_record_dataset(  # noqa: E731
        cfg.data, scheme, size, files, training, split, crop, batch_size=global_batch,
        balance=balance if training else None, resample=resample if training else None)
    val_ds = build(False, "val") if n_val else None
    return Inputs(build(True, "train"), val_ds, n_train, n_val, mean_target(annotations, cfg))


def build_inputs(cfg: Config, scheme, root: Optional[str], global_batch: int) -> Inputs:
    """The run's inputs from its list or, with `data.train_format: tfrecord`, its shards."""
    build = record_inputs if cfg.data.train_format == "tfrecord" else list_inputs
    return build(cfg, scheme, root, global_batch)
