"""Training steps per second on a fixed in-memory batch; shared by the throughput benchmarks, and
run alone it compares the values of one config key (by default `train.mixed_precision`).

Usage:
  python benchmarks/train_step.py [--mixed-precision false,bfloat16,float16] [--steps 30] [--repeats 2]
      [--config C] [-o data.batch_size=32 ...]
  python benchmarks/train_step.py --compare model.heatmap_stride=8,4
  python benchmarks/train_step.py --compare train.distill_teacher=,runs/release   # the teacher's cost

The settings are measured in turn, `--repeats` rounds of them interleaved, so a machine whose speed
drifts (other jobs) shifts every setting alike; each line also says the compute dtype a backbone
Conv2D ran in. `ONEDNN_VERBOSE=1` before the command makes oneDNN print each kernel it runs with
its data types and ISA (e.g. `brg:avx512_core_bf16`), which shows whether bfloat16 reached it.
"""
import argparse
import statistics
import time

import fld_tf  # noqa: F401
import tensorflow as tf
import tf_keras as keras

from fld_tf import distill, train
from fld_tf.config import load_config
from fld_tf.model import build_model
from fld_tf.schemes import get_scheme

WARMUP_STEPS = 3
PROBE_LAYER = "block_1_expand"  # a backbone Conv2D: its compute dtype is the run's


def step_rate(cfg, scheme, steps: int, probe: dict = None):
    """`(first steps seconds, steps per second)` of the configured model on a random batch, so
    input never waits; the first `WARMUP_STEPS` (tracing, XLA compilation) are timed apart. The
    model is built under `cfg.train.dtype_policy`; `probe`, if given, gets the compute dtype of
    `PROBE_LAYER` and whether a loss-scaling optimizer was used."""
    model_class = keras.Model
    if cfg.train.distill_teacher:
        teacher = distill.load_teacher(cfg.train.distill_teacher, scheme)
        model_class = distill.distilling_model_class(teacher, cfg.train.distill_weight)
    with train.dtype_policy(cfg.train.dtype_policy):
        model = build_model(cfg.model, scheme, model_class=model_class)
        train.compile_model(model, cfg, scheme, steps_per_epoch=100)
    if probe is not None:
        probe["compute_dtype"] = model.get_layer(PROBE_LAYER).compute_dtype
        probe["loss_scale"] = type(model.optimizer).__name__.startswith("LossScale")
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
    parser.add_argument("--mixed-precision", default="false,bfloat16,float16",
                        help="comma list of train.mixed_precision values to compare")
    parser.add_argument("--compare", default=None, metavar="KEY=V1,V2",
                        help="compare these values of config KEY instead (an empty value: the key's default)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("-o", "--override", action="append", default=[])
    args = parser.parse_args()
    key, values = (args.compare or f"train.mixed_precision={args.mixed_precision}").split("=", 1)
    settings = [v.strip() for v in values.split(",")]
    cfgs = {v: load_config(args.config, [*args.override, *([f"{key}={v}"] if v else [])]) for v in settings}
    base = cfgs[settings[0]]
    scheme = get_scheme(base.data.scheme)
    print(f"batch {base.data.batch_size}, input {base.model.input_size}, alpha {base.model.alpha}, "
          f"head {base.model.head}, attribute head {base.model.attribute_head}, {args.steps} steps, "
          f"{tf.config.list_logical_devices()[-1].device_type}", flush=True)

    def measure(v):
        probe = {}
        first, rate = step_rate(cfgs[v], scheme, args.steps, probe)
        note = (f"first {WARMUP_STEPS} steps {first:.1f} s, {PROBE_LAYER} computes in "
                f"{probe['compute_dtype']}, loss scaling {probe['loss_scale']}")
        return rate * base.data.batch_size, note

    compare(key, settings, measure, args.repeats)


def compare(key: str, settings, measure, repeats: int) -> None:
    """Prints `measure(value)` -> `(images/s, note)` for each value of `key` in turn, `repeats`
    interleaved rounds so that a drifting machine shifts every setting alike, then each mean and
    its ratio to the first setting's."""
    rates = {v: [] for v in settings}
    for round_ in range(repeats):
        for v in settings:
            rate, note = measure(v)
            rates[v].append(rate)
            print(f"  round {round_ + 1} {key}={v}: {rate:6.1f} images/s{', ' + note if note else ''}", flush=True)
    reference = statistics.mean(rates[settings[0]])
    for v in settings:
        mean = statistics.mean(rates[v])
        print(f"{key}={v}: mean {mean:.1f} images/s "
              f"({', '.join(f'{r:.1f}' for r in rates[v])}), x{mean / reference:.2f} vs {settings[0]}")


if __name__ == "__main__":
    main()
