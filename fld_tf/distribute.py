"""Training on several devices or machines with `tf.distribute`: one CLI at every scale.

Usage:
  python -m fld_tf.train --strategy default       # one device (the default)
  python -m fld_tf.train --strategy mirrored      # every local GPU (else every logical CPU), one process
  python -m fld_tf.train --strategy multiworker   # several machines, one process each, from TF_CONFIG

Two machines, 10.0.0.1 (worker 0, the chief) and 10.0.0.2, each using all of its GPUs. Both run the
same command; the data must be at the same path on both, and the run directory on a file system both
see at the same path (a shared mount), because `--resume` restores every worker from the chief's backup:

  # on 10.0.0.1
  export TF_CONFIG='{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
                     "task": {"type": "worker", "index": 0}}'
  python -m fld_tf.train --strategy multiworker --run-dir /shared/runs/mw --data-root /data/mtfl \\
      -o data.train_list=/data/mtfl-records -o data.train_format=tfrecord
  # on 10.0.0.2: the same, with "index": 1
  # after an interruption: the same commands on both machines with --resume

The workers wait for each other at start-up. Packed TFRecord shards (`python -m fld_tf.data pack ...
--shards 16`) are the input to use here: each worker reads only its own shards.

Rules that hold under every strategy:
- `data.batch_size` is the batch of one replica. A step consumes the global batch
  `data.batch_size x replicas`, split evenly; `train.steps_per_epoch` counts global steps.
- `train.learning_rate` is the rate for one replica's batch. With `train.lr_scaling: linear` (default)
  the optimizer uses `learning_rate x replicas`, the linear scaling rule of Goyal et al. 2017 ("Accurate,
  Large Minibatch SGD"), reached through the existing warm-up (`train.warmup_epochs`); `none` keeps the
  rate as given. BatchNorm statistics stay per replica, over `data.batch_size` samples, as in that paper.
- Input is sharded between workers: lists with `AutoShardPolicy.DATA` (every worker reads and decodes
  the whole list and keeps its share: simple, but the decoding work is repeated on each worker; for an
  exact partition of each epoch also set `data.deterministic: true`), TFRecord shards with
  `AutoShardPolicy.FILE` (pack at least as many shards as workers, better several per worker).
- Only the chief writes the run directory. Other workers write their logs and checkpoints to a temporary
  folder that is removed at the end (the Keras multi-worker pattern); every worker still takes part in
  each save, because reading mirrored BatchNorm statistics is a collective operation.
- `--resume` restores the full training state from `<run-dir>/backup` (`BackupAndRestore`).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from typing import Iterator, Mapping, Optional, Tuple

import fld_tf  # noqa: F401
import tensorflow as tf

from fld_tf.config import ConfigError

STRATEGIES = ("default", "mirrored", "multiworker")
LR_SCALING = ("linear", "none")


def local_devices() -> list:
    """The devices `mirrored` replicates over: every GPU, else every logical CPU.

    Plain `MirroredStrategy()` ignores logical CPUs and would run one replica on a machine without GPUs.
    """
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def build_strategy(name: str) -> tf.distribute.Strategy:
    """The `tf.distribute` strategy named by `train.strategy`.

    `multiworker` must be built before any other TensorFlow op runs in the process.

    Raises:
      ConfigError: an unknown name, or `multiworker` without a valid `TF_CONFIG`.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices=local_devices())
    if name == "multiworker":
        task_of(name)  # validates TF_CONFIG with a readable message
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"train.strategy: unknown {name!r}; expected one of {', '.join(STRATEGIES)}")


def task_of(strategy_name: str, env: Optional[Mapping[str, str]] = None) -> Tuple[str, int, int]:
    """`(task_type, task_index, workers)` of this process, read from `TF_CONFIG` before TF starts.

    Raises:
      ConfigError: `multiworker` without `TF_CONFIG`, or a `TF_CONFIG` that does not name this task.
    """
    if strategy_name != "multiworker":
        return "worker", 0, 1
    raw = (os.environ if env is None else env).get("TF_CONFIG")
    if not raw:
        raise ConfigError("--strategy multiworker needs the TF_CONFIG environment variable "
                          "(cluster and task; see fld_tf/distribute.py)")
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        kind, index = task["type"], int(task["index"])
        workers = sum(len(cluster.get(k, [])) for k in ("chief", "worker"))
        cluster[kind][index]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ConfigError(f"TF_CONFIG: expected {{\"cluster\": {{\"worker\": [host:port, ...]}}, "
                          f"\"task\": {{\"type\": \"worker\", \"index\": i}}}}, got {raw!r} ({e!r})") from None
    if kind not in ("chief", "worker"):
        raise ConfigError(f"TF_CONFIG: task type {kind!r} is not supported; use chief or worker")
    return kind, index, workers


def is_chief(strategy_name: str, env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether this process writes the run directory: the `chief` task, else worker 0."""
    kind, index, _ = task_of(strategy_name, env)
    if kind == "chief":
        return True
    raw = (os.environ if env is None else env).get("TF_CONFIG")
    has_chief = bool(raw) and bool(json.loads(raw)["cluster"].get("chief"))
    return index == 0 and not has_chief


def scaled_learning_rate(learning_rate: float, replicas: int, rule: str) -> float:
    """The optimizer's peak learning rate for `replicas` replicas under `train.lr_scaling`."""
    if rule == "linear":
        return learning_rate * replicas
    if rule == "none":
        return learning_rate
    raise ConfigError(f"train.lr_scaling: unknown {rule!r}; expected one of {', '.join(LR_SCALING)}")


@contextlib.contextmanager
def output_dir(run_dir: str, chief: bool) -> Iterator[str]:
    """Where this process writes logs, checkpoints and artifacts: `run_dir` on the chief, else a
    temporary folder removed on exit (with the empty folders the worker's callbacks left in `run_dir`)."""
    if chief:
        yield run_dir
        return
    tmp = tempfile.mkdtemp(prefix="fld_tf-worker-")
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in (os.path.join(run_dir, "backup"), run_dir):
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only when empty: on a shared run dir the chief's files stay
