"""Training images per second as `fit` sees them: the real input pipeline (decoded once, cached,
sampled by class and augmented, as training builds it) feeding the real training step, for the
values of one config key in turn.

Usage:
  python benchmarks/fit_throughput.py --data-root ../shared/data/mtfl --compare data.batch_size=64,32
      [--images 3000] [--timed 6400] [--repeats 2] [-o key=value ...]

`train_step.py` times the step alone on a fixed in-memory batch and `pipeline_throughput.py` the
pipeline alone; on two cores the two share the CPU, and only this shows what an epoch gets. The first
pass over the `--images` faces (filling the cache, tracing the step) is not timed; then `--timed`
images are.
"""
import argparse
import time

import fld_tf  # noqa: F401
import tf_keras as keras

from fld_tf import inputs, pipeline, train
from fld_tf.config import load_config
from fld_tf.model import build_model
from fld_tf.schemes import get_scheme
from pipeline_throughput import training_arrays, warm_batches
from train_step import compare


def fit_rate(cfg, scheme, arrays, timed_images: int) -> float:
    """Images per second of `model.fit` on the training pipeline of `arrays`, after a warm-up pass."""
    keras.backend.clear_session()
    resample = inputs.resample_for(cfg, scheme, arrays["attributes"])
    ds = pipeline.build_dataset(cfg.data, scheme, cfg.model.input_size, arrays, training=True, resample=resample)
    model = build_model(cfg.model, scheme)
    train.compile_model(model, cfg, scheme, steps_per_epoch=100)
    model.fit(ds, steps_per_epoch=warm_batches(cfg, resample, arrays), epochs=1, verbose=0)
    steps = max(1, timed_images // cfg.data.batch_size)
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * cfg.data.batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--config", default=None)
    parser.add_argument("--compare", required=True, metavar="KEY=V1,V2",
                        help="the values of config KEY to compare (an empty value: the key's default)")
    parser.add_argument("--images", type=int, default=3000, help="faces of the training list to cycle through")
    parser.add_argument("--timed", type=int, default=6400, help="images timed per measurement")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    key, values = args.compare.split("=", 1)
    settings = [v.strip() for v in values.split(",")]
    cfgs = {v: load_config(args.config, [f"data.root={args.data_root}", *args.override,
                                         *([f"{key}={v}"] if v else [])]) for v in settings}
    scheme = get_scheme(cfgs[settings[0]].data.scheme)
    arrays = training_arrays(cfgs[settings[0]], scheme, args.data_root, args.images)
    compare(key, settings, lambda v: (fit_rate(cfgs[v], scheme, arrays, args.timed), ""), args.repeats)


if __name__ == "__main__":
    main()
