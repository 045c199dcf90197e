"""export.parity: the harness agrees with fld_tf.evaluate, a damaged card fails the gate with the
right message, a card that misdescribes the model's flip averaging fails it, selective int8 kicks in
when int8 misses its bound (on a 68-point model too, never crashing), an export killed at any point
leaves no partial model or card, profiles are checked strictly."""
import dataclasses
import glob
import json
import os
import shutil
import signal
import subprocess
import sys

import cv2
import fld_tf  # noqa: F401
import numpy as np
import pytest
import tf_keras as keras

from fld_tf import model_card, plots, runtime
from export import parity, selective, tflite
from export.targets import load_target, check_report
from fld_tf import evaluate, geometry
from fld_tf.config import ConfigError, load_config, save_config
from fld_tf.model import build_model, deployable, landmark_model
from fld_tf.schemes import get_scheme

pytest_plugins = ["fixtures_export"]  # tiny_run, tiny_export, export_args: trained once per session

NAME = "mnv2-a035-mtfl5-64"
NAME68 = "mnv2-a035-ibug68-64"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    card = model_card.read_card(path).to_dict()
    edit(card)
    model_card.write_model(path, data, card)


def _forced_profile(export_inputs, folder):
    """The test profile with an int8 NME bound no model can meet: it forces the selective fallback."""
    text = open(export_inputs["profile"]).read()
    forced = folder / "forced.yaml"
    forced.write_text(text.replace("max_nme_increase_pp: 5.0,\n         reference_kernels",
                                   "max_nme_increase_pp: -100.0,\n         reference_kernels"))
    assert forced.read_text() != text
    return forced


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
    _check_prediction_sheet(tmp_path / "predictions_aflw40.png", tiny_export, export_inputs)


def _check_prediction_sheet(path, tiny_export, export_inputs):
    """The sheet shows the model's points (green) and the ground truth (red) where they are: each
    tile is a 64 px crop drawn at 192 px, so crop point `n` lands on pixel `n * 192 - 0.5`."""
    sheet = cv2.imread(str(path))
    assert sheet is not None and sheet.shape == (4 * 192, 8 * 192, 3), None if sheet is None else sheet.shape
    sheet = sheet[..., ::-1]
    model, card = model_card.read_model(os.path.join(tiny_export, f"{NAME}.float32.tflite"))
    tests = parity.TestSet("aflw40", export_inputs["root"], export_inputs["list"], "mtfl", "image", card.scheme,
                           image_root=export_inputs["root"], limit=32)
    images, squares = tests.crops(card)
    pred = runtime.predict(model, images).reshape(32, -1, 2) * 192 - 0.5
    gt = np.stack([geometry.encode(p, sq, 64) for p, sq in zip(tests.points, squares)]) * 192 - 0.5
    checked = {"green": 0, "red": 0}
    for i in range(32):
        r, c = divmod(i, 8)
        tile = sheet[r * 192:(r + 1) * 192, c * 192:(c + 1) * 192]
        for name, points, color in (("green", pred[i], plots.GREEN), ("red", gt[i], plots.RED)):
            for x, y in points:
                if not (0 <= x < 191 and 20 <= y < 191):  # off the tile, or under the NME label
                    continue
                if name == "red" and np.min(np.linalg.norm(pred[i] - (x, y), axis=1)) < 4:
                    continue  # a green disc is drawn over it
                assert tuple(tile[int(round(y)), int(round(x))]) == color, (i, name, x, y)
                checked[name] += 1
    assert checked["green"] >= 100 and checked["red"] >= 50, checked


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
    assert cv2.imread(os.path.join(tiny_export, "ced_aflw40.png")) is not None
    for variant, result in report["variants"].items():  # every card told the truth about its model
        checks = result["card_checks"]
        assert checks["faces"] == 40 and checks["flip_asymmetry"] <= checks["flip_tolerance"], variant
        fed = {"card", "BGR"} | ({"[0, 1]", "[-1, 1]"} if result["io"]["input"]["dtype"] == "float32" else set())
        assert set(checks["nme_percent"]) == fed, variant
        assert checks["nme_percent"]["card"] > 0 and result["card_problems"] == []
    assert sorted(report["ced"]["fraction"]) == sorted(report["variants"])
    assert not any(k.startswith("_") for k in report), "in-memory parts stay out of parity.json"
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


def test_card_must_say_whether_the_model_averages_with_its_mirror(tiny_run, tiny_export, export_args, tmp_path,
                                                                  capsys):
    models = _copy_models(tiny_export, tmp_path / "flip", variants=("float32",))
    _damage(models["float32"], lambda c: c["output"].update(flip_averaged=False))
    assert parity.main([str(tmp_path / "flip"), *export_args]) == 1
    assert "FAIL float32: card output.flip_averaged is false, but the model is mirror-symmetric" in \
        capsys.readouterr().err
    # a single-pass model whose card claims flip averaging
    out = tmp_path / "single"
    assert tflite.main([tiny_run, "--variants", "float32", "--no-parity", "--out", str(out),
                        "-o", "model.flip_test=false"]) == 0
    path = str(out / f"{NAME}.float32.tflite")
    assert model_card.read_card(path).output.flip_averaged is False
    assert parity.main([str(out), *export_args]) == 0, "an honest single-pass card passes"
    _damage(path, lambda c: c["output"].update(flip_averaged=True))
    assert parity.main([str(out), *export_args]) == 1
    err = capsys.readouterr().err
    assert "FAIL float32: card output.flip_averaged is true, but the model's points on mirrored crops" in err


@pytest.fixture(scope="module")
def helen_run(tmp_path_factory, mtfl_root):
    """A randomly initialised 68-point flip-averaged model (64 px, alpha 0.35) in a run directory whose
    config reads the HELEN trainset for calibration; `(run dir, HELEN folder)`."""
    helen = os.path.join(os.path.dirname(mtfl_root), "helen68")
    assert os.path.isdir(os.path.join(helen, "testset")), f"HELEN data not found at {helen}"
    run = tmp_path_factory.mktemp("helen_run")
    cfg = load_config(None, [f"data.root={helen}", "data.dataset=helen68", "data.scheme=ibug68",
                             "data.train_list=trainset", "data.train_format=pts", "data.limit=64",
                             "data.val_fraction=0", "data.eval_lists=[]", "data.crop.landmark_scale=1.42",
                             "data.crop.landmark_shift=[0.015,-0.045]", "model.input_size=64", "model.alpha=0.35",
                             "model.attribute_head=false", "export.representative_samples=16"])
    save_config(cfg, str(run / "config.yaml"))
    keras.utils.set_random_seed(0)
    build_model(cfg.model, get_scheme("ibug68")).save(str(run / "model.keras"))
    return str(run), helen


def test_selective_keeps_the_ops_reading_the_input_integer(helen_run, monkeypatch):
    """The 68-point crash: with the first conv kept in float, the walk up its weightless feeders reached
    the mirror PACK of the flip-averaged model, which then read the uint8 input as float32 and failed
    to prepare (`pack.cc:67 input0->type != input->type (UINT8 != FLOAT32)`)."""
    run, _ = helen_run
    cfg = load_config(os.path.join(run, "config.yaml"))
    model = deployable(landmark_model(evaluate.load_model(run)), cfg.model, get_scheme("ibug68"))
    images = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3)).astype(np.float32)
    search = selective.SelectiveInt8(model, images)
    readers = selective.input_readers(search.debugger.calibrated_model)
    assert sorted(n.rsplit("/", 1)[-1] for n in readers) == ["ReverseV2", "stack"]
    assert not readers & {r["tensor_name"] for r in search.ranking}, "input readers are never candidates"
    first = next(r for r in search.ranking if "/Conv1/" in r["tensor_name"])
    search.ranking = [first] + [r for r in search.ranking if r is not first]
    data, debug = search.quantize(1)
    assert debug["float_layers"] == [first["tensor_name"]]
    assert sorted(n.rsplit("/", 1)[-1] for n in debug["float_inputs"]) == ["Reshape", "add", "mul"]
    out = runtime.predict(data, images[:2].astype(np.uint8))
    assert out.shape == (2, 136) and np.all(np.isfinite(out))
    float_ops = runtime.float_ops(data)
    assert any(op.startswith("CONV_2D") for op in float_ops)
    assert not any(op.startswith(("PACK", "REVERSE_V2")) for op in float_ops)
    # the walk of old (into the PACK) gives a model LiteRT cannot prepare: one line, not a crash
    stack = next(n for n in readers if n.endswith("stack"))
    real = selective.feeding_ops
    monkeypatch.setattr(selective, "feeding_ops", lambda calibrated, names: real(calibrated, names) + [stack])
    with pytest.raises(selective.SelectiveError) as info:
        search.quantize(1)
    message = str(info.value)
    assert message.startswith("keeping 1 layer(s) in float gives a model LiteRT cannot prepare (")
    assert "PACK" in message and "\n" not in message


def test_selective_fallback_on_a_68_point_model(helen_run, export_inputs, tmp_path, capsys, monkeypatch):
    """int8 misses its bound: the fallback runs on HELEN, skips a choice that fails (one line), keeps
    the worst layers in float, and the export finishes with its report and nothing stray."""
    run, helen = helen_run
    real = selective.SelectiveInt8.quantize

    def first_fails(self, count):
        if count == 1:
            raise selective.SelectiveError("keeping 1 layer(s) in float gives a model LiteRT cannot prepare (x)")
        return real(self, count)

    monkeypatch.setattr(selective.SelectiveInt8, "quantize", first_fails)
    out = tmp_path / "out"
    code = tflite.main([run, "--variants", "int8", "--selective", "2", "--out", str(out), "--list", "testset",
                        "--format", "pts", "--crop", "landmarks", "--data-root", helen, "--limit", "24",
                        "--target", str(_forced_profile(export_inputs, tmp_path))])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "FAIL int8: NME" in err
    assert [line for line in err.splitlines() if line.startswith("selective")] == [
        "selective int8: keeping 1 layer(s) in float gives a model LiteRT cannot prepare (x); skipped"]
    assert sorted(os.listdir(out)) == sorted([f"{NAME68}.{v}.{e}" for v in ("float32", "int8")
                                              for e in ("json", "tflite")] + ["ced_testset.png", "parity.json",
                                                                             "parity.md"])
    card = model_card.read_card(str(out / f"{NAME68}.int8.tflite"))
    debug = card.extra["quantization_debug"]
    # the bound is never met, so the search goes up to --selective 2
    assert len(debug["float_layers"]) == 2 and debug["rmse_per_scale"][0] >= debug["rmse_per_scale"][1]
    assert debug["plain_int8"]["bytes"] > 0 and debug["plain_int8_failures"][0].startswith("int8: NME")
    report = _parity(out)
    result = report["variants"]["int8"]
    assert result["metrics"]["count"] == 24 and len(result["metrics"]["per_point_nme_percent"]) == 68
    assert result["float_ops"], "the kept layers run in float"
    assert result["bytes"] != debug["plain_int8"]["bytes"]
    assert not any("float op" in f for f in report["failures"]), "selective float ops are intended"
    assert card.input.dtype == "uint8" and card.output.dtype == "float32" and card.scheme.num_points == 68
    assert "selective quantisation" in (out / "parity.md").read_text()


KILLER = """
import os, signal, sys
from export import parity, tflite, variants
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
point = os.environ["FLD_TEST_KILL_AT"]
if point != "conversion":  # past conversion: reuse an exported model instead of converting again
    with open(os.environ["FLD_TEST_MODEL"], "rb") as f:
        converted = f.read()
    variants.convert = lambda *args, **kwargs: converted
if point == "conversion":
    variants.convert = die
elif point == "parity":
    parity.run_parity = die
elif point == "writing":
    from fld_tf import model_card
    real = model_card.write_model
    def write_then_die(*args):  # the model and its card are staged, nothing is moved into place yet
        real(*args)
        die()
    model_card.write_model = write_then_die
sys.exit(tflite.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("point", ["conversion", "parity", "writing"])
def test_export_killed_leaves_no_partial_model_or_card(point, tiny_run, tiny_export, export_args, tmp_path):
    """SIGKILL (no cleanup runs) in the middle of an export run as a user runs it, from another folder."""
    out = tmp_path / "out"
    env = {**os.environ, "FLD_TEST_KILL_AT": point,
           "FLD_TEST_MODEL": os.path.join(tiny_export, f"{NAME}.float32.tflite"),
           "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    gate = ["--no-parity"] if point == "writing" else []  # the gate's turn is tested by "parity"
    result = subprocess.run([sys.executable, "-c", KILLER, tiny_run, "--variants", "float32", "--out", str(out),
                             *export_args, *gate], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    visible = [f for f in os.listdir(out) if not f.startswith(".")] if out.exists() else []
    assert visible == []
    staged = glob.glob(str(out / ".export.*.tmp" / "*.*"))
    assert sorted(os.path.basename(f) for f in staged) == (
        [f"{NAME}.float32.json", f"{NAME}.float32.tflite"] if point == "writing" else [])


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
