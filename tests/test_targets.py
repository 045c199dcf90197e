"""export.targets: every rule of the shipped android-arm64 profile, just under, at and just over its
limit. The limits are written out here, so loosening one in the YAML (or in targets.py) fails."""
import dataclasses

import pytest

from export.targets import RAW_SCALE_TOLERANCE, check_report, load_target

PROFILE = load_target("android-arm64")
# The shipped limits, stated independently of the YAML they are checked against.
NME_BOUNDS_PP = {"float16": 0.05, "dynamic": 0.25, "int8": 0.25, "qat": 0.25, "int16x8": 0.25}
MAX_MODEL_MB = 8.0
MAX_REFERENCE_DIFF_PP = 0.05
LATENCY_TOLERANCE = 0.10
FLOAT_NME = 6.5  # float32's NME in the made-up reports below
EPS = 1e-3       # "just" under / over


def _io(dtype="float32", quantization=None):
    io = {"input": {"dtype": dtype}, "output": {"dtype": "float32"}}
    if quantization:
        io["input"]["quantization"] = quantization
    return io


def _result(variant, nme=FLOAT_NME, size=1_000_000, **extra):
    """One variant's parity result that passes every rule of its profile entry unless changed."""
    rule = PROFILE.rule(variant)
    q = {"scale": 1.0, "zero_point": 0} if rule.input_dtype == "uint8" else None
    result = {"file": f"m.{variant}.tflite", "bytes": size, "io": _io(rule.input_dtype, q),
              "metrics": {"nme_percent": nme}, "latency_ms": {"1": 1.0}}
    if rule.integer_only:
        result["float_ops"] = []
    if rule.gpu_compatible:
        result["gpu"] = {"compatible": True}
    if rule.reference_kernels:
        result["reference"] = {"nme_diff_pp": 0.0, "images": 200}
    result.update(extra)
    return result


def _failures(variant, host="aarch64", profile=PROFILE, float32=None, **extra):
    report = {"variants": {"float32": float32 or _result("float32"), variant: _result(variant, **extra)}}
    return check_report(report, profile, host=host)


def test_the_shipped_profile_states_the_limits_tested_here():
    assert PROFILE.max_model_mb == MAX_MODEL_MB and PROFILE.max_reference_diff_pp == MAX_REFERENCE_DIFF_PP
    assert PROFILE.latency_tolerance == LATENCY_TOLERANCE and PROFILE.int8_latency_not_worse
    assert {v: PROFILE.rule(v).max_nme_increase_pp for v in NME_BOUNDS_PP} == NME_BOUNDS_PP
    assert PROFILE.rule("float32").max_nme_increase_pp is None
    for variant in ("int8", "qat"):
        rule = PROFILE.rule(variant)
        assert (rule.input_dtype, rule.raw_pixel_input, rule.integer_only, rule.reference_kernels) == \
            ("uint8", True, True, True)
    assert PROFILE.rule("float16").gpu_compatible and PROFILE.rule("int16x8").integer_only
    assert all(_failures(v) == [] for v in NME_BOUNDS_PP), "the baseline reports must pass"


@pytest.mark.parametrize("variant", sorted(NME_BOUNDS_PP))
@pytest.mark.parametrize("offset,fails", [(-EPS, False), (0.0, False), (EPS, True)], ids=["under", "at", "over"])
def test_nme_increase_bound(variant, offset, fails):
    bound = NME_BOUNDS_PP[variant]
    failures = _failures(variant, nme=FLOAT_NME + bound + offset)
    assert bool(failures) == fails, failures
    if fails:
        assert failures == [f"{variant}: NME {FLOAT_NME + bound + offset:.3f}% is {bound + offset:.3f} pp above "
                            f"float32's {FLOAT_NME:.3f}% (limit {bound:g} pp)"]


def test_an_nme_bound_needs_a_float32_model():
    report = {"variants": {"int8": _result("int8")}}
    assert check_report(report, PROFILE, host="aarch64") == [
        "int8: no float32 model among the inputs to compare the NME with"]


@pytest.mark.parametrize("offset,fails", [(-1, False), (0, False), (1, True)], ids=["under", "at", "over"])
def test_model_size_limit(offset, fails):
    size = int(MAX_MODEL_MB * 1e6) + offset
    failures = _failures("int8", size=size)
    assert failures == ([f"int8: m.int8.tflite is {size / 1e6:.2f} MB, larger than the target's 8 MB"] if fails else [])


@pytest.mark.parametrize("diff", [-1, 1])
@pytest.mark.parametrize("offset,fails", [(-EPS, False), (0.0, False), (EPS, True)], ids=["under", "at", "over"])
def test_xnnpack_against_reference_kernels(diff, offset, fails):
    pp = diff * (MAX_REFERENCE_DIFF_PP + offset)
    failures = _failures("int8", reference={"nme_diff_pp": pp, "images": 200})
    assert failures == ([f"int8: XNNPACK and reference kernels differ by {abs(pp):.3f} pp NME on 200 images "
                         "(limit 0.05 pp)"] if fails else [])


@pytest.mark.parametrize("scale,zero_point,fails", [
    (1.0 - RAW_SCALE_TOLERANCE + EPS / 10, 0, False), (1.0 + RAW_SCALE_TOLERANCE, 0, False),
    (1.0 - RAW_SCALE_TOLERANCE, 0, False), (1.0 + RAW_SCALE_TOLERANCE + EPS / 10, 0, True),
    (1.0 - RAW_SCALE_TOLERANCE - EPS / 10, 0, True), (1.0, 1, True), (None, None, True)],
    ids=["under", "at+", "at-", "over+", "over-", "zero-point", "none"])
def test_raw_pixel_input(scale, zero_point, fails):
    assert RAW_SCALE_TOLERANCE == 0.002
    q = None if scale is None else {"scale": scale, "zero_point": zero_point}
    failures = _failures("int8", io=_io("uint8", q))
    assert bool(failures) == fails, failures
    if fails:
        assert failures[0].startswith(f"int8: input quantization {q} is not scale 1, zero point 0")


@pytest.mark.parametrize("variant", ["int8", "qat", "int16x8"])
def test_integer_only(variant):
    assert _failures(variant, float_ops=[]) == []
    assert _failures(variant, float_ops=["MUL #3 (x)", "ADD #4 (y)"]) == [
        f"{variant}: 2 float op(s) in an integer-only model: MUL #3 (x), ADD #4 (y)"]
    # layers selective int8 kept in float on purpose are not an error
    assert _failures(variant, float_ops=["MUL #3 (x)"], selective={"float_layers": ["x"]}) == []


@pytest.mark.parametrize("variant,dtype", [("int8", "uint8"), ("qat", "uint8"), ("float16", "float32"),
                                           ("dynamic", "float32"), ("int16x8", "float32")])
def test_input_and_output_dtypes(variant, dtype):
    other = "float32" if dtype == "uint8" else "uint8"
    rule_q = {"scale": 1.0, "zero_point": 0} if dtype == "uint8" else None
    assert _failures(variant, io=_io(dtype, rule_q)) == []
    wrong = _failures(variant, io={"input": {"dtype": other, "quantization": {"scale": 1.0, "zero_point": 0}},
                                   "output": {"dtype": "int8"}})
    assert f"{variant}: input dtype is {other}, the target requires {dtype}" in wrong
    assert f"{variant}: output dtype is int8, the target requires float32" in wrong


def test_gpu_compatibility():
    assert _failures("float16", gpu={"compatible": True}) == []
    assert _failures("float16", gpu={"compatible": False}) == [
        "float16: not compatible with the GPU delegate (see parity.md for the analyzer report)"]


def test_card_problems_fail_the_gate():
    assert _failures("int8", card_problems=["card output.flip_averaged is true, but ..."]) == [
        "int8: card output.flip_averaged is true, but ..."]


@pytest.mark.parametrize("offset,fails", [(-EPS, False), (0.0, False), (EPS, True)], ids=["under", "at", "over"])
def test_int8_latency_against_float32(offset, fails):
    float32 = _result("float32", latency_ms={"1": 2.0})
    int8_ms = 2.0 * (1 + LATENCY_TOLERANCE) + offset
    failures = _failures("int8", float32=float32, latency_ms={"1": int8_ms})
    assert failures == ([f"int8: {int8_ms:.2f} ms at 1 thread, slower than float32's 2.00 ms (tolerance 10%)"]
                        if fails else [])
    # timed on a host the target does not name: reported, not gated
    assert _failures("int8", host="x86_64", float32=float32, latency_ms={"1": int8_ms}) == []
    off = dataclasses.replace(PROFILE, int8_latency_not_worse=False)
    assert _failures("int8", profile=off, float32=float32, latency_ms={"1": int8_ms}) == []


def test_a_variant_without_a_rule_fails():
    profile = dataclasses.replace(PROFILE, variants=dataclasses.replace(PROFILE.variants, dynamic=None))
    assert _failures("dynamic", profile=profile) == ["dynamic: target 'android-arm64' has no rule for this variant"]
