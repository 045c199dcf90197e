"""Training steps per second with and without XLA (`train.jit_compile`).

Usage:
  python benchmarks/xla_throughput.py [--steps 20] [-o model.head=spatial] [-o data.batch_size=32]

Each variant trains the configured model on a fixed in-memory batch (so input never waits) with
`train_on_batch`; the first steps (tracing, and for XLA compilation) are timed separately.
"""
import argparse

import fld_tf  # noqa: F401
import tensorflow as tf

from fld_tf.config import load_config
from fld_tf.schemes import get_scheme
from train_step import WARMUP_STEPS, step_rate

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
