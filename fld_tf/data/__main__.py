"""Look at landmark lists before training on them.

Usage:
  python -m fld_tf.data stats /data/mtfl/training.txt /data/mtfl/testing.txt --format mtfl --out stats.png
  python -m fld_tf.data stats helen68/trainset helen68/testset --format pts --data-root /data
  python -m fld_tf.data show /data/mtfl/cuhk/testImageList.txt --format cuhk --out sheet.png --n 16
  python -m fld_tf.data pack /data/mtfl/training.txt --format mtfl --out /data/mtfl-records --shards 16

A relative LIST is under `--data-root`, else the `--config`'s data root (`data.root`, else
`$FLD_DATA/<data.dataset>`), else `$FLD_DATA`, else the current folder. Lists are read as training
reads them: every image decoded, every point checked (`--on-bad skip` counts the bad ones).

Each subcommand is one entry of `COMMANDS`: (help, function adding its arguments, function running it).
Bad input prints one line `error: ...` naming the file and line, and exits with status 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

from fld_tf import logs
from fld_tf.geometry import CROP_SOURCES
from fld_tf.data.readers import DEFAULT_SCHEMES, FORMATS, ON_BAD, ReadResult, read_list
from fld_tf.data.sample import DataError
from fld_tf.schemes import SCHEMES, PointScheme, get_scheme


def add_list_args(parser: argparse.ArgumentParser, many: bool = False) -> None:
    """Arguments every list-reading subcommand shares."""
    parser.add_argument("lists" if many else "list", nargs="+" if many else None, metavar="LIST",
                        help="list file (for --format pts: a folder of .pts files, or a list of them)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="list format")
    parser.add_argument("--data-root", help="folder relative LIST paths are under (else the --config's "
                        "data root, else $FLD_DATA, else the current folder)")
    parser.add_argument("--config", help="a training config: its data root, scheme, crop rule, input size "
                        "and augmentation (default: built-in)")
    parser.add_argument("--image-root", help="folder the image paths are relative to "
                        "(default: the list's folder, or its parent)")
    parser.add_argument("--scheme", choices=sorted(SCHEMES),
                        help="point scheme (default by format: " +
                        ", ".join(f"{f} -> {s}" for f, s in DEFAULT_SCHEMES.items()) + ")")
    parser.add_argument("--on-bad", choices=ON_BAD, default="error", help="bad records: stop or skip them")


def list_path(args: argparse.Namespace, path: str) -> str:
    """`path` under the data root the arguments name (see the module docstring)."""
    from fld_tf.data.download import find_root

    if os.path.isabs(path):
        return path
    if args.data_root:
        root = find_root(None, args.data_root)
    elif args.config:
        cfg = config_of(args)
        root = find_root(cfg.data.dataset, cfg.data.root, download=False)
    else:
        root = find_root()
    return os.path.join(root, path)


def config_of(args: argparse.Namespace):
    from fld_tf.config import load_config

    return load_config(args.config)


def read_from_args(args: argparse.Namespace, path: str) -> Tuple[ReadResult, PointScheme]:
    """Reads one list with the shared list arguments, images decoded and points checked."""
    scheme_name = args.scheme or (config_of(args).data.scheme if args.config else DEFAULT_SCHEMES[args.format])
    scheme = get_scheme(scheme_name)
    result = read_list(list_path(args, path), args.format, args.image_root, args.on_bad, scheme,
                       check_images=True)
    return result, scheme


def _add_stats(parser: argparse.ArgumentParser) -> None:
    add_list_args(parser, many=True)
    parser.add_argument("--out", help="histogram PNG to write (image size, inter-ocular distance, face scale)")


def run_stats(args: argparse.Namespace) -> int:
    from fld_tf.data import stats

    if args.out and not args.out.lower().endswith(".png"):
        raise ValueError(f"--out {args.out}: expected a .png file name")
    summaries = {}
    for path in args.lists:
        result, scheme = read_from_args(args, path)
        summary = stats.list_stats(result, scheme)
        summaries[path] = summary
        print(f"== {list_path(args, path)} (format {args.format}, scheme {scheme.name})")
        print(stats.format_stats(summary))
        for source, reason in result.skipped[:5]:
            print(f"  skipped {source}: {reason}")
    if args.out:
        stats.save_histograms(summaries, args.out)
        print(f"wrote {args.out}")
    return 0


def _add_show(parser: argparse.ArgumentParser) -> None:
    add_list_args(parser)
    parser.add_argument("--out", required=True, help="contact sheet PNG to write")
    parser.add_argument("--n", type=int, default=16, help="number of samples, spread over the list")
    parser.add_argument("--crop", choices=CROP_SOURCES,
                        help="show model-input crops made by this crop rule instead of whole images")
    parser.add_argument("--augmented", action="store_true",
                        help="show crops as training sees them (random augmentation); implies --crop auto")


def model_input_sheet(args: argparse.Namespace, samples, scheme: PointScheme, path: str):
    """Contact sheet of the crops the tf.data pipeline feeds the model, landmarks drawn."""
    from fld_tf import pipeline, plots
    from fld_tf.config import load_config

    cfg = load_config(args.config, [f"data.scheme={scheme.name}"])
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
    result, scheme = read_from_args(args, args.list)
    from fld_tf.data import tfrecord  # TensorFlow: only once the list was read

    stem = os.path.splitext(os.path.basename(os.path.normpath(args.list)))[0]
    about = {"list": os.path.abspath(list_path(args, args.list)), "format": args.format,
             "skipped": len(result.skipped)}
    manifest = tfrecord.pack(result.samples, scheme.name, args.out, args.shards, stem, about)
    megabytes = sum(os.path.getsize(os.path.join(args.out, n)) for n in manifest["shards"]) / 1e6
    print(f"wrote {manifest['records']} records ({megabytes:.1f} MB) in {args.shards} shards to {args.out}"
          + (f"; skipped {len(result.skipped)} bad records" if result.skipped else ""))
    print(f"  Train: python -m fld_tf.train -o data.train_list={os.path.abspath(args.out)} "
          f"-o data.train_format=tfrecord -o data.scheme={scheme.name}")
    return 0


COMMANDS = {
    "stats": ("summary: counts, image sizes, inter-ocular distance, face scale, points outside; "
              "histograms with --out", _add_stats, run_stats),
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
        logs.add_flag(sub)
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
