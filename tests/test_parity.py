"""export.parity: the harness agrees with fld_tf.evaluate, a damaged card fails the gate with the
right message, selective int8 kicks in when int8 misses its bound, profiles are checked strictly."""
import dataclasses
import json
import os
import shutil

import fld_tf  # noqa: F401
import pytest

from fld_tf import model_card, runtime
from export import parity, tflite
from export.targets import load_target, check_report
from fld_tf import evaluate
from fld_tf.config import ConfigError
from fld_tf.model import deployable
from fld_tf.schemes import get_scheme

pytest_plugins = ["fixtures_export"]  # tiny_run, tiny_export, export_args: trained once per session

NAME = "mnv2-a035-mtfl5-64"


def _parity(folder):
    with open(os.path.join(folder, "parity.json")) as f:
        return json.load(f)


def _copy_models(tiny_export, dest, variants=("float32", "int8")):
    os.makedirs(dest, exist_ok=True)
    for v in variants:
        shutil.copy(os.path.join(tiny_export, f"{NAME}.{v}.tflite"), dest)
    return {v: os.path.join(dest, f"{NAME}.{v}.tflite") for v in variants}


def _damage(path, edit):
    with open(path, "rb") as f:
        data = f.read()
    card = model_card.read_card(path)
    edit(card)
    model_card.write_model(path, data, card)


def test_float32_nme_matches_fld_tf_evaluate(tiny_run, tiny_export, export_inputs, tmp_path):
    cfg = evaluate.run_config(tiny_run)
    root = export_inputs["root"]
    scheme = get_scheme(cfg.data.scheme)
    assert cfg.model.flip_test  # the export is flip-averaged: evaluate the same
    model = deployable(evaluate.load_model(tiny_run), cfg.model, scheme)
    summary = evaluate.evaluate_list(model, cfg, scheme, root, export_inputs["list"], "mtfl", "image",
                                     str(tmp_path), "aflw40", root)
    harness = _parity(tiny_export)["variants"]["float32"]["metrics"]
    assert harness["count"] == summary["count"] == 40
    assert abs(harness["nme_percent"] - summary["nme_percent"]) < 0.01
    for point, value in summary["per_point_nme_percent"].items():
        assert abs(harness["per_point_nme_percent"][point] - value) < 0.01, point


def test_report_has_every_measurement(tiny_export):
    report = _parity(tiny_export)
    assert report["failures"] == []
    int8 = report["variants"]["int8"]
    assert int8["io"]["input"] == {"shape": [1, 64, 64, 3], "dtype": "uint8",
                                   "quantization": {"scale": pytest.approx(1.0, abs=1e-3), "zero_point": 0}}
    assert int8["reference"]["images"] == 40 and abs(int8["reference"]["nme_diff_pp"]) <= 0.05
    assert int8["vs_float32"]["max_percent"] >= int8["vs_float32"]["mean_percent"] > 0
    assert set(int8["latency_ms"]) == {"1"} and int8["latency_ms"]["1"] > 0
    assert report["variants"]["float16"]["gpu"]["compatible"]
    assert "GPU delegate" in report["variants"]["float16"]["gpu"]["report"]
    assert os.path.getsize(os.path.join(tiny_export, "ced_aflw40.png")) > 1000
    with open(os.path.join(tiny_export, "parity.md")) as f:
        md = f.read()
    assert "| int8 |" in md and "PASS: every check" in md


def test_float_ops_are_found_in_a_float_model(tiny_export):
    with open(os.path.join(tiny_export, f"{NAME}.float32.tflite"), "rb") as f:
        ops = runtime.float_ops(f.read())
    assert any(op.startswith("CONV_2D") for op in ops)


def test_wrong_input_quantization_in_card_fails_the_gate(tiny_export, export_args, tmp_path, capsys):
    models = _copy_models(tiny_export, tmp_path / "models")
    _damage(models["int8"], lambda c: c["input"].update(quantization={"scale": 0.5, "zero_point": 3}))
    code = parity.main([str(tmp_path / "models"), *export_args])
    err = capsys.readouterr().err
    assert code == 1
    assert "FAIL int8: card input.quantization {'scale': 0.5, 'zero_point': 3} but the model has" in err
    assert "FAIL float32" not in err
    assert _parity(tmp_path / "models")["failures"]


def test_card_with_an_off_crop_rule_fails_the_nme_gate(tiny_export, export_args, mtfl_root, tmp_path, capsys):
    with open(os.path.join(mtfl_root, "cuhk", "testImageList.txt"), encoding="utf-8") as f:
        lines = f.readlines()[:40]
    (tmp_path / "cuhk40.txt").write_text("".join(lines))
    models = _copy_models(tiny_export, tmp_path / "models")
    # centre half a box width off: every prediction moves by ~1.5 inter-ocular distances
    _damage(models["int8"], lambda c: c["crop"].update(box_shift=[0.5, 0.5]))
    code = parity.main([str(tmp_path / "models"), *export_args, "--list", str(tmp_path / "cuhk40.txt"),
                        "--format", "cuhk", "--crop", "box", "--list-name", "cuhk40"])
    err = capsys.readouterr().err
    assert code == 1
    assert "FAIL int8: NME" in err and "above float32's" in err and "(limit 5 pp)" in err


def test_card_that_cannot_feed_the_model_is_bad_input(tiny_export, export_args, tmp_path, capsys):
    models = _copy_models(tiny_export, tmp_path / "models")
    _damage(models["int8"], lambda c: c["input"].update(shape=[1, 96, 96, 3]))
    assert parity.main([str(tmp_path / "models"), *export_args]) == 2
    assert "int8.tflite: card input.shape [1, 96, 96, 3] but the model has [1, 64, 64, 3]" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "models" / "parity.json")


def test_selective_int8_when_the_bound_is_missed(tiny_run, export_args, export_inputs, tmp_path, capsys):
    text = open(export_inputs["profile"]).read()
    # A bound no model can meet forces the fallback.
    forced = tmp_path / "forced.yaml"
    forced.write_text(text.replace("max_nme_increase_pp: 5.0,\n         reference_kernels",
                                   "max_nme_increase_pp: -100.0,\n         reference_kernels"))
    assert forced.read_text() != text
    out = tmp_path / "out"
    code = tflite.main([tiny_run, "--variants", "int8", "--selective", "2", "--out", str(out), *export_args,
                        "--target", str(forced)])
    assert code == 1 and "FAIL int8: NME" in capsys.readouterr().err
    card = model_card.read_card(str(out / f"{NAME}.int8.tflite"))
    debug = card["quantization_debug"]
    # the bound is never met, so the search goes up to --selective 2
    assert len(debug["float_layers"]) == 2 and debug["rmse_per_scale"][0] >= debug["rmse_per_scale"][1]
    assert isinstance(debug["float_inputs"], list)
    assert debug["plain_int8"]["bytes"] > 0 and debug["plain_int8_failures"][0].startswith("int8: NME")
    result = _parity(out)["variants"]["int8"]
    assert result["float_ops"], "the kept layers run in float"
    assert result["bytes"] != debug["plain_int8"]["bytes"]
    assert not any("float op" in f for f in _parity(out)["failures"]), "selective float ops are intended"
    assert card["input"]["dtype"] == "uint8" and card["output"]["dtype"] == "float32"
    assert "selective quantisation" in (out / "parity.md").read_text()


def test_shipped_profile_loads_and_unknown_keys_are_named(tmp_path):
    profile = load_target("android-arm64")
    assert profile.name == "android-arm64" and profile.latency_threads == (1, 4)
    assert profile.rule("int8").max_nme_increase_pp == 0.25 and profile.rule("int8").input_dtype == "uint8"
    assert profile.max_reference_diff_pp == 0.05 and profile.rule("float16").gpu_compatible
    bad = tmp_path / "p.yaml"
    bad.write_text("variants:\n  int4: {input_dtype: uint8}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml: unknown key 'variants\.int4'"):
        load_target(str(bad))
    with pytest.raises(ConfigError, match="unknown target 'iphone'; known: android-arm64"):
        load_target("iphone")


def test_check_report_size_dtype_and_latency_rules():
    profile = dataclasses.replace(load_target("android-arm64"), max_model_mb=0.5)
    io = {"input": {"dtype": "float32"}, "output": {"dtype": "float32"}}
    metrics = {"nme_percent": 5.0}
    summary = {"variants": {
        "float32": {"file": "m.float32.tflite", "bytes": 400_000, "io": io, "metrics": metrics,
                    "latency_ms": {"1": 1.0}},
        "int8": {"file": "m.int8.tflite", "bytes": 600_000, "metrics": metrics, "latency_ms": {"1": 2.0},
                 "io": {**io, "input": {"dtype": "float32", "quantization": {"scale": 1.02, "zero_point": 0}}},
                 "float_ops": ["MUL #0 (x)"]}}}
    failures = check_report(summary, profile, host="aarch64")
    assert failures == [
        "int8: m.int8.tflite is 0.60 MB, larger than the target's 0.5 MB",
        "int8: input dtype is float32, the target requires uint8",
        "int8: input quantization {'scale': 1.02, 'zero_point': 0} is not scale 1, zero point 0, so raw camera "
        "bytes would be read as other values (do the representative images span 0..255?)",
        "int8: 1 float op(s) in an integer-only model: MUL #0 (x)",
        "int8: 2.00 ms at 1 thread, slower than float32's 1.00 ms (tolerance 10%)",
    ]
    # An x86 host's int8-vs-float32 timing does not stand for an arm64 phone's: reported, not gated.
    assert profile.latency_hosts == ("aarch64", "arm64")
    assert check_report(summary, profile, host="x86_64") == failures[:-1]
    assert check_report(summary, dataclasses.replace(profile, latency_hosts=()), host="x86_64") == failures
