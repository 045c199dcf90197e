"""Evaluate a landmark model on any supported list: NME, failure rate, AUC, per-point error, CED.

Usage:
  python -m fld_tf.evaluate runs/default --list testing.txt --format mtfl --crop image
  python -m fld_tf.evaluate runs/default/model.keras --list cuhk/testImageList.txt --format cuhk
  python -m fld_tf.evaluate runs/default --list testing.txt --crop image -o model.flip_test=false
  python -m fld_tf.evaluate runs/helen68 --list helen68/testset --format pts --crop landmarks

A relative `--list` is under `--data-root`, else the run's `data.root` (training records the root it
used in the run's `config.yaml`), else `$FLD_DATA` (`$FLD_DATA/<data.dataset>` for a named dataset),
else the current folder. Every image is decoded and every point checked first.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, Optional, Sequence

import numpy as np

from fld_tf import logs
from fld_tf import geometry
from fld_tf.config import Config, ConfigError, ON_BAD, load_config
from fld_tf.data.readers import FORMATS
from fld_tf.data.sample import DataError
from fld_tf.io import write_json
from fld_tf.schemes import PointScheme, get_scheme

# TensorFlow (through the model and the pipeline) is imported by the functions that need it, so
# that `--help` and bad arguments answer at once.

GRID_FACES = 32


def predict_crops(model, dataset, keep: int = 0):
    """Runs `model` over an eval `dataset` in one pass.

    Returns:
      `(outputs, images)`: normalised crop coordinates `(N, K, 2)`, and the first `keep` input
      images (uint8), kept on the way so that plotting them does not decode them again.
    """
    outputs, images = [], []
    for x, _ in dataset:
        out = model.predict_on_batch(x)
        outputs.append(np.asarray(out["landmarks"] if isinstance(out, dict) else out, np.float32))
        if len(images) < keep:
            images.extend(x.numpy()[:keep - len(images)].astype(np.uint8))
    crop = np.concatenate(outputs)
    return crop.reshape(len(crop), -1, 2), images


def evaluate_list(model, cfg: Config, scheme: PointScheme, root: Optional[str], list_path: str,
                  fmt: str, crop: str, out_dir: str, name: str,
                  image_root: Optional[str] = None, arrays: Optional[Dict] = None) -> Dict:
    """Evaluates a Keras model on one list; writes `ced_<name>.png` and `predictions_<name>.png`
    to `out_dir`.

    Args:
      root: the folder a relative `list_path` is under (None: the current folder).
      arrays: the list already read (`pipeline.read_split`), else it is read here.

    Returns:
      `metrics.summarize` of the list, plus the list path and crop rule.
    """
    from fld_tf import metrics, pipeline, plots

    size = cfg.model.input_size
    if arrays is None:
        arrays = pipeline.read_split(cfg.data, root, list_path, fmt, crop, scheme, image_root)
    dataset = pipeline.build_dataset(cfg.data, scheme, size, arrays, training=False)
    crop_pred, images = predict_crops(model, dataset, keep=GRID_FACES)
    pred = geometry.decode_faces(crop_pred, arrays["square"], size)
    gt = arrays["points"]
    summary = metrics.summarize(pred, gt, scheme)
    summary.update({"list": list_path, "format": fmt, "crop": crop})
    os.makedirs(out_dir, exist_ok=True)
    plots.plot_ced({name: metrics.nme(pred, gt, scheme)}, os.path.join(out_dir, f"ced_{name}.png"))
    n = len(images)
    crop_gt = np.stack([geometry.encode(p, sq, size) for p, sq in zip(gt[:n], arrays["square"][:n])])
    plots.prediction_grid(images, crop_pred[:n] * size - 0.5, crop_gt * size - 0.5,
                          os.path.join(out_dir, f"predictions_{name}.png"), scheme=scheme)
    return summary


def load_model(path: str):
    """Loads the deployable model from a run directory or a .keras / .h5 / SavedModel path."""
    import fld_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
    import tf_keras as keras

    if os.path.isdir(path) and os.path.exists(os.path.join(path, "model.keras")):
        path = os.path.join(path, "model.keras")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such model or run directory")
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot load a Keras model: {e}") from None


def run_config(path: str, overrides: Sequence[str] = ()) -> Config:
    """The config a run was trained with (its `config.yaml`), else the defaults."""
    run_dir = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    config = os.path.join(run_dir, "config.yaml")
    return load_config(config if os.path.exists(config) else None, overrides)


def list_root(list_path: str, cfg: Config, data_root: Optional[str] = None) -> Optional[str]:
    """The folder a relative `list_path` is under: `data_root` (`--data-root`), else the run's
    `data.root`, else `$FLD_DATA` (with `/<data.dataset>` for a named dataset), else the current
    folder (`find_root`, never downloading). None for an absolute path."""
    from fld_tf.data.download import find_root

    if os.path.isabs(list_path):
        return None
    if data_root:
        return find_root(None, data_root)
    return find_root(cfg.data.dataset, cfg.data.root, download=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="run directory or model file (.keras, .h5, SavedModel)")
    parser.add_argument("--list", required=True,
                        help="list file (for --format pts: a folder of .pts or a list of them); relative "
                             "to --data-root, else the run's data.root, else $FLD_DATA, else here")
    parser.add_argument("--format", default="mtfl", choices=FORMATS)
    parser.add_argument("--crop", default="auto", choices=geometry.CROP_SOURCES)
    parser.add_argument("--data-root", default=None, help="folder that relative list paths are under")
    parser.add_argument("--image-root", default=None, help="folder that image paths are under")
    parser.add_argument("--on-bad", choices=ON_BAD, default=None,
                        help="a bad record or image: stop (default: the run's data.on_bad) or skip it")
    parser.add_argument("--out", default=None, help="output folder (default: <run>/eval)")
    parser.add_argument("--name", default=None, help="name for the output files (default: list stem)")
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE")
    logs.add_flag(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    overrides = args.override + ([f"data.on_bad={args.on_bad}"] if args.on_bad else [])
    try:
        cfg = run_config(args.model, overrides)
        root = list_root(args.list, cfg, args.data_root)
        from fld_tf.model import deployable

        scheme = get_scheme(cfg.data.scheme)
        model = deployable(load_model(args.model), cfg.model, scheme)
        name = args.name or os.path.splitext(os.path.basename(args.list.rstrip("/")))[0]
        out = args.out or os.path.join(args.model if os.path.isdir(args.model)
                                       else os.path.dirname(os.path.abspath(args.model)), "eval")
        summary = evaluate_list(model, cfg, scheme, root, args.list, args.format, args.crop, out, name,
                                args.image_root)
        write_json(os.path.join(out, f"metrics_{name}.json"), summary)
    except (ConfigError, DataError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_summary(name, summary))
    return 0


def format_summary(name: str, s: Dict) -> str:
    """One line of headline numbers, plus the scheme protocol's other normalisations and regions."""
    line = (f"{name}: {s['count']} faces  NME {s['nme_percent']:.2f}%  "
            f"failure@10% {s['failure_rate_percent']:.2f}%  AUC@10% {s['auc_at_10']:.4f}")
    extra = [f"NME by {k} {v:.2f}%" for k, v in s.get("nme_percent_by", {}).items()]
    extra += [f"failure@{k}% {v:.2f}%" for k, v in s.get("failure_rate_percent_at", {}).items() if k != "10"]
    regions = s.get("per_region_nme_percent", {})
    if regions:
        extra.append("regions " + " ".join(f"{k} {v:.2f}%" for k, v in regions.items()))
    return line + "".join(f"\n  {e}" for e in extra)


if __name__ == "__main__":
    sys.exit(main())
