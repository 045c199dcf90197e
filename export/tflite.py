"""Export a trained landmark model to TFLite variants with model cards, then run the parity gate.

Usage:
  python -m export.tflite runs/default                      # export.variants of the run (float32, int8)
  python -m export.tflite runs/default --variants all --out dist/
  python -m export.tflite runs/default/model.keras --variants float32,int8 --selective 3
  python -m export.tflite runs/default -o export.representative_samples=500 -o export.qat_epochs=3
  python -m export.tflite runs/default --list cuhk/testImageList.txt --format cuhk --crop box

The gate's test list is `--list`, else the run's first `data.eval_lists` entry (its format and crop),
under `--data-root`, else the run's `data.root`; calibration reads the run's training list there.

Writes `<name>.<variant>.tflite` (model card embedded) and `<name>.<variant>.json` per variant, then
`parity.json`, `parity.md` and a CED plot (see `python -m export.parity`). float32 is always
exported: it is what the other variants are compared with. Nothing is written until every variant
converted and the gate ran; then every file is written into a hidden staging folder inside the
output folder and moved into place, so an export stopped at any point (even by SIGKILL) leaves no
partial model or card. Exit 0: all checks pass; 1: a parity check failed (one line each); 2: bad
input; 3: conversion or the gate failed (one line `error: ...`). TensorFlow loads only once the
arguments are read, so `--help` is quick.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
from typing import Dict, List, Optional

import fld_tf  # noqa: F401
import numpy as np

from fld_tf import logs, model_card, runtime
from export import parity, report, variants
from export.targets import load_target
from export.variants import VARIANTS, format_table, parse_variants
from fld_tf import metrics
from fld_tf.config import ConfigError
from fld_tf.data.sample import DataError
from fld_tf.schemes import get_scheme

BAD_INPUT = (ConfigError, DataError, FileNotFoundError, ValueError)


@dataclasses.dataclass
class Job:
    """Everything checked and loaded before any conversion starts."""

    cfg: object
    scheme: object
    model: object
    name: str
    variants: tuple
    out: str
    source: str
    root: Optional[str] = None
    images: Optional[np.ndarray] = None  # representative images, when a variant needs them
    min_face_score: Optional[float] = None  # the card's presence threshold, when given

    def deployable(self, model):
        """`model` (the landmark model or its QAT version) as converted: flip averaging when on."""
        from fld_tf.model import deployable

        return deployable(model, self.cfg.model, self.scheme)


def load_checked_model(path: str, cfg, scheme):
    """The landmark Keras model (flip averaging is added at conversion); raises `ValueError` naming
    the file if it is not an image model."""
    from fld_tf.evaluate import load_model
    from fld_tf.model import landmark_model

    if os.path.isdir(path) and not os.path.exists(os.path.join(path, "model.keras")):
        raise FileNotFoundError(f"{path}: no model.keras in this run directory (train first: "
                                f"python -m fld_tf.train --run-dir {path})")
    model = landmark_model(load_model(path))
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2] or not shape[1]:
        raise ValueError(f"{path}: model input {shape} is not a square RGB image (None, S, S, 3)")
    outputs = [tuple(t.shape) for t in model.outputs]
    if outputs != [(None, 2 * scheme.num_points)]:
        raise ValueError(f"{path}: model outputs {outputs} are not one (None, "
                         f"{2 * scheme.num_points}) landmarks of scheme {scheme.name!r}")
    return model


def prepare(args) -> Job:
    from fld_tf.evaluate import run_config

    cfg = run_config(args.model, args.override + ([f"data.root={args.data_root}"] if args.data_root else []))
    scheme = get_scheme(cfg.data.scheme)
    model = load_checked_model(args.model, cfg, scheme)
    if model.input_shape[1] != cfg.model.input_size:  # a bare model file without its config.yaml
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, input_size=model.input_shape[1]))
    names = parse_variants(args.variants) if args.variants else parse_variants(",".join(cfg.export.variants))
    variants = tuple(v for v in VARIANTS if v == "float32" or v in names)
    run_dir = args.model if os.path.isdir(args.model) else os.path.dirname(os.path.abspath(args.model))
    return Job(cfg, scheme, model, args.name or model_card.model_name(cfg.model, scheme), variants,
               args.out or os.path.join(run_dir, "export"), args.model, min_face_score=args.min_face_score)


def calibrate(job: Job) -> None:
    """Representative images from the run's training list, when a variant needs them."""
    from export import quantize
    from fld_tf.inputs import data_root

    if any(VARIANTS[v].calibrated for v in job.variants):
        job.root = data_root(job.cfg)
        job.images = quantize.representative_images(job.cfg, job.scheme, job.root)


def export_variant(job: Job, variant: str, data: Optional[bytes] = None, extra: Optional[Dict] = None):
    """`(file name, bytes, card)` of one variant, converted in memory (QAT is trained here)."""
    from export import quantize

    if data is None:
        model = job.model
        if variant == "qat":
            model = quantize.quantization_aware(job.model, job.images)
            quantize.fine_tune(model, job.cfg, job.scheme, job.root)
        representative = quantize.representative_fn(job.images) if job.images is not None else None
        data = variants.convert(job.deployable(model), variant, representative)
    if job.min_face_score is not None:
        extra = {**(extra or {}), "presence": {"min_face_score": job.min_face_score}}
    card = model_card.build_card(job.cfg, job.scheme, job.name, variant, runtime.io_details(data), {},
                                 job.source, extra)
    return card.model_file, data, card


def retry_selective(job: Job, models: List, summary: Dict, tests, profile, count: int):
    """Int8 missed its NME bound: keep the worst 1, 2, .. `count` layers in float
    (`export.selective`) until it meets the bound; then re-run the whole gate.

    A choice LiteRT cannot prepare is skipped with one line on stderr; if none prepares, plain
    int8 stays, with its failed checks.
    """
    from export import selective

    plain = summary["variants"]["int8"]
    bound = profile.rule("int8").max_nme_increase_pp if profile.rule("int8") else None
    reference = summary["variants"]["float32"]["metrics"]["nme_percent"]
    search = selective.SelectiveInt8(job.deployable(job.model), job.images)
    found = None
    for n in range(1, count + 1):
        try:
            found = search.quantize(n)
        except selective.SelectiveError as e:
            print(f"selective int8: {e}; skipped", file=sys.stderr)
            continue
        points = parity.predict_points(found[0], export_variant(job, "int8", found[0])[2], tests)
        if bound is not None and 100 * metrics.nme(points, tests.points, job.scheme).mean() - reference <= bound:
            break
    if found is None:
        print("selective int8: no choice of float layers gave a model LiteRT can run; plain int8 kept",
              file=sys.stderr)
        return models, summary
    data, debug = found
    debug["plain_int8"] = {"bytes": plain["bytes"], "nme_percent": plain["metrics"]["nme_percent"],
                           "latency_ms": plain["latency_ms"]}
    debug["plain_int8_failures"] = [f for f in summary["failures"] if f.startswith("int8:")]
    models = [export_variant(job, "int8", data, {"quantization_debug": debug}) if m[2].variant == "int8"
              else m for m in models]
    return models, parity.run_parity(models, tests, profile)


def write_all(job: Job, models: List, summary: Optional[Dict]) -> None:
    """Writes every model, card and report file into a staging folder inside `job.out`, then moves
    them into place: a stop before the moves leaves no model, card or report behind."""
    os.makedirs(job.out, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export.", suffix=".tmp", dir=job.out)
    try:
        for file_name, data, card in models:
            if summary:
                card = card.replace(metrics={summary["list"]["name"]: summary["variants"][card.variant]["metrics"]})
            model_card.write_model(os.path.join(staging, file_name), data, card)
            print(f"  {file_name:<40} {len(data) / 1024:8.1f} KB  {VARIANTS[card.variant].description}")
        if summary:
            report.write(staging, summary)
        for name in sorted(os.listdir(staging)):
            os.replace(os.path.join(staging, name), os.path.join(job.out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_and_check(job: Job, args, tests, profile):
    """`(models, parity summary or None)`: every variant converted in memory, then the gate."""
    models = [export_variant(job, v) for v in job.variants]
    summary = None
    if tests is not None:
        summary = parity.run_parity(models, tests, profile)
        if args.selective and "int8" in job.variants and any(
                f.startswith("int8: NME") for f in summary["failures"]):
            models, summary = retry_selective(job, models, summary, tests, profile, args.selective)
    return models, summary


def one_line(error: BaseException) -> str:
    """A converter's or LiteRT's multi-line error as one line (its first 300 characters)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m export.tflite", description=__doc__.split("\n")[0],
                                     epilog="variants:\n" + format_table(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="run directory (with model.keras, config.yaml) or a model file")
    parser.add_argument("--variants", default=None, help="comma list or 'all' (default: the config's export.variants)")
    parser.add_argument("--out", default=None, help="output folder (default: <run>/export)")
    parser.add_argument("--name", default=None, help="artifact name (default e.g. mnv2-a050-mtfl5-112)")
    parser.add_argument("--selective", type=int, default=3, metavar="N",
                        help="if int8 misses its NME bound, keep the N worst layers in float (0: off)")
    parser.add_argument("--no-parity", action="store_true", help="skip the parity gate")
    parser.add_argument("--min-face-score", type=float, default=None, metavar="S",
                        help="presence threshold written into the cards, as chosen for this model with "
                             "benchmarks/face_presence.py (default: none; fld_tf.landmarker then uses its own)")
    parser.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE")
    parity.add_test_arguments(parser)
    logs.add_flag(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.verbose)
    try:
        if args.selective < 0:
            raise ValueError(f"--selective must be 0 (off) or positive, got {args.selective}")
        if args.min_face_score is not None and not 0 <= args.min_face_score <= 1:
            raise ValueError(f"--min-face-score {args.min_face_score:g}: must be in [0, 1]")
        job = prepare(args)
        profile = load_target(args.target or job.cfg.export.target)
        tests = None if args.no_parity else parity.read_tests(args, job.scheme, job.cfg)
        calibrate(job)
    except BAD_INPUT as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        models, summary = export_and_check(job, args, tests, profile)
    except Exception as e:  # noqa: BLE001  converter / LiteRT failures: one line, nothing written
        print(f"error: export of {job.name} failed: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
        return 3
    print(f"Exported {job.name} to {job.out}:")
    write_all(job, models, summary)
    int8 = os.path.join(job.out, f"{job.name}.{'int8' if 'int8' in job.variants else 'float32'}.tflite")
    parity_line = parity.rerun_command(job.out, tests) if tests is not None else f"python -m export.parity {job.out}"
    print(f"  Parity:  {parity_line}\n"
          f"  Golden:  python -m export.golden {int8} --out android_demo/landmark-core/src/test/resources/golden\n"
          f"  Android: copy {int8} and its .json into android_demo/app/src/main/assets/")
    return report.finish(summary) if summary else 0


if __name__ == "__main__":
    sys.exit(main())
