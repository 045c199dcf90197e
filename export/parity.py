"""Parity gate: run every exported `.tflite` in LiteRT on a test list and check it against a target.

Usage:
  python -m export.parity runs/default/export                       # every .tflite in the folder
  python -m export.parity a.float32.tflite a.int8.tflite --list cuhk/testImageList.txt --format cuhk --crop box
  python -m export.parity runs/default/export --target export/targets/android-arm64.yaml --limit 500
  python -m export.parity runs/helen68/export --list helen68/testset --format pts --crop landmarks

Without `--list` the test list is MTFL's AFLW test (`$FLD_DATA/mtfl/testing.txt`); a relative
`--list` is under `--data-root`, else `$FLD_DATA`, else the current folder (no dataset needed).

Each model is fed exactly as its model card says: `fld_tf.pipeline` (eval mode) configured from the
card's crop rule, input size and dtype. Reported per variant: NME, failure rate, AUC, per-point NME,
the prediction difference from float32 (% of inter-ocular distance), XNNPACK vs reference kernels,
host latency, float ops, GPU-delegate compatibility, and whether the model does what its card
says (`export.card_checks`: flip averaging, pixel range, colour order). Writes `parity.json`,
`parity.md` and `ced_<list>.png` beside the models, only once every model was measured; exits 1
with one line per failed check, 2 on bad input, 3 if LiteRT fails (one line `error: ...` each). TensorFlow (for the crop
pipeline) loads only once the arguments are read.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import fld_tf  # noqa: F401
import numpy as np

from fld_tf import logs, model_card, runtime
from export import card_checks, report
from export.targets import TargetProfile, check_report, latency_gated, load_target
from export.variants import VARIANTS
from fld_tf import geometry, metrics
from fld_tf.config import Config, ConfigError, DataConfig, ExportConfig
from fld_tf.data.download import find_root
from fld_tf.data.readers import FORMATS
from fld_tf.data.sample import DataError
from fld_tf.schemes import PointScheme

DEFAULT_LIST = ("aflw_test", "testing.txt", "mtfl", "image")  # name, list, format, crop
DEFAULT_DATASET = "mtfl"  # where DEFAULT_LIST is: $FLD_DATA/mtfl, else the cache
Model = Tuple[str, bytes, model_card.ModelCard]  # (file name, .tflite bytes, card)
CED_STEPS = 201  # CED curve samples kept in parity.json (0.05 pp apart up to 10%)


class TestSet:
    """A test list read once, cropped per card (crop rule and size come from each model's card)."""

    def __init__(self, name: str, root: str, list_path: str, fmt: str, crop: str, scheme: PointScheme,
                 image_root: Optional[str] = None, limit: int = 0):
        from fld_tf import pipeline  # TensorFlow: not needed for --help

        self.name, self.list_path, self.fmt, self.crop = name, list_path, fmt, crop
        self.image_root = image_root
        # Absolute, so that the printed re-run command works from anywhere.
        self.path = os.path.abspath(list_path if os.path.isabs(list_path) else os.path.join(root or "", list_path))
        data_cfg = DataConfig(on_bad="error")
        self.samples = pipeline.read_samples(data_cfg, None, self.path, fmt, scheme, image_root)
        if limit:
            self.samples = self.samples[:limit]
        self.points = np.stack([s.points for s in self.samples]).astype(np.float32)
        self._crops: Dict = {}

    def crops(self, card: model_card.ModelCard) -> Tuple[np.ndarray, np.ndarray]:
        """uint8 model inputs `(N, S, S, 3)` and crop squares `(N, 3)` for the card's preprocessing."""
        from fld_tf import pipeline

        crop_cfg, size = card.crop.rule, card.size
        key = (crop_cfg, size)
        if key not in self._crops:
            data_cfg = DataConfig(crop=crop_cfg, cache=False)
            arrays = pipeline.sample_arrays(self.samples, crop_cfg, self.crop)
            dataset = pipeline.build_dataset(data_cfg, card.scheme, size, arrays,
                                             training=False, batch_size=64)
            images = np.concatenate([x for x, _ in dataset.as_numpy_iterator()])
            self._crops[key] = (geometry.to_uint8(images), arrays["square"])
        return self._crops[key]


def card_problems(card: model_card.ModelCard, io: Dict) -> List[str]:
    """Where the card's input/output declarations disagree with the converted model."""
    problems = []
    declared = {"input": {"shape": list(card.input.shape), "dtype": card.input.dtype},
                "output": {"shape": list(card.output.shape), "dtype": card.output.dtype}}
    for key in ("input", "output"):
        for field in ("shape", "dtype"):
            if declared[key][field] != io[key][field]:
                problems.append(f"card {key}.{field} {declared[key][field]!r} but the model has {io[key][field]!r}")
    want, got = card.input.quantization, io["input"].get("quantization")
    if (want is None) != (got is None) or (want and (
            want.zero_point != got["zero_point"] or not np.isclose(want.scale, got["scale"], rtol=1e-6, atol=0))):
        shown = {"scale": want.scale, "zero_point": want.zero_point} if want else None
        problems.append(f"card input.quantization {shown} but the model has {got}")
    return problems


def run_as_card(model: bytes, card: model_card.ModelCard):
    """`(inputs, dtype) -> outputs (N, 2K)`: the model fed as its card says (dtype aside)."""
    return lambda images, dtype: runtime.predict(model, images, dtype=dtype, quantization=card.input.quantization)


def predict_points(model: bytes, card: model_card.ModelCard, tests: TestSet) -> np.ndarray:
    """Image points `(N, K, 2)` the model predicts on the test set, fed as its card says."""
    images, squares = tests.crops(card)
    outputs = run_as_card(model, card)(images, card.input.dtype)
    return geometry.decode_faces(outputs, squares, card.size)


def evaluate_model(name: str, model: bytes, card: model_card.ModelCard, tests: TestSet,
                   profile: TargetProfile) -> Dict:
    """All measurements of one model; predictions are kept under `_points` for cross-variant checks."""
    io = runtime.io_details(model)
    problems = card_problems(card, io)
    fatal = [p for p in problems if "quantization" not in p]
    if fatal:  # the card cannot even feed this model: bad input, not a failed check
        raise model_card.CardError(f"{name}: {fatal[0]}")
    scheme, size = card.scheme, card.size
    images, squares = tests.crops(card)
    points = predict_points(model, card, tests)
    checks, behaviour = card_checks.check_model(run_as_card(model, card), card, images, squares, tests.points,
                                                runtime.output_step(model))
    result = {"file": name, "bytes": len(model), "io": io, "card_problems": problems + behaviour,
              "card_checks": checks, "metrics": metrics.summarize(points, tests.points, scheme),
              "_points": points}
    if VARIANTS[card.variant].integer:
        result["float_ops"] = runtime.float_ops(model)
    if card.extra.get("quantization_debug"):
        result["selective"] = card.extra["quantization_debug"]
    rule = profile.rule(card.variant)
    if rule and rule.gpu_compatible:
        ok, text = runtime.gpu_compatibility(model)
        result["gpu"] = {"compatible": ok, "report": text.strip()}
    if rule and rule.reference_kernels:
        result["reference"] = compare_reference(model, images, squares, size, points, tests, scheme,
                                                profile.reference_images)
    return result


def compare_reference(model, images, squares, size, points, tests, scheme, count) -> Dict:
    """XNNPACK (default resolver) against the reference kernels on the first `count` images."""
    n = min(count, len(images))
    ref_points = geometry.decode_faces(runtime.predict(model, images[:n], reference=True), squares[:n], size)
    gt = tests.points[:n]
    nme_fast, nme_ref = metrics.nme(points[:n], gt, scheme), metrics.nme(ref_points, gt, scheme)
    diff = point_difference(points[:n], ref_points, gt, scheme)
    return {"images": n, "nme_xnnpack_percent": 100 * float(nme_fast.mean()),
            "nme_reference_percent": 100 * float(nme_ref.mean()),
            "nme_diff_pp": 100 * float(nme_fast.mean() - nme_ref.mean()),
            "max_difference_percent": float(diff.max()),
            "identical_fraction": float(np.mean(np.all(points[:n] == ref_points, axis=(1, 2))))}


def point_difference(a: np.ndarray, b: np.ndarray, gt: np.ndarray, scheme) -> np.ndarray:
    """Per face: mean over points of `|a - b|`, in % of the ground-truth inter-ocular distance."""
    return 100 * np.linalg.norm(a - b, axis=-1).mean(axis=-1) / scheme.normalizing_distance(gt)


def ced_curves(errors: Dict[str, np.ndarray], threshold: float = metrics.DEFAULT_THRESHOLD) -> Dict:
    """The CED of each variant on `CED_STEPS` even steps up to `threshold`, for `parity.json`."""
    curves = {variant: metrics.ced(e, threshold, CED_STEPS) for variant, e in errors.items()}
    x = next(iter(curves.values()))[0]
    return {"threshold_percent": 100 * threshold, "x_percent": np.round(100 * x, 6).tolist(),
            "fraction": {variant: np.round(y, 6).tolist() for variant, (_, y) in curves.items()}}


def run_parity(models: Sequence[Model], tests: TestSet, profile: TargetProfile) -> Dict:
    """Measures every model and checks the profile; returns the report (nothing is written:
    `report.write` writes it, with the CED plot from the per-face errors kept under `_errors`)."""
    results = {card.variant: evaluate_model(name, data, card, tests, profile) for name, data, card in models}
    inputs = {card.variant: (data, tests.crops(card)[0][0]) for _, data, card in models}
    for threads in profile.latency_threads:
        timed = runtime.latency_ms(inputs, threads, profile.latency_runs, profile.latency_warmup)
        for variant, ms in timed.items():
            results[variant].setdefault("latency_ms", {})[str(threads)] = ms
    scheme = models[0][2].scheme
    if "float32" in results:
        for variant, result in results.items():
            diff = point_difference(result["_points"], results["float32"]["_points"], tests.points, scheme)
            result["vs_float32"] = {"mean_percent": float(diff.mean()), "max_percent": float(diff.max())}
    errors = {v: metrics.nme(r.pop("_points"), tests.points, scheme) for v, r in results.items()}
    summary = {"list": {"name": tests.name, "path": tests.list_path, "format": tests.fmt, "crop": tests.crop,
                        "count": len(tests.samples)},
               "target": dataclasses.asdict(profile), "host": platform.machine(),
               "latency_gated": latency_gated(profile), "variants": results, "ced": ced_curves(errors),
               "_errors": errors}
    summary["failures"] = check_report(summary, profile)
    return summary


def model_files(paths: Sequence[str]) -> List[str]:
    """The `.tflite` files the paths name (folders: every `.tflite` inside, sorted).

    Raises:
      FileNotFoundError: a path that is neither, or no model at all.
    """
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".tflite"))
        elif path.endswith(".tflite") and os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: not a .tflite file or a folder of them")
    if not files:
        raise FileNotFoundError(f"{', '.join(paths)}: no .tflite models found")
    return files


def load_models(paths: Sequence[str]) -> List[Model]:
    """`.tflite` files (folders: every `.tflite` inside) of one export, with their embedded cards."""
    files = model_files(paths)
    models, seen = [], {}
    for path in files:
        data, card = model_card.read_model(path)
        models.append((os.path.basename(path), data, card))
        if card.variant not in VARIANTS:
            raise ValueError(f"{path}: card variant {card.variant!r} is not one of {', '.join(VARIANTS)}")
        if card.variant in seen:
            raise ValueError(f"{path}: a second {card.variant} model (also {seen[card.variant]}); "
                             "pass the files of one export")
        if card.scheme != models[0][2].scheme:
            raise ValueError(f"{path}: point scheme {card.scheme.name!r} differs from {files[0]}'s")
        seen[card.variant] = path
    order = list(VARIANTS)
    return sorted(models, key=lambda m: order.index(m[2].variant))


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    add_test_arguments(parser)
    logs.add_flag(parser)
    return parser


def add_test_arguments(parser: argparse.ArgumentParser) -> None:
    """The test-list and target options, shared with `export.tflite`."""
    parser.add_argument("--list", default=None,
                        help="test list (for --format pts: a folder of .pts or a list of them); relative to "
                             "--data-root, else $FLD_DATA, else the current folder. Default: MTFL's "
                             f"{DEFAULT_LIST[1]} (export.tflite: the run's first data.eval_lists entry)")
    parser.add_argument("--format", default=None, choices=FORMATS,
                        help=f"list format (default: {DEFAULT_LIST[2]}, or the run's eval list's)")
    parser.add_argument("--crop", default=None, choices=geometry.CROP_SOURCES,
                        help=f"crop rule (default: {DEFAULT_LIST[3]}, or the run's eval list's)")
    parser.add_argument("--list-name", default=None, help="name in reports (default: aflw_test / list stem)")
    parser.add_argument("--data-root", default=None,
                        help="folder a relative --list is under (else the run's data.root, else $FLD_DATA "
                             "(/mtfl for the default list), else the current folder)")
    parser.add_argument("--image-root", default=None, help="folder the list's image paths are under")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N test faces (0: all)")
    parser.add_argument("--target", default=None,
                        help="target profile name or YAML path (default: export.target, android-arm64)")


def test_list(args, cfg: Optional[Config] = None) -> Tuple[str, str, str, str, Optional[str]]:
    """`(name, list, format, crop, dataset)` the arguments name: `--list`, else the run's first
    eval list (`cfg`, from `export.tflite`), else MTFL's AFLW test; `--format` / `--crop` win."""
    dataset = cfg.data.dataset if cfg is not None else None
    if args.list:
        name, path, fmt, crop = None, args.list, DEFAULT_LIST[2], DEFAULT_LIST[3]
    elif cfg is not None and cfg.data.eval_lists:
        item = cfg.data.eval_lists[0]
        name, path, fmt, crop = item.name, item.list, item.format, item.crop
    else:
        (name, path, fmt, crop), dataset = DEFAULT_LIST, DEFAULT_DATASET
    name = args.list_name or name or os.path.splitext(os.path.basename(path.rstrip("/")))[0]
    return name, path, args.format or fmt, args.crop or crop, dataset


def read_tests(args, scheme: PointScheme, cfg: Optional[Config] = None) -> TestSet:
    """The test set the parsed arguments name (`test_list`; raises `DataError` naming the file at
    fault). Its root: `--data-root`, else the run's `data.root`, else `$FLD_DATA` (`/mtfl` for
    MTFL's list), else the current folder; never downloaded."""
    name, path, fmt, crop, dataset = test_list(args, cfg)
    root = None
    if not os.path.isabs(path):
        if args.data_root:
            root = find_root(None, args.data_root)
        else:
            root = find_root(dataset, cfg.data.root if cfg is not None else None, download=False)
    return TestSet(name, root, path, fmt, crop, scheme, args.image_root, args.limit)


def rerun_command(out_dir: str, tests: TestSet) -> str:
    """`python -m export.parity` on `out_dir` with the same test list, runnable as printed."""
    import shlex

    parts = ["python -m export.parity", shlex.quote(out_dir), "--list", shlex.quote(tests.path),
             "--format", tests.fmt, "--crop", tests.crop, "--list-name", shlex.quote(tests.name)]
    if tests.image_root:
        parts += ["--image-root", shlex.quote(os.path.abspath(tests.image_root))]
    return " ".join(parts)


def main(argv=None) -> int:
    parser = build_parser("python -m export.parity")
    parser.add_argument("models", nargs="+", help=".tflite files, or folders of them")
    parser.add_argument("--out", default=None, help="report folder (default: the first model's folder)")
    args = parser.parse_args(argv)
    logs.setup(args.verbose)
    try:
        profile = load_target(args.target or ExportConfig().target)
        models = load_models(args.models)
        tests = read_tests(args, models[0][2].scheme)
        out = args.out or (args.models[0] if os.path.isdir(args.models[0]) else os.path.dirname(args.models[0]))
    except (ConfigError, DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        summary = run_parity(models, tests, profile)
    except model_card.CardError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001  a LiteRT failure: one line, no report written
        text = " ".join(str(e).split())
        print(f"error: parity gate failed: {type(e).__name__}: {text[:300]}", file=sys.stderr)
        return 3
    report.write(out or ".", summary)
    return report.finish(summary)


if __name__ == "__main__":
    sys.exit(main())
