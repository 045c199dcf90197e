"""Training steps per second with and without XLA (`train.jit_compile`).

Usage:
  python benchmarks/xla_throughput.py [--steps 20] [-o model.head=spatial] [-o data.batch_size=32]

Each variant trains the configured model on a fixed in-memory batch (so input never waits) with
`train_on_batch`; the first steps (tracing, and for XLA compilation) are timed separately.
"""
import argparse
import time

import fld_tf  # noqa: F401
import tensorflow as tf

from fld_tf import train
from fld_tf.config import load_config
from fld_tf.model import build_model
from fld_tf.schemes import get_scheme

WARMUP_STEPS = 3


def step_rate(cfg, scheme, steps: int):
    """`(first steps seconds, steps per second)` of the configured model on a random batch."""
    model = build_model(cfg.model, scheme)
    train.compile_model(model, cfg, scheme, steps_per_epoch=100)
    b, s = cfg.data.batch_size, cfg.model.input_size
    x = tf.random.uniform([b, s, s, 3], 0, 255, seed=1)
    y = {"landmarks": tf.random.uniform([b, 2 * scheme.num_points], seed=2)}
    if "attributes" in model.output_names:
        y["attributes"] = tf.zeros([b, len(scheme.attribute_names)], tf.int32)
    start = time.perf_counter()
    for _ in range(WARMUP_STEPS):
        model.train_on_batch(x, y)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return first, steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=None)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("-o", "--override", action="append", default=[])
    args = parser.parse_args()
    base = load_config(args.config, args.override)
    scheme = get_scheme(base.data.scheme)
    print(f"batch {base.data.batch_size}, input {base.model.input_size}, alpha {base.model.alpha}, "
          f"head {base.model.head}, {tf.config.list_logical_devices()[-1].device_type}")
    for jit in (False, True):
        cfg = load_config(args.config, [*args.override, f"train.jit_compile={str(jit).lower()}"])
        try:
            first, rate = step_rate(cfg, scheme, args.steps)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
            print(f"  jit_compile={jit}: cannot compile: {str(e).strip().splitlines()[0][:160]}")
            continue
        print(f"  jit_compile={jit}: {rate:6.2f} steps/s ({rate * cfg.data.batch_size:6.0f} images/s), "
              f"first {WARMUP_STEPS} steps {first:.1f} s")


if __name__ == "__main__":
    main()
