"""Mobile target profiles (`export/targets/*.yaml`) and the checks a parity report must pass.

A profile states what a deployment target accepts: largest model, input/output dtypes per variant,
integer-only ops, GPU-delegate compatibility, the accuracy cost allowed over float32, the agreement
of XNNPACK with the reference kernels, and latency. Unknown keys are errors that name the key and
the file (`fld_tf.config`'s schema checks, reused).
"""
from __future__ import annotations

import dataclasses
import glob
import os
import platform
from typing import Dict, List, Optional, Tuple

import yaml

from export.variants import VARIANTS
from fld_tf.config import ConfigError
from fld_tf.config import _build as build_section  # the schema check behind load_config

TARGETS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")
RAW_SCALE_TOLERANCE = 0.002  # at most half a grey level off at 255
# A value at a limit passes, whatever the last bit of the float arithmetic that computed it.
AT_LIMIT = 1e-9


@dataclasses.dataclass(frozen=True)
class VariantRule:
    """What the target requires of one variant."""

    input_dtype: str = "float32"
    output_dtype: str = "float32"
    integer_only: bool = False          # no float op besides the I/O (de)quantisation
    gpu_compatible: bool = False        # tf.lite.experimental.Analyzer(gpu_compatibility=True) is clean
    max_nme_increase_pp: Optional[float] = None  # NME over float32's, in percentage points
    reference_kernels: bool = False     # compare XNNPACK with the reference kernels
    raw_pixel_input: bool = False       # uint8 input with scale 1, zero point 0: camera bytes go in as-is


# One optional rule per entry of the variant table, so the table stays the one list of variants.
VariantRules = dataclasses.make_dataclass(
    "VariantRules", [(name, Optional[VariantRule], None) for name in VARIANTS], frozen=True)


@dataclasses.dataclass(frozen=True)
class TargetProfile:
    name: str = ""
    description: str = ""
    max_model_mb: float = 0.0           # largest .tflite in MB (10^6 bytes); 0: no limit
    max_reference_diff_pp: float = 0.05  # |NME(XNNPACK) - NME(reference kernels)|, percentage points
    reference_images: int = 200         # images run with the (slow) reference kernels
    latency_threads: Tuple[int, ...] = (1, 4)
    latency_runs: int = 50              # timed invokes; the median is reported
    latency_warmup: int = 5
    int8_latency_not_worse: bool = True  # int8 at 1 thread no slower than float32 (with tolerance)
    latency_tolerance: float = 0.10     # fraction; host timing is noisy
    # Host CPUs (`platform.machine()`) whose int8-vs-float32 timing stands for the target's; on any
    # other host latency is reported, not gated. Empty: every host.
    latency_hosts: Tuple[str, ...] = ()
    variants: VariantRules = VariantRules()

    def rule(self, variant: str) -> Optional[VariantRule]:
        return getattr(self.variants, variant, None)


def known_targets() -> List[str]:
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(TARGETS_DIR, "*.yaml")))


def load_target(name_or_path: str) -> TargetProfile:
    """A profile by name (`android-arm64`) or YAML path.

    Raises:
      ConfigError: unknown target, unreadable YAML, or an unknown key / wrong type (names the file).
    """
    path = name_or_path
    if not os.path.exists(path):
        if os.sep in name_or_path or name_or_path.endswith((".yaml", ".yml")):
            raise ConfigError(f"--target: {name_or_path}: no such file")
        path = os.path.join(TARGETS_DIR, f"{name_or_path}.yaml")
        if not os.path.exists(path):
            raise ConfigError(f"--target: unknown target {name_or_path!r}; known: {', '.join(known_targets())}")
    try:
        with open(path, encoding="utf-8") as f:
            tree = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read target profile: {e}") from None
    profile = build_section(TargetProfile, tree, path, "")
    return dataclasses.replace(profile, name=profile.name or os.path.splitext(os.path.basename(path))[0])


def latency_gated(profile: TargetProfile, host: Optional[str] = None) -> bool:
    """Whether `host` (default: this machine) times int8 against float32 as the target would."""
    return not profile.latency_hosts or (host or platform.machine()) in profile.latency_hosts


def check_report(report: Dict, profile: TargetProfile, host: Optional[str] = None) -> List[str]:
    """Every way the parity report misses the profile, one line each (empty: the gate passes).
    `host` is the CPU the latencies were timed on (default: this machine)."""
    failures = []
    results = report["variants"]
    reference = results.get("float32")
    for variant, result in results.items():
        rule = profile.rule(variant)
        if rule is None:
            failures.append(f"{variant}: target {profile.name!r} has no rule for this variant")
            continue
        failures += [f"{variant}: {problem}" for problem in _variant_problems(result, rule, reference, profile)]
    if latency_gated(profile, host):
        failures += _latency_problems(results, profile)
    return failures


def _variant_problems(result: Dict, rule: VariantRule, reference: Optional[Dict], profile: TargetProfile):
    yield from result.get("card_problems", [])
    mb = result["bytes"] / 1e6
    if profile.max_model_mb and mb > profile.max_model_mb + AT_LIMIT:
        yield f"{result['file']} is {mb:.2f} MB, larger than the target's {profile.max_model_mb:g} MB"
    for key, want in (("input", rule.input_dtype), ("output", rule.output_dtype)):
        got = result["io"][key]["dtype"]
        if got != want:
            yield f"{key} dtype is {got}, the target requires {want}"
    quantization = result["io"]["input"].get("quantization")
    raw = quantization and quantization["zero_point"] == 0 and \
        abs(quantization["scale"] - 1.0) <= RAW_SCALE_TOLERANCE + AT_LIMIT
    if rule.raw_pixel_input and not raw:
        yield (f"input quantization {quantization} is not scale 1, zero point 0, so raw camera bytes would "
               "be read as other values (do the representative images span 0..255?)")
    if rule.integer_only and result.get("float_ops") and not result.get("selective"):
        ops = result["float_ops"]
        yield f"{len(ops)} float op(s) in an integer-only model: {', '.join(ops[:5])}{' ...' if len(ops) > 5 else ''}"
    if rule.gpu_compatible and not result["gpu"]["compatible"]:
        yield "not compatible with the GPU delegate (see parity.md for the analyzer report)"
    if rule.max_nme_increase_pp is not None:
        if reference is None:
            yield "no float32 model among the inputs to compare the NME with"
        else:
            increase = result["metrics"]["nme_percent"] - reference["metrics"]["nme_percent"]
            if increase > rule.max_nme_increase_pp + AT_LIMIT:
                yield (f"NME {result['metrics']['nme_percent']:.3f}% is {increase:.3f} pp above float32's "
                       f"{reference['metrics']['nme_percent']:.3f}% (limit {rule.max_nme_increase_pp:g} pp)")
    ref = result.get("reference")
    if rule.reference_kernels and ref and abs(ref["nme_diff_pp"]) > profile.max_reference_diff_pp + AT_LIMIT:
        yield (f"XNNPACK and reference kernels differ by {abs(ref['nme_diff_pp']):.3f} pp NME on "
               f"{ref['images']} images (limit {profile.max_reference_diff_pp:g} pp)")


def _latency_problems(results: Dict, profile: TargetProfile):
    if not (profile.int8_latency_not_worse and "int8" in results and "float32" in results):
        return []
    int8 = results["int8"]["latency_ms"].get("1")
    float32 = results["float32"]["latency_ms"].get("1")
    if int8 is None or float32 is None:
        return []
    if int8 > float32 * (1 + profile.latency_tolerance) + AT_LIMIT:
        return [f"int8: {int8:.2f} ms at 1 thread, slower than float32's {float32:.2f} ms "
                f"(tolerance {100 * profile.latency_tolerance:g}%)"]
    return []
