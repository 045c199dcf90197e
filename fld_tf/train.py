"""Train a landmark model on a list of annotated faces.

Usage:
  python -m fld_tf.train                                   # default recipe on MTFL
  python -m fld_tf.train --config fld_tf/configs/mnv2-a050_helen68-96.yaml --data-root /data  # 68 points, HELEN
  python -m fld_tf.train --run-dir runs/a050 --resume      # after a kill: continue where it stopped
  python -m fld_tf.train -o train.epochs=5 -o model.alpha=0.35
  python -m fld_tf.train --strategy mirrored --mixed-precision       # all local GPUs, float16 compute
  python -m fld_tf.train --mixed-precision bfloat16        # bfloat16 compute (CPUs with AVX512_BF16/AMX)
  python -m fld_tf.train -o data.train_list=/data/mtfl-records -o data.train_format=tfrecord

Data of one's own needs no dataset name: `-o data.dataset=null`, lists relative to `--data-root`
(else `data.root`, else `$FLD_DATA`, else the current folder; see `fld_tf.data.download.find_root`).
Every image is decoded and every point checked before training starts; `--on-bad skip` leaves bad
records out and counts them.

Multi-device and multi-machine training (`--strategy mirrored|multiworker`, batch and learning-rate
scaling, sharding, who writes what) is described in `fld_tf/distribute.py`.

A run directory holds `config.yaml` (written once the inputs were read, with the data root used),
`history.csv`, TensorBoard logs, `checkpoints/` (best and last weights), `backup/` (full training
state while running), `model.keras` and `saved_model/` (the best deployable model) and `metrics.json`.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import shlex
import shutil
import sys
import time
from typing import Optional

from fld_tf import logs
from fld_tf.config import Config, ConfigError, ON_BAD, load_config, save_config
from fld_tf.data.sample import DataError

# Imported by the functions that need them: `--help` and bad-input errors do not wait for TensorFlow.
STRATEGY_NAMES = "default | mirrored | multiworker"  # fld_tf.distribute.STRATEGIES, checked there


def build_optimizer(train_cfg, steps_per_epoch: int, replicas: int = 1):
    """AdamW with linear warm-up and cosine decay to zero over the whole run.

    The peak rate is `train_cfg.learning_rate` scaled for `replicas` by `train_cfg.lr_scaling`.
    """
    import tf_keras as keras
    from fld_tf import distribute

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


@contextlib.contextmanager
def dtype_policy(name: str):
    """Builds layers under Keras dtype policy `name` (e.g. `TrainConfig.dtype_policy`) inside the
    block. The policy is process-wide: it is restored on leaving, so neither the deployable model
    nor a later run in the same process inherits it."""
    import tf_keras as keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def compile_model(model, cfg: Config, scheme, steps_per_epoch: int, replicas: int = 1) -> None:
    """Compiles with the configured losses and optimizer; for a model built under mixed_float16
    Keras wraps the optimizer in a `LossScaleOptimizer` (dynamic loss scaling); mixed_bfloat16
    needs none (bfloat16 has float32's exponent range)."""
    from fld_tf import keras_metrics, losses
    from fld_tf.model import ATTRIBUTE_CLASSES

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


def make_callbacks(run_dir: str, monitor: str, resume: bool, out_dir: Optional[str] = None):
    """Backup (in `run_dir`, shared by all workers), checkpoints and logs (in `out_dir`, default `run_dir`).

    Every worker passes the same backup folder: Keras makes non-chief workers write theirs to a
    temporary sub-folder and restores every worker from the chief's.
    """
    import tf_keras as keras

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


def load_init_source(path: str):
    """The landmark model at `path` (`train.init_weights`: run directory or model file).

    Raises:
      ConfigError: naming `train.init_weights`, when `path` holds no model.
    """
    from fld_tf.evaluate import load_model
    from fld_tf.model import landmark_model

    try:
        return landmark_model(load_model(path))
    except (OSError, ValueError) as e:
        raise ConfigError(f"train.init_weights: {e}") from None


def initialize_from(model, source, path: str) -> str:
    """Copies into `model` the weights of every layer of `source` (`load_init_source(path)`) with
    the same name and weight shapes; returns what was copied, for the log.

    Raises:
      ConfigError: naming `train.init_weights`, when nothing matches.
    """
    by_name = {layer.name: layer for layer in source.layers}
    copied, skipped = 0, []
    for layer in model.layers:
        if not layer.trainable_weights:  # none, or fixed at build (the soft-argmax's grids)
            continue
        other = by_name.get(layer.name)
        if other is not None and [w.shape for w in other.weights] == [w.shape for w in layer.weights]:
            layer.set_weights(other.get_weights())
            copied += 1
        else:
            skipped.append(layer.name)
    if not copied:
        raise ConfigError(f"train.init_weights: {path}: no layer matches this model's by name and shape")
    return (f"initialised {copied} of {copied + len(skipped)} layers from {path}"
            + (f" (new: {', '.join(skipped)})" if skipped else ""))


def backup_problem(run_dir: str) -> Optional[str]:
    """Why the training-state backup in `run_dir` cannot be restored (None: absent or readable).

    Every tensor is read back, so a truncated or corrupt file is found here, not as a TF error in `fit`.
    """
    import tensorflow as tf

    folder = os.path.join(run_dir, "backup", "chief")  # where BackupAndRestore keeps the chief's state
    if not os.path.isdir(folder):
        return None
    try:
        latest = tf.train.latest_checkpoint(folder)
        if latest is None:
            return f"{folder}: no checkpoint listed" if os.listdir(folder) else None
        reader = tf.train.load_checkpoint(latest)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as e:  # noqa: BLE001  TF reports damage as OpError, IndexError, ValueError...
        reason = getattr(e, "message", None) or str(e) or type(e).__name__
        return f"{folder}: {reason.strip().splitlines()[0]}"
    return None


def fall_back_from_damaged_backup(model, run_dir: str, problem: str, steps: int) -> int:
    """Moves a damaged backup aside and restores the last good state instead: the weights of the
    last finished epoch (`checkpoints/last.weights.h5`) and the step counter that goes with them
    (the optimizer's moments start afresh). Returns the epoch to continue at.

    Raises:
      DataError: no usable last checkpoint either.
    """
    history = os.path.join(run_dir, "history.csv")
    last = os.path.join(run_dir, "checkpoints", "last.weights.h5")
    epochs = 0
    if os.path.exists(history):
        with open(history, encoding="utf-8") as f:
            epochs = max(0, sum(1 for line in f if line.strip()) - 1)
    try:
        model.load_weights(last)
    except (OSError, ValueError) as e:
        raise DataError(f"--resume: the backup is damaged ({problem}) and {last} cannot be read "
                        f"either ({str(e).splitlines()[0]}); start a new run") from None
    damaged = os.path.join(run_dir, "backup.damaged")
    shutil.rmtree(damaged, ignore_errors=True)
    os.replace(os.path.join(run_dir, "backup"), damaged)
    model.optimizer.iterations.assign(epochs * steps)
    print(f"warning: --resume: backup damaged ({problem}); moved to {damaged}, continuing from "
          f"{last} at epoch {epochs + 1} (optimizer moments restart)", file=sys.stderr)
    return epochs


def save_deployable(model, serving, run_dir: str) -> None:
    """Writes `model.keras` (the landmark model, which evaluation and export load) and
    `saved_model/` (`serving`: what evaluation measures, flip averaging included), atomically."""
    import tensorflow as tf
    import tf_keras as keras
    from fld_tf.io import atomic_path
    from fld_tf.model import landmark_model

    with atomic_path(os.path.join(run_dir, "model.keras")) as tmp:
        os.remove(tmp)
        landmark_model(model).save(tmp + ".keras")
        os.replace(tmp + ".keras", tmp)
    # An inference-only SavedModel (Keras' ExportArchive, as `Model.export`), signature `image` ->
    # `landmarks`: saving the Keras model itself also serialises every layer's traced calls,
    # which took 40 of a tiny run's 84 s here.
    archive = keras.export.ExportArchive()
    archive.track(serving)
    spec = tf.TensorSpec((None,) + tuple(serving.input_shape[1:]), tf.float32, name="image")
    archive.add_endpoint("serve", tf.function(lambda image: {"landmarks": serving(image, training=False)}),
                         input_signature=[spec])
    with atomic_path(os.path.join(run_dir, "saved_model"), is_dir=True) as tmp:
        with contextlib.redirect_stdout(io.StringIO()):  # its endpoint listing names the staging folder
            archive.write_out(tmp)


TEACHER_DIR = "teacher"  # a `train.teacher_recipe` run's first stage, inside the run directory


def teacher_config(cfg: Config, run_dir: str) -> Config:
    """`train.teacher_recipe` as the teacher stage's config: the recipe's model and train sections,
    this run's data (root included) and how it runs (strategy, precision, XLA, verbosity).

    Raises:
      ConfigError: unreadable recipe, a recipe that has a teacher of its own, or under multiworker.
    """
    train_cfg = cfg.train
    if train_cfg.strategy == "multiworker":
        raise ConfigError("train.teacher_recipe: not under the multiworker strategy (its collectives "
                          "are set up once per process); train the teacher as a run of its own and "
                          "name it in train.distill_teacher")
    teacher_dir = os.path.abspath(os.path.join(run_dir, TEACHER_DIR))
    if train_cfg.distill_teacher and os.path.abspath(train_cfg.distill_teacher) != teacher_dir:
        raise ConfigError("train.teacher_recipe and train.distill_teacher both name a teacher; set one")
    try:
        recipe = load_config(recipe_path(train_cfg.teacher_recipe))
    except ConfigError as e:
        raise ConfigError(f"train.teacher_recipe: {e}") from None
    if recipe.train.teacher_recipe:
        raise ConfigError(f"train.teacher_recipe: {train_cfg.teacher_recipe} has a teacher_recipe of its own")
    runs_as = {key: getattr(train_cfg, key) for key in ("strategy", "mixed_precision", "jit_compile", "verbose")}
    return dataclasses.replace(recipe, data=cfg.data, train=dataclasses.replace(recipe.train, **runs_as))


def train_teacher(teacher_cfg: Config, run_dir: str) -> str:
    """The teacher stage of a `train.teacher_recipe` run: trains `teacher_cfg` in
    `<run_dir>/teacher`, resuming it when it was stopped, skipping it when it finished; returns
    its folder."""
    folder = os.path.abspath(os.path.join(run_dir, TEACHER_DIR))
    if os.path.exists(os.path.join(folder, "metrics.json")):
        print(f"teacher stage: {folder} is finished; using it")
        return folder
    resume = os.path.exists(os.path.join(folder, "config.yaml"))
    print(f"teacher stage: {'resuming' if resume else 'training'} {teacher_cfg.train.epochs} epochs in {folder}")
    train(teacher_cfg, folder, resume=resume)
    import tf_keras as keras
    keras.backend.clear_session()  # the student's layers get the names the teacher's had
    return folder


def train(cfg: Config, run_dir: str, resume: bool = False) -> dict:
    """Reads and checks the inputs, writes `config.yaml` (with the data root used), trains, keeps
    the best checkpoint, evaluates it on `cfg.data.eval_lists`; returns metrics.

    With `train.teacher_recipe`, the teacher stage (`train_teacher`) runs between writing
    `config.yaml` and building the model.

    Under `multiworker` every worker calls this; only the chief writes to `run_dir` (see
    `fld_tf.distribute`), and only the chief evaluates.
    """
    with dtype_policy(cfg.train.dtype_policy):
        return _train(cfg, run_dir, resume)


def _train(cfg: Config, run_dir: str, resume: bool) -> dict:
    import tf_keras as keras
    from fld_tf import distribute, inputs as training_inputs, pipeline
    from fld_tf.model import build_model
    from fld_tf.schemes import get_scheme

    # First TensorFlow call of the run: MultiWorkerMirroredStrategy must precede every other op.
    strategy = distribute.build_strategy(cfg.train.strategy)
    if cfg.data.deterministic:
        keras.utils.set_random_seed(cfg.data.seed)  # same initial weights under every strategy
    replicas = strategy.num_replicas_in_sync
    global_batch = cfg.data.batch_size * replicas
    scheme = get_scheme(cfg.data.scheme)
    staged = None
    if cfg.train.teacher_recipe:  # checked now; trained once this run's inputs were read
        staged = teacher_config(cfg, run_dir)
        teacher_dir = os.path.abspath(os.path.join(run_dir, TEACHER_DIR))
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(
            cfg.train, distill_teacher=teacher_dir if cfg.train.distill_weight else "",
            init_weights=cfg.train.init_weights or teacher_dir))
    # Absolute, so that --resume from another folder finds the same models.
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(
        cfg.train, **{key: os.path.abspath(getattr(cfg.train, key))
                      for key in ("distill_teacher", "init_weights") if getattr(cfg.train, key)}))
    if cfg.train.teacher_recipe and os.path.exists(cfg.train.teacher_recipe):
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(
            cfg.train, teacher_recipe=os.path.abspath(cfg.train.teacher_recipe)))
    # Both models are loaded first: a wrong path is an error before the inputs are read (a
    # teacher stage's models, once it has trained).
    init_source = teacher = None
    if cfg.train.init_weights and not (staged and cfg.train.init_weights == teacher_dir):
        init_source = load_init_source(cfg.train.init_weights)
    if cfg.train.distill_teacher and not staged:
        teacher = _load_teacher(cfg, strategy, scheme)
    root = training_inputs.data_root(cfg)
    inputs = training_inputs.build_inputs(cfg, scheme, root, global_batch)
    chief = strategy.extended.should_checkpoint
    # The eval lists are read (and their images checked) now, not after hours of training.
    eval_arrays = {item.name: pipeline.read_split(cfg.data, root, item.list, item.format, item.crop, scheme)
                   for item in cfg.data.eval_lists} if chief else {}
    if root is not None:  # the run remembers its data: evaluate and export find it there
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, root=root))
    steps = cfg.train.steps_per_epoch or pipeline.steps_for(inputs.train_count, global_batch)
    if chief:  # only now: a start that fails on its inputs leaves nothing that blocks the next
        os.makedirs(run_dir, exist_ok=True)
        save_config(cfg, os.path.join(run_dir, "config.yaml"))
    if staged:
        train_teacher(dataclasses.replace(staged, data=cfg.data), run_dir)
        strategy = distribute.build_strategy(cfg.train.strategy)
        if cfg.data.deterministic:
            keras.utils.set_random_seed(cfg.data.seed)
        init_source = init_source or load_init_source(cfg.train.init_weights)
        if cfg.train.distill_teacher:
            teacher = _load_teacher(cfg, strategy, scheme)
    model_class = keras.Model
    if teacher is not None:
        from fld_tf import distill

        model_class = distill.distilling_model_class(teacher, cfg.train.distill_weight)
    with strategy.scope():
        model = build_model(cfg.model, scheme, mean_shape=inputs.mean_shape, model_class=model_class)
        compile_model(model, cfg, scheme, steps, replicas)
        if init_source is not None:  # before fit: on --resume the backup then overrides it
            print(initialize_from(model, init_source, cfg.train.init_weights))
    select = _targets_for(model)
    val_ds = inputs.val.map(select) if inputs.val is not None else None
    monitor = "loss" if val_ds is None else \
        "val_landmarks_nme" if "attributes" in model.output_names else "val_nme"
    initial_epoch = 0
    problem = backup_problem(run_dir) if resume else None
    if problem:
        with strategy.scope():
            initial_epoch = fall_back_from_damaged_backup(model, run_dir, problem, steps)
    peak = distribute.scaled_learning_rate(cfg.train.learning_rate, replicas, cfg.train.lr_scaling)
    print(f"strategy {cfg.train.strategy}: {replicas} replica(s), global batch {global_batch} "
          f"({cfg.data.batch_size} per replica), peak learning rate {peak:g} (lr_scaling "
          f"{cfg.train.lr_scaling}), {inputs.train_count} training samples, {steps} steps per epoch"
          + (f", {inputs.skipped} bad records skipped" if inputs.skipped else ""))
    with distribute.output_dir(run_dir, chief) as out_dir:
        started = time.time()
        history = model.fit(inputs.train.map(select), epochs=cfg.train.epochs, steps_per_epoch=steps,
                            validation_data=val_ds, verbose=cfg.train.verbose, initial_epoch=initial_epoch,
                            callbacks=make_callbacks(run_dir, monitor, resume, out_dir))
        seconds = time.time() - started
        # On every worker: reading mirrored BatchNorm statistics is a collective under multiworker.
        weights = model.get_weights()
    results = {"train_samples": inputs.train_count, "val_samples": inputs.val_count,
               "skipped_records": inputs.skipped,
               "epochs": cfg.train.epochs, "steps_per_epoch": steps, "replicas": replicas,
               "global_batch": global_batch, "peak_learning_rate": peak,
               "optimizer_steps": int(model.optimizer.iterations.numpy()),
               "fit_seconds_this_session": round(seconds, 1),
               "final_train_loss": float(history.history["loss"][-1]) if history.history else None,
               "eval": {}}
    if problem:
        results["resumed_from"] = f"checkpoints/last.weights.h5 (backup damaged: {problem})"
    if chief:
        finish_run(weights, cfg, scheme, root, run_dir, results, eval_arrays)
    return results


def _load_teacher(cfg: Config, strategy, scheme):
    """The deployable model `train.distill_teacher` names, in `strategy`'s scope."""
    from fld_tf import distill

    with strategy.scope():
        teacher = distill.load_teacher(cfg.train.distill_teacher, scheme)
    print(f"distilling from {cfg.train.distill_teacher} ({teacher.name}, {teacher.input_shape[1]} px), "
          f"weight {cfg.train.distill_weight:g}")
    return teacher


def finish_run(weights, cfg: Config, scheme, root: Optional[str], run_dir: str, results: dict,
               eval_arrays: Optional[dict] = None) -> None:
    """The chief's part after training: the best checkpoint in a plain (undistributed) model, saved
    as the deployable model, evaluated on `cfg.data.eval_lists` (`eval_arrays`: those lists
    already read, by name); `metrics.json` last."""
    from fld_tf import evaluate
    from fld_tf.io import write_json
    from fld_tf.model import build_model, deployable

    # float32 whatever the run trained in: export converts what model.keras holds, and the
    # variables are float32 under mixed precision too.
    with dtype_policy("float32"):
        plain = build_model(cfg.model, scheme)
        plain.set_weights(weights)
        best = os.path.join(run_dir, "checkpoints", "best.weights.h5")
        if os.path.exists(best):
            plain.load_weights(best)
        deploy = deployable(plain, cfg.model, scheme)
    save_deployable(plain, deploy, run_dir)
    for item in cfg.data.eval_lists:
        summary = evaluate.evaluate_list(deploy, cfg, scheme, root, item.list, item.format, item.crop,
                                         run_dir, item.name, arrays=(eval_arrays or {}).get(item.name))
        results["eval"][item.name] = summary
        print(evaluate.format_summary(item.name, summary))
    write_json(os.path.join(run_dir, "metrics.json"), results)


def next_commands(cfg: Config, run_dir: str) -> list:
    """The commands that continue a finished run, from its own config: they run as printed (the
    run's `config.yaml` holds its data root, so no `--data-root` is needed)."""
    run = shlex.quote(run_dir)
    lines = [f"Evaluate: python -m fld_tf.evaluate {run} --list {shlex.quote(item.list)} "
             f"--format {item.format} --crop {item.crop} --name {shlex.quote(item.name)}"
             for item in cfg.data.eval_lists]
    if cfg.data.eval_lists or cfg.data.scheme == "mtfl5":
        lines.append(f"Export:   python -m export.tflite {run}")  # its gate runs on the first eval list
    else:
        lines.append(f"Export:   python -m export.tflite {run} --no-parity   "
                     "# no data.eval_lists: add --list L --format F --crop C for the gate")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=None,
                        help="YAML recipe, or the name of a shipped one (fld_tf/configs/, e.g. "
                             "mnv2-a050_helen68-96; default: the built-in defaults)")
    parser.add_argument("--run-dir", default=None, help="output folder (default: runs/<config name>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument("--data-root", default=None,
                        help="folder relative list paths are under (else data.root, else $FLD_DATA "
                             "(/<data.dataset> for a named dataset), else the current folder)")
    parser.add_argument("--on-bad", choices=ON_BAD, default=None,
                        help="a bad record or image: stop with its file and line (error, default) or "
                             "skip it and count it (data.on_bad)")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help=f"tf.distribute strategy: {STRATEGY_NAMES} (see fld_tf/distribute.py); "
                             "multiworker reads TF_CONFIG")
    parser.add_argument("--mixed-precision", nargs="?", const="float16", default=None, metavar="DTYPE",
                        help="backbone compute dtype: float16 (the default of the bare flag; dynamic "
                             "loss scaling) or bfloat16; the head stays float32 "
                             "(train.mixed_precision)")
    parser.add_argument("--jit-compile", action="store_true", default=None, help="compile steps with XLA")
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. -o train.epochs=5 (repeatable)")
    logs.add_flag(parser)
    return parser


def recipe_path(config: Optional[str]) -> Optional[str]:
    """`--config` as a file: a path as given, else a shipped recipe's name (works after `pip install`)."""
    if not config or os.path.exists(config) or os.sep in config:
        return config
    from fld_tf import assets

    try:
        return assets.config_path(config)
    except assets.AssetError as e:
        raise ConfigError(f"--config {config}: no such file, and {e}") from None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    name = os.path.splitext(os.path.basename(args.config))[0] if args.config else "default"
    run_dir = args.run_dir or os.path.join("runs", name)
    saved = os.path.join(run_dir, "config.yaml")
    overrides = list(args.override)
    for flag, key in ((args.data_root, "data.root"), (args.on_bad, "data.on_bad"),
                      (args.strategy, "train.strategy"), (args.mixed_precision, "train.mixed_precision"),
                      (args.jit_compile, "train.jit_compile")):
        if flag is not None:
            overrides.append(f"{key}={flag}")
    try:
        if args.resume and not os.path.exists(saved):
            shared = " (under multiworker every worker must see the run dir)" if "TF_CONFIG" in os.environ else ""
            raise ConfigError(f"--resume: {saved} not found; nothing to resume in {run_dir}{shared}")
        cfg = load_config(recipe_path(args.config) or (saved if args.resume else None), overrides)
        from fld_tf import distribute  # TensorFlow loads here, after the arguments were checked

        chief = distribute.is_chief(cfg.train.strategy)
        # Other workers leave the run dir to the chief (they may share it).
        if chief and not args.resume and os.path.exists(saved):
            raise ConfigError(f"--run-dir: {run_dir} already holds a run; pass --resume to "
                              "continue it or choose another --run-dir")
        results = train(cfg, run_dir, resume=args.resume)
    except (ConfigError, DataError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not chief:
        print(f"Worker done; the chief wrote the run to its {run_dir}")
        return 0
    print(f"Run saved to {run_dir}")
    for line in next_commands(load_config(saved), run_dir):
        print(f"  {line}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
