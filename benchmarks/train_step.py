"""Shared by the throughput benchmarks: training steps per second on a fixed in-memory batch."""
import time

import fld_tf  # noqa: F401
import tensorflow as tf

from fld_tf import train
from fld_tf.model import build_model

WARMUP_STEPS = 3


def step_rate(cfg, scheme, steps: int):
    """`(first steps seconds, steps per second)` of the configured model on a random batch, so
    input never waits; the first `WARMUP_STEPS` (tracing, XLA compilation) are timed apart."""
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
