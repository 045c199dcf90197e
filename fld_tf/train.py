"""Train a landmark model on a list of annotated faces.

Usage:
  python -m fld_tf.train                                   # default recipe on MTFL
  python -m fld_tf.train --config fld_tf/configs/mnv2-a050_wing_b64-30e_mtfl-96.yaml --run-dir runs/a050
  python -m fld_tf.train --run-dir runs/a050 --resume      # after a kill: continue where it stopped
  python -m fld_tf.train -o train.epochs=5 -o model.alpha=0.35
  python -m fld_tf.train --strategy mirrored --mixed-precision       # all local GPUs, float16 compute
  python -m fld_tf.train -o data.train_list=/data/mtfl-records -o data.train_format=tfrecord

Multi-device and multi-machine training (`--strategy mirrored|multiworker`, batch and learning-rate
scaling, sharding, who writes what) is described in `fld_tf/distribute.py`.

A run directory holds `config.yaml`, `history.csv`, TensorBoard logs, `checkpoints/` (best and
last weights), `backup/` (full training state while running), `model.keras` and `saved_model/`
(the best deployable model) and `metrics.json`.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from typing import Optional

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras

from fld_tf import distribute, evaluate, geometry, keras_metrics, losses, pipeline
from fld_tf.config import Config, ConfigError, load_config, save_config
from fld_tf.data import tfrecord
from fld_tf.data.download import resolve_root
from fld_tf.data.sample import DataError
from fld_tf.distribute import STRATEGIES
from fld_tf.io import atomic_path, write_json
from fld_tf.model import ATTRIBUTE_CLASSES, build_model, deployable, landmark_model
from fld_tf.schemes import get_scheme


def split_train_val(samples, fraction: float, seed: int):
    """Holds out a seeded random `fraction` of the training list for model selection."""
    if fraction <= 0:
        return list(samples), []
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(fraction * len(samples))))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [samples[i] for i in train], [samples[i] for i in val]


def build_optimizer(train_cfg, steps_per_epoch: int, replicas: int = 1):
    """AdamW with linear warm-up and cosine decay to zero over the whole run.

    The peak rate is `train_cfg.learning_rate` scaled for `replicas` by `train_cfg.lr_scaling`.
    """
    total = max(1, train_cfg.epochs * steps_per_epoch)
    warmup = min(int(train_cfg.warmup_epochs * steps_per_epoch), total - 1)
    peak = distribute.scaled_learning_rate(train_cfg.learning_rate, replicas, train_cfg.lr_scaling)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else peak,
        decay_steps=total - warmup, warmup_target=peak if warmup else None, warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=train_cfg.weight_decay)
    # Decaying BatchNorm scales and biases only fights the normalisation.
    optimizer.exclude_from_weight_decay(var_names=["bn", "BN", "bias", "beta", "gamma"])
    return optimizer


def mean_target(arrays, cfg: Config) -> Optional[np.ndarray]:
    """Mean landmark target `(2K,)` of un-augmented crops, in normalised crop coordinates; None
    for the heatmap head, which has no regression bias to start there."""
    if cfg.model.head == "heatmap":
        return None
    size = cfg.model.input_size
    crops = [geometry.encode(p, sq, size) for p, sq in zip(arrays["points"], arrays["square"])]
    return np.mean(crops, axis=0).reshape(-1)


def compile_model(model, cfg: Config, scheme, steps_per_epoch: int, replicas: int = 1) -> None:
    """Compiles with the configured losses and optimizer; under mixed_float16 Keras wraps the
    optimizer in a `LossScaleOptimizer` (dynamic loss scaling)."""
    loss = {"landmarks": losses.build_loss(cfg.train, cfg.model.input_size)}
    weights = {"landmarks": 1.0}
    if "attributes" in model.output_names:
        loss["attributes"] = losses.attribute_loss(ATTRIBUTE_CLASSES[scheme.name])
        weights["attributes"] = cfg.train.attribute_weight
    model.compile(optimizer=build_optimizer(cfg.train, steps_per_epoch, replicas), loss=loss,
                  loss_weights=weights, metrics={"landmarks": [keras_metrics.NormalizedMeanError(scheme)]},
                  jit_compile=cfg.train.jit_compile)


def _targets_for(model):
    """Drops targets the model has no output for (e.g. attributes without the attribute head)."""
    names = set(model.output_names)
    return lambda x, y, *weight: (x, {k: v for k, v in y.items() if k in names}, *weight)


def balance_for(cfg: Config, scheme, attributes: np.ndarray) -> Optional[pipeline.Balance]:
    """`train.balance_attribute` as `(index, weights)`, or None when off or the data lacks it."""
    name = cfg.train.balance_attribute
    if not name:
        return None
    if name not in scheme.attribute_names or not attributes.size:
        print(f"train.balance_attribute={name}: scheme {scheme.name} lists carry no such attribute; "
              "training unweighted")
        return None
    index = scheme.attribute_names.index(name)
    table = losses.class_balance_weights(attributes[:, index], cfg.train.balance_power)
    print(f"loss weight by {name} class: " + ", ".join(f"{w:.2f}" for w in table[1:]))
    return index, table


def make_callbacks(run_dir: str, monitor: str, resume: bool, out_dir: Optional[str] = None):
    """Backup (in `run_dir`, shared by all workers), checkpoints and logs (in `out_dir`, default `run_dir`).

    Every worker passes the same backup folder: Keras makes non-chief workers write theirs to a
    temporary sub-folder and restores every worker from the chief's.
    """
    out_dir = out_dir or run_dir
    ckpt = os.path.join(out_dir, "checkpoints")
    return [
        keras.callbacks.BackupAndRestore(os.path.join(run_dir, "backup")),
        keras.callbacks.ModelCheckpoint(os.path.join(ckpt, "best.weights.h5"), monitor=monitor,
                                        mode="min", save_best_only=True, save_weights_only=True),
        keras.callbacks.ModelCheckpoint(os.path.join(ckpt, "last.weights.h5"), save_weights_only=True),
        keras.callbacks.CSVLogger(os.path.join(out_dir, "history.csv"), append=resume),
        keras.callbacks.TensorBoard(os.path.join(out_dir, "tensorboard"), update_freq="epoch"),
        keras.callbacks.TerminateOnNaN(),
    ]


def save_deployable(model, serving, run_dir: str) -> None:
    """Writes `model.keras` (the landmark model, which evaluation and export load) and
    `saved_model/` (`serving`: what evaluation measures, flip averaging included), atomically."""
    with atomic_path(os.path.join(run_dir, "model.keras")) as tmp:
        os.remove(tmp)
        landmark_model(model).save(tmp + ".keras")
        os.replace(tmp + ".keras", tmp)
    with atomic_path(os.path.join(run_dir, "saved_model"), is_dir=True) as tmp:
        tf.saved_model.save(serving, tmp)


@dataclasses.dataclass
class Inputs:
    """Training and validation datasets (global batches) and what the model needs to know of them."""

    train: tf.data.Dataset
    val: Optional[tf.data.Dataset]
    train_count: int
    val_count: int
    mean_shape: Optional[np.ndarray]  # (2K,) mean target, initialises a regression head's bias


def _list_path(cfg: Config, root: Optional[str]) -> str:
    path = cfg.data.train_list
    return path if os.path.isabs(path) or root is None else os.path.join(root, path)


def list_inputs(cfg: Config, scheme, root: str, global_batch: int) -> Inputs:
    """Inputs from a landmark list, with the seeded `split_train_val` hold-out."""
    samples = pipeline.read_samples(cfg.data, root, cfg.data.train_list, cfg.data.train_format, scheme)
    if cfg.data.limit:
        samples = samples[:cfg.data.limit]
    train_samples, val_samples = split_train_val(samples, cfg.data.val_fraction, cfg.data.seed)
    n_attr, size = len(scheme.attribute_names), cfg.model.input_size
    train_arrays = pipeline.sample_arrays(train_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
    train_ds = pipeline.build_dataset(cfg.data, scheme, size, train_arrays, training=True,
                                      batch_size=global_batch,
                                      balance=balance_for(cfg, scheme, train_arrays["attributes"]))
    val_ds = None
    if val_samples:
        val_arrays = pipeline.sample_arrays(val_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
        val_ds = pipeline.build_dataset(cfg.data, scheme, size, val_arrays, training=False,
                                        batch_size=global_batch)
    return Inputs(train_ds, val_ds, len(train_samples), len(val_samples), mean_target(train_arrays, cfg))


def record_inputs(cfg: Config, scheme, root: Optional[str], global_batch: int) -> Inputs:
    """Inputs from TFRecord shards (`data.train_format: tfrecord`), hold-out by `tfrecord.is_val`."""
    files = tfrecord.find_shards(_list_path(cfg, root))
    stored = tfrecord.read_scheme(files)
    if stored != scheme.name:
        raise DataError(f"{files[0]}: shards hold scheme {stored!r}, data.scheme is {scheme.name!r}")
    n_train, n_val = pipeline.record_split_counts(cfg.data, files)
    if not n_train:
        raise DataError(f"{cfg.data.train_list}: no training records after data.limit and data.val_fraction")
    size, crop = cfg.model.input_size, cfg.data.train_crop
    # Class frequencies for the loss balance come from the same first records as the mean shape.
    annotations = pipeline.record_annotations(cfg.data, scheme, files, crop)
    balance = balance_for(cfg, scheme, annotations["attributes"])
    build = lambda training, split: pipeline.build_record_dataset(  # noqa: E731
        cfg.data, scheme, size, files, training, split, crop, batch_size=global_batch,
        balance=balance if training else None)
    val_ds = build(False, "val") if n_val else None
    return Inputs(build(True, "train"), val_ds, n_train, n_val, mean_target(annotations, cfg))


def _needs_root(cfg: Config) -> bool:
    return bool(cfg.data.eval_lists) or not (cfg.data.train_format == "tfrecord"
                                             and os.path.isabs(cfg.data.train_list))


def train(cfg: Config, run_dir: str, resume: bool = False) -> dict:
    """Trains, keeps the best checkpoint, evaluates it on `cfg.data.eval_lists`; returns metrics.

    Under `multiworker` every worker calls this; only the chief writes to `run_dir` (see
    `fld_tf.distribute`), and only the chief evaluates.
    """
    if cfg.train.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    # First TensorFlow call of the run: MultiWorkerMirroredStrategy must precede every other op.
    strategy = distribute.build_strategy(cfg.train.strategy)
    if cfg.data.deterministic:
        keras.utils.set_random_seed(cfg.data.seed)  # same initial weights under every strategy
    replicas = strategy.num_replicas_in_sync
    global_batch = cfg.data.batch_size * replicas
    scheme = get_scheme(cfg.data.scheme)
    root = resolve_root(cfg.data.dataset, cfg.data.root, cfg.data.download) if _needs_root(cfg) else None
    build_inputs = record_inputs if cfg.data.train_format == "tfrecord" else list_inputs
    inputs = build_inputs(cfg, scheme, root, global_batch)
    steps = cfg.train.steps_per_epoch or pipeline.steps_for(inputs.train_count, global_batch)
    with strategy.scope():
        model = build_model(cfg.model, scheme, mean_shape=inputs.mean_shape)
        compile_model(model, cfg, scheme, steps, replicas)
    select = _targets_for(model)
    val_ds = inputs.val.map(select) if inputs.val is not None else None
    monitor = "loss" if val_ds is None else \
        "val_landmarks_nme" if "attributes" in model.output_names else "val_nme"
    chief = strategy.extended.should_checkpoint
    peak = distribute.scaled_learning_rate(cfg.train.learning_rate, replicas, cfg.train.lr_scaling)
    print(f"strategy {cfg.train.strategy}: {replicas} replica(s), global batch {global_batch} "
          f"({cfg.data.batch_size} per replica), peak learning rate {peak:g} (lr_scaling "
          f"{cfg.train.lr_scaling}), {inputs.train_count} training samples, {steps} steps per epoch")
    with distribute.output_dir(run_dir, chief) as out_dir:
        started = time.time()
        history = model.fit(inputs.train.map(select), epochs=cfg.train.epochs, steps_per_epoch=steps,
                            validation_data=val_ds, verbose=cfg.train.verbose,
                            callbacks=make_callbacks(run_dir, monitor, resume, out_dir))
        seconds = time.time() - started
        # On every worker: reading mirrored BatchNorm statistics is a collective under multiworker.
        weights = model.get_weights()
    results = {"train_samples": inputs.train_count, "val_samples": inputs.val_count,
               "epochs": cfg.train.epochs, "steps_per_epoch": steps, "replicas": replicas,
               "global_batch": global_batch, "peak_learning_rate": peak,
               "optimizer_steps": int(model.optimizer.iterations.numpy()),
               "fit_seconds_this_session": round(seconds, 1),
               "final_train_loss": float(history.history["loss"][-1]) if history.history else None,
               "eval": {}}
    if chief:
        finish_run(weights, cfg, scheme, root, run_dir, results)
    return results


def finish_run(weights, cfg: Config, scheme, root: Optional[str], run_dir: str, results: dict) -> None:
    """The chief's part after training: the best checkpoint in a plain (undistributed) model, saved
    as the deployable model, evaluated on `cfg.data.eval_lists`; `metrics.json` last."""
    plain = build_model(cfg.model, scheme)
    plain.set_weights(weights)
    best = os.path.join(run_dir, "checkpoints", "best.weights.h5")
    if os.path.exists(best):
        plain.load_weights(best)
    deploy = deployable(plain, cfg.model, scheme)
    save_deployable(plain, deploy, run_dir)
    for item in cfg.data.eval_lists:
        summary = evaluate.evaluate_list(deploy, cfg, scheme, root, item.list, item.format, item.crop,
                                         run_dir, item.name)
        results["eval"][item.name] = summary
        print(evaluate.format_summary(item.name, summary))
    write_json(os.path.join(run_dir, "metrics.json"), results)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=None, help="YAML recipe (default: the built-in defaults)")
    parser.add_argument("--run-dir", default=None, help="output folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument("--data-root", default=None, help="dataset folder (else $FLD_DATA, else the cache)")
    parser.add_argument("--strategy", choices=STRATEGIES, default=None,
                        help="tf.distribute strategy (see fld_tf/distribute.py); multiworker reads TF_CONFIG")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="mixed_float16 compute with dynamic loss scaling; the head stays float32")
    parser.add_argument("--jit-compile", action="store_true", default=None, help="compile steps with XLA")
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. -o train.epochs=5 (repeatable)")
    args = parser.parse_args(argv)
    name = os.path.splitext(os.path.basename(args.config))[0] if args.config else "default"
    run_dir = args.run_dir or os.path.join("runs", name)
    saved = os.path.join(run_dir, "config.yaml")
    overrides = list(args.override)
    for flag, key in ((args.data_root, "data.root"), (args.strategy, "train.strategy"),
                      (args.mixed_precision, "train.mixed_precision"), (args.jit_compile, "train.jit_compile")):
        if flag is not None:
            overrides.append(f"{key}={flag}")
    try:
        if args.resume and not os.path.exists(saved):
            shared = " (under multiworker every worker must see the run dir)" if "TF_CONFIG" in os.environ else ""
            raise ConfigError(f"--resume: {saved} not found; nothing to resume in {run_dir}{shared}")
        cfg = load_config(args.config or (saved if args.resume else None), overrides)
        chief = distribute.is_chief(cfg.train.strategy)
        if chief:  # other workers leave the run dir to the chief (they may share it)
            if not args.resume and os.path.exists(saved):
                raise ConfigError(f"--run-dir: {run_dir} already holds a run; pass --resume to "
                                  "continue it or choose another --run-dir")
            os.makedirs(run_dir, exist_ok=True)
            save_config(cfg, saved)
        results = train(cfg, run_dir, resume=args.resume)
    except (ConfigError, DataError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not chief:
        print(f"Worker done; the chief wrote the run to its {run_dir}")
        return 0
    print(f"Run saved to {run_dir}\n  Evaluate: python -m fld_tf.evaluate {run_dir} --list testing.txt "
          f"--format mtfl --crop image\n  Export:   python -m export.tflite {run_dir}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
