"""Look at landmark lists before training on them.

Usage:
  python -m fld_tf.data stats /data/mtfl/training.txt /data/mtfl/testing.txt --format mtfl --out runs/stats
  python -m fld_tf.data show /data/mtfl/cuhk/testImageList.txt --format cuhk --out sheet.png --n 16
  python -m fld_tf.data pack /data/mtfl/training.txt --format mtfl --out /data/mtfl-records --shards 16

Each subcommand is one entry of `COMMANDS`: (help, function adding its arguments, function running it).
Bad input prints one line `error: ...` naming the file and line, and exits with status 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

from fld_tf.geometry import CROP_SOURCES
from fld_tf.data.readers import DEFAULT_SCHEMES, FORMATS, ON_BAD, ReadResult, read_list
from fld_tf.data.sample import DataError
from fld_tf.schemes import SCHEMES, PointScheme, get_scheme


def add_list_args(parser: argparse.ArgumentParser, many: bool = False) -> None:
    """Arguments every list-reading subcommand shares."""
    parser.add_argument("lists" if many else "list", nargs="+" if many else None, metavar="LIST",
                        help="list file (for --format pts: a folder of .pts files)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="list format")
    parser.add_argument("--image-root", help="folder the image paths are relative to "
                        "(default: the list's folder, or its parent)")
    parser.add_argument("--scheme", choices=sorted(SCHEMES),
                        help="point scheme (default by format: " +
                        ", ".join(f"{f} -> {s}" for f, s in DEFAULT_SCHEMES.items()) + ")")
    parser.add_argument("--on-bad", choices=ON_BAD, default="error", help="bad records: stop or skip them")


def read_from_args(args: argparse.Namespace, path: str) -> Tuple[ReadResult, PointScheme]:
    """Reads one list with the shared list arguments."""
    scheme = get_scheme(args.scheme or DEFAULT_SCHEMES[args.format])
    return read_list(path, args.format, args.image_root, args.on_bad, scheme), scheme


def _add_stats(parser: argparse.ArgumentParser) -> None:
    add_list_args(parser, many=True)
    parser.add_argument("--out", help="folder for <list>_face_scale.png histograms")


def run_stats(args: argparse.Namespace) -> int:
    from fld_tf.data import stats

    for path in args.lists:
        result, scheme = read_from_args(args, path)
        summary = stats.list_stats(result, scheme)
        print(f"== {path} (format {args.format}, scheme {scheme.name})")
        print(stats.format_stats(summary))
        for source, reason in result.skipped[:5]:
            print(f"  skipped {source}: {reason}")
        if args.out:
            name = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
            png = os.path.join(args.out, f"{name}_face_scale.png")
            stats.save_scale_histogram(summary.scale, png, f"{path}: face scale ({summary.count} samples)")
            print(f"wrote {png}")
    return 0


def _add_show(parser: argparse.ArgumentParser) -> None:
    add_list_args(parser)
    parser.add_argument("--out", required=True, help="contact sheet PNG to write")
    parser.add_argument("--n", type=int, default=16, help="number of samples, spread over the list")
    parser.add_argument("--crop", choices=CROP_SOURCES,
                        help="show model-input crops made by this crop rule instead of whole images")
    parser.add_argument("--augmented", action="store_true",
                        help="show crops as training sees them (random augmentation); implies --crop auto")
    parser.add_argument("--config", help="config for crop rule, input size and augmentation (default: built-in)")


def model_input_sheet(args: argparse.Namespace, samples, scheme: PointScheme, path: str):
    """Contact sheet of the crops the tf.data pipeline feeds the model, landmarks drawn."""
    from fld_tf import pipeline, plots
    from fld_tf.config import load_config

    cfg = load_config(args.config)
    size = cfg.model.input_size
    step = max(1, len(samples) // args.n)
    chosen = list(samples)[::step][:args.n]
    arrays = pipeline.sample_arrays(chosen, cfg.data.crop, args.crop or "auto", len(scheme.attribute_names))
    ds = pipeline.build_dataset(cfg.data, scheme, size, arrays, training=args.augmented,
                                batch_size=len(chosen))
    images, targets = next(iter(ds))
    points = targets["landmarks"].numpy().reshape(len(chosen), -1, 2) * size - 0.5
    return plots.contact_sheet([im.astype("uint8") for im in images.numpy()], list(points), path,
                               cols=int(np.ceil(np.sqrt(len(chosen)))))


def run_show(args: argparse.Namespace) -> int:
    from fld_tf.data import stats

    result, scheme = read_from_args(args, args.list)
    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    if args.crop or args.augmented:
        sheet = model_input_sheet(args, result.samples, scheme, args.out)
        print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]}, {min(args.n, len(result.samples))} crops)")
        return 0
    sheet = stats.contact_sheet(result.samples, args.out, args.n)
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]}, {min(args.n, len(result.samples))} samples)")
    return 0


def _add_pack(parser: argparse.ArgumentParser) -> None:
    add_list_args(parser)
    parser.add_argument("--out", required=True, help="empty folder for the shards and manifest.json")
    parser.add_argument("--shards", type=int, default=16,
                        help="number of shards; at least the number of training workers (default 16)")


def run_pack(args: argparse.Namespace) -> int:
    from fld_tf.data import tfrecord

    result, scheme = read_from_args(args, args.list)
    stem = os.path.splitext(os.path.basename(os.path.normpath(args.list)))[0]
    about = {"list": os.path.abspath(args.list), "format": args.format, "skipped": len(result.skipped)}
    manifest = tfrecord.pack(result.samples, scheme.name, args.out, args.shards, stem, about)
    megabytes = sum(os.path.getsize(os.path.join(args.out, n)) for n in manifest["shards"]) / 1e6
    print(f"wrote {manifest['records']} records ({megabytes:.1f} MB) in {args.shards} shards to {args.out}"
          + (f"; skipped {len(result.skipped)} bad records" if result.skipped else ""))
    print(f"  Train: python -m fld_tf.train -o data.train_list={os.path.abspath(args.out)} "
          f"-o data.train_format=tfrecord -o data.scheme={scheme.name}")
    return 0


COMMANDS = {
    "stats": ("counts, image sizes, inter-ocular distance, face scale", _add_stats, run_stats),
    "show": ("contact sheet of images with landmarks drawn", _add_show, run_show),
    "pack": ("sharded TFRecords (image bytes and annotations) for fast, multi-worker training",
             _add_pack, run_pack),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_args, run) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_args(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
