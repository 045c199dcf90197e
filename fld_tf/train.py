"""Train a landmark model on a list of annotated faces.

Usage:
  python -m fld_tf.train                                   # default recipe on MTFL
  python -m fld_tf.train --config configs/mnv2-a050_wing_b64-30e_mtfl-96.yaml --run-dir runs/a050
  python -m fld_tf.train --run-dir runs/a050 --resume      # after a kill: continue where it stopped
  python -m fld_tf.train -o train.epochs=5 -o model.alpha=0.35

A run directory holds `config.yaml`, `history.csv`, TensorBoard logs, `checkpoints/` (best and
last weights), `backup/` (full training state while running), `model.keras` and `saved_model/`
(the best deployable model) and `metrics.json`.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras

from fld_tf import evaluate, geometry, losses, metrics, pipeline
from fld_tf.config import Config, ConfigError, load_config, save_config
from fld_tf.data.download import resolve_root
from fld_tf.data.sample import DataError
from fld_tf.io import atomic_path, write_json
from fld_tf.model import ATTRIBUTE_CLASSES, build_model, landmark_model
from fld_tf.schemes import get_scheme

STRATEGIES = ("default", "mirrored")


def build_strategy(name: str) -> tf.distribute.Strategy:
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ConfigError(f"train.strategy: unknown {name!r}; expected one of {', '.join(STRATEGIES)}")


def split_train_val(samples, fraction: float, seed: int):
    """Holds out a seeded random `fraction` of the training list for model selection."""
    if fraction <= 0:
        return list(samples), []
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(fraction * len(samples))))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [samples[i] for i in train], [samples[i] for i in val]


def build_optimizer(train_cfg, steps_per_epoch: int):
    """AdamW with linear warm-up and cosine decay to zero over the whole run."""
    total = max(1, train_cfg.epochs * steps_per_epoch)
    warmup = min(int(train_cfg.warmup_epochs * steps_per_epoch), total - 1)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else train_cfg.learning_rate,
        decay_steps=total - warmup, warmup_target=train_cfg.learning_rate if warmup else None,
        warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=train_cfg.weight_decay)
    # Decaying BatchNorm scales and biases only fights the normalisation.
    optimizer.exclude_from_weight_decay(var_names=["bn", "BN", "bias", "beta", "gamma"])
    return optimizer


def mean_target(arrays, size: int) -> np.ndarray:
    """Mean landmark target `(2K,)` of un-augmented crops, in normalised crop coordinates."""
    crops = [geometry.encode(p, sq, size) for p, sq in zip(arrays["points"], arrays["square"])]
    return np.mean(crops, axis=0).reshape(-1)


def compile_model(model, cfg: Config, scheme, steps_per_epoch: int) -> None:
    loss = {"landmarks": losses.build_loss(cfg.train, cfg.model.input_size)}
    weights = {"landmarks": 1.0}
    if "attributes" in model.output_names:
        loss["attributes"] = losses.attribute_loss(ATTRIBUTE_CLASSES[scheme.name])
        weights["attributes"] = cfg.train.attribute_weight
    model.compile(optimizer=build_optimizer(cfg.train, steps_per_epoch), loss=loss,
                  loss_weights=weights, metrics={"landmarks": [metrics.NormalizedMeanError(scheme)]},
                  jit_compile=cfg.train.jit_compile)


def _targets_for(model):
    """Drops targets the model has no output for (e.g. attributes without the attribute head)."""
    names = set(model.output_names)
    return lambda x, y: (x, {k: v for k, v in y.items() if k in names})


def make_callbacks(run_dir: str, monitor: str, resume: bool):
    ckpt = os.path.join(run_dir, "checkpoints")
    return [
        keras.callbacks.BackupAndRestore(os.path.join(run_dir, "backup")),
        keras.callbacks.ModelCheckpoint(os.path.join(ckpt, "best.weights.h5"), monitor=monitor,
                                        mode="min", save_best_only=True, save_weights_only=True),
        keras.callbacks.ModelCheckpoint(os.path.join(ckpt, "last.weights.h5"), save_weights_only=True),
        keras.callbacks.CSVLogger(os.path.join(run_dir, "history.csv"), append=resume),
        keras.callbacks.TensorBoard(os.path.join(run_dir, "tensorboard"), update_freq="epoch"),
        keras.callbacks.TerminateOnNaN(),
    ]


def save_deployable(model, run_dir: str) -> None:
    """Writes the landmark-only model as `model.keras` and `saved_model/`, atomically."""
    deploy = landmark_model(model)
    with atomic_path(os.path.join(run_dir, "model.keras")) as tmp:
        os.remove(tmp)
        deploy.save(tmp + ".keras")
        os.replace(tmp + ".keras", tmp)
    with atomic_path(os.path.join(run_dir, "saved_model"), is_dir=True) as tmp:
        tf.saved_model.save(deploy, tmp)


def train(cfg: Config, run_dir: str, resume: bool = False) -> dict:
    """Trains, keeps the best checkpoint, evaluates it on `cfg.data.eval_lists`; returns metrics."""
    scheme = get_scheme(cfg.data.scheme)
    root = resolve_root(cfg.data.dataset, cfg.data.root, cfg.data.download)
    samples = pipeline.read_samples(cfg.data, root, cfg.data.train_list, cfg.data.train_format, scheme)
    if cfg.data.limit:
        samples = samples[:cfg.data.limit]
    train_samples, val_samples = split_train_val(samples, cfg.data.val_fraction, cfg.data.seed)
    n_attr = len(scheme.attribute_names)
    size = cfg.model.input_size
    train_arrays = pipeline.sample_arrays(train_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
    steps = cfg.train.steps_per_epoch or pipeline.steps_for(len(train_samples), cfg.data.batch_size)

    if cfg.train.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    strategy = build_strategy(cfg.train.strategy)
    with strategy.scope():
        model = build_model(cfg.model, scheme, mean_shape=mean_target(train_arrays, size))
        compile_model(model, cfg, scheme, steps)
    select = _targets_for(model)
    train_ds = pipeline.build_dataset(cfg.data, scheme, size, train_arrays, training=True).map(select)
    val_ds, monitor = None, "loss"
    if val_samples:
        val_arrays = pipeline.sample_arrays(val_samples, cfg.data.crop, cfg.data.train_crop, n_attr)
        val_ds = pipeline.build_dataset(cfg.data, scheme, size, val_arrays, training=False).map(select)
        monitor = "val_landmarks_nme" if "attributes" in model.output_names else "val_nme"

    started = time.time()
    history = model.fit(train_ds, epochs=cfg.train.epochs, steps_per_epoch=steps,
                        validation_data=val_ds, callbacks=make_callbacks(run_dir, monitor, resume),
                        verbose=cfg.train.verbose)
    seconds = time.time() - started
    best = os.path.join(run_dir, "checkpoints", "best.weights.h5")
    if os.path.exists(best):
        model.load_weights(best)
    save_deployable(model, run_dir)
    results = {"train_samples": len(train_samples), "val_samples": len(val_samples),
               "epochs": cfg.train.epochs, "steps_per_epoch": steps,
               "optimizer_steps": int(model.optimizer.iterations.numpy()),
               "fit_seconds_this_session": round(seconds, 1),
               "final_train_loss": float(history.history["loss"][-1]) if history.history else None,
               "eval": {}}
    deploy = landmark_model(model)
    for item in cfg.data.eval_lists:
        summary = evaluate.evaluate_list(deploy, cfg, scheme, root, item.list, item.format, item.crop,
                                         run_dir, item.name)
        results["eval"][item.name] = summary
        print(evaluate.format_summary(item.name, summary))
    write_json(os.path.join(run_dir, "metrics.json"), results)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=None, help="YAML recipe (default: the built-in defaults)")
    parser.add_argument("--run-dir", default=None, help="output folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument("--data-root", default=None, help="dataset folder (else $FLD_DATA, else the cache)")
    parser.add_argument("--strategy", choices=STRATEGIES, default=None)
    parser.add_argument("--mixed-precision", action="store_true", default=None)
    parser.add_argument("--jit-compile", action="store_true", default=None)
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
        if args.resume:
            if not os.path.exists(saved):
                raise ConfigError(f"--resume: {saved} not found; nothing to resume in {run_dir}")
            cfg = load_config(args.config or saved, overrides)
        else:
            if os.path.exists(saved):
                raise ConfigError(f"--run-dir: {run_dir} already holds a run; pass --resume to "
                                  "continue it or choose another --run-dir")
            cfg = load_config(args.config, overrides)
        os.makedirs(run_dir, exist_ok=True)
        save_config(cfg, saved)
        results = train(cfg, run_dir, resume=args.resume)
    except (ConfigError, DataError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Run saved to {run_dir}\n  Evaluate: python -m fld_tf.evaluate {run_dir} --list testing.txt "
          f"--format mtfl --crop image\n  Export:   python -m export.tflite {run_dir}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
