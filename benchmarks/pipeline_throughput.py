"""Input pipeline vs training step: images per second of each, and their ratio.

Usage:
  python benchmarks/pipeline_throughput.py --data-root ../shared/data/mtfl [--images 2000] [-o key=value ...]

The pipeline is timed alone after its cache is warm (the steady state of every epoch after the
first), built as training builds it: with the config's sampling by attribute class
(`data.resample_attribute`, the default's pose sampling; `-o data.resample_attribute=` for the
stream as listed). The training step is timed on a fixed in-memory batch so it does not wait for input.
"""
import argparse
import time

import fld_tf  # noqa: F401

from fld_tf import inputs, pipeline
from fld_tf.config import load_config
from fld_tf.schemes import get_scheme
from train_step import step_rate


def warm_batches(cfg, resample, arrays) -> int:
    """Batches after which the first pass has filled the cache (sampling by class reads
    `1 / kept_fraction` cached elements per image it keeps)."""
    kept = inputs.kept_fraction(resample, arrays["attributes"])
    return int(len(arrays["path"]) / (cfg.data.batch_size * kept)) + 2


def training_arrays(cfg, scheme, root: str, images: int):
    """`pipeline.sample_arrays` of the first `images` faces of the config's training list."""
    samples = pipeline.read_samples(cfg.data, root, cfg.data.train_list, cfg.data.train_format, scheme)[:images]
    return pipeline.sample_arrays(samples, cfg.data.crop, cfg.data.train_crop, len(scheme.attribute_names))


def pipeline_rate(cfg, scheme, arrays, batches: int) -> float:
    resample = inputs.resample_for(cfg, scheme, arrays["attributes"])
    ds = pipeline.build_dataset(cfg.data, scheme, cfg.model.input_size, arrays, training=True, resample=resample)
    it = iter(ds)
    for _ in range(warm_batches(cfg, resample, arrays)):
        next(it)
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * cfg.data.batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--config", default=None)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    cfg = load_config(args.config, [f"data.root={args.data_root}", *args.override])
    scheme = get_scheme(cfg.data.scheme)
    arrays = training_arrays(cfg, scheme, args.data_root, args.images)
    p = pipeline_rate(cfg, scheme, arrays, args.batches)
    t = step_rate(cfg, scheme, args.steps)[1] * cfg.data.batch_size
    print(f"pipeline: {p:.0f} images/s  training step: {t:.0f} images/s  ratio: {p / t:.1f}x "
          f"(batch {cfg.data.batch_size}, input {cfg.model.input_size}, alpha {cfg.model.alpha})")


if __name__ == "__main__":
    main()
