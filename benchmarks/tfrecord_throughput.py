"""Input pipeline throughput: loose image files vs packed TFRecord shards, same augmentation.

Usage:
  python benchmarks/tfrecord_throughput.py --data-root ../shared/data/mtfl [--images 2000] [--shards 16]

Packs the first `--images` faces of the training list into a temporary folder, then times the
training pipeline (`fld_tf.pipeline`, augmentation on) from each source:
  cold: the first pass, which reads and decodes every image into the context cache (the image files
        and shards may still sit in the OS page cache: packing has just read them);
  warm: later batches, augmented from the cache (every epoch after the first).
"""
import argparse
import math
import tempfile
import time

import fld_tf  # noqa: F401

from fld_tf import pipeline
from fld_tf.config import load_config
from fld_tf.data import tfrecord
from fld_tf.schemes import get_scheme


def rates(ds, images: int, batch: int, warm_batches: int):
    """Images per second of the first pass over `images` faces, then of `warm_batches` more batches."""
    it = iter(ds)
    first = math.ceil(images / batch)
    start = time.perf_counter()
    for _ in range(first):
        next(it)
    cold = first * batch / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(warm_batches):
        next(it)
    return cold, warm_batches * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--config", default=None)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--batches", type=int, default=60, help="warm batches timed")
    parser.add_argument("-o", "--override", action="append", default=[])
    args = parser.parse_args()
    cfg = load_config(args.config, [f"data.root={args.data_root}", *args.override])
    scheme, size, batch = get_scheme(cfg.data.scheme), cfg.model.input_size, cfg.data.batch_size
    samples = pipeline.read_samples(cfg.data, args.data_root, cfg.data.train_list,
                                    cfg.data.train_format, scheme)[:args.images]
    with tempfile.TemporaryDirectory(prefix="fld_tf-bench-") as out:
        start = time.perf_counter()
        tfrecord.pack(samples, scheme.name, out, args.shards)
        pack_seconds = time.perf_counter() - start
        arrays = pipeline.sample_arrays(samples, cfg.data.crop, cfg.data.train_crop, len(scheme.attribute_names))
        files = tfrecord.find_shards(out)
        sources = {
            "files": pipeline.build_dataset(cfg.data, scheme, size, arrays, training=True),
            "tfrecord": pipeline.build_record_dataset(cfg.data, scheme, size, files, training=True,
                                                      crop_source=cfg.data.train_crop),
        }
        print(f"{len(samples)} images, batch {batch}, input {size}, {args.shards} shards "
              f"(packed in {pack_seconds:.1f} s)")
        for name, ds in sources.items():
            cold, warm = rates(ds, len(samples), batch, args.batches)
            print(f"  {name:9s} cold (first pass, decode): {cold:7.0f} images/s   warm (cached): {warm:7.0f} images/s")


if __name__ == "__main__":
    main()
