"""export.tflite / variants / model_card: every variant runs in LiteRT, cards round-trip, writes are
atomic, bad input exits 2 with one line and leaves no file behind, a failed conversion exits 3."""
import glob
import json
import os
import shutil
import subprocess
import sys

import fld_tf  # noqa: F401
import numpy as np
import pytest
import tf_keras as keras
from ai_edge_litert.interpreter import Interpreter

from fld_tf import detect, model_card, runtime, tflite_graph
from export import quantize, tflite, variants
from export.variants import VARIANTS, convert, parse_variants
from fld_tf.config import load_config
from fld_tf.evaluate import load_model
from fld_tf.io import atomic_path
from fld_tf.model import deployable, landmark_model
from fld_tf.schemes import get_scheme

pytest_plugins = ["fixtures_export"]  # tiny_run, tiny_export, export_args: trained once per session


def _model_files(folder):
    return sorted(glob.glob(os.path.join(folder, "*.tflite")))


def test_every_variant_is_written_and_runs_in_litert(tiny_export):
    files = _model_files(tiny_export)
    assert [os.path.basename(f).split(".")[1] for f in files] == sorted(VARIANTS)
    rng = np.random.default_rng(0)
    for path in files:
        variant = path.split(".")[-2]
        interp = Interpreter(model_path=path)
        interp.allocate_tensors()
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
        assert list(inp["shape"]) == [1, 64, 64, 3], path
        assert np.dtype(inp["dtype"]).name == VARIANTS[variant].input_dtype, path
        assert np.dtype(out["dtype"]).name == "float32" and list(out["shape"]) == [1, 10], path
        if VARIANTS[variant].input_dtype == "uint8":
            scale, zero_point = inp["quantization"]
            # representative crops span 0..255, so camera bytes go in unchanged
            assert abs(scale - 1.0) < 1e-3 and zero_point == 0, (path, scale, zero_point)
        interp.set_tensor(inp["index"], rng.integers(0, 256, (1, 64, 64, 3)).astype(inp["dtype"]))
        interp.invoke()
        y = interp.get_tensor(out["index"])
        assert np.all(np.isfinite(y)) and np.all(np.abs(y) < 10), (path, y)


def test_variant_nme_close_to_float32(tiny_export):
    with open(os.path.join(tiny_export, "parity.json")) as f:
        results = json.load(f)["variants"]
    reference = results["float32"]["metrics"]["nme_percent"]
    assert 0 < reference < 1000
    for variant in ("float16", "dynamic", "int8", "int16x8"):
        assert abs(results[variant]["metrics"]["nme_percent"] - reference) < 5.0, variant
    assert results["float16"]["vs_float32"]["max_percent"] < 0.5
    assert results["int8"]["float_ops"] == [] and results["qat"]["float_ops"] == []


def test_qat_model_starts_from_the_float_model(tiny_run, mtfl_root):
    """TFMOT starts every range at [-6, 6]; ours start at the weights' and activations' own, so
    before any fine-tuning the fake-quantised model already predicts what the float one does."""
    cfg = load_config(os.path.join(tiny_run, "config.yaml"))
    model = landmark_model(load_model(tiny_run))
    images = quantize.representative_images(cfg, get_scheme("mtfl5"), mtfl_root)
    qat = quantize.quantization_aware(model, images)
    float_out = model.predict(images, verbose=0)
    qat_out = qat.predict(images, verbose=0)
    float_out = float_out["landmarks"] if isinstance(float_out, dict) else float_out
    qat_out = qat_out["landmarks"] if isinstance(qat_out, dict) else qat_out
    assert np.abs(qat_out - float_out).max() < 0.01  # normalised crop units: < 0.64 px at 64 px
    ranges = [(float(lo.numpy()), float(hi.numpy())) for _, lo, hi in quantize.range_variables(qat)]
    assert ranges and all(lo <= 0 <= hi for lo, hi in ranges)
    assert not any((lo, hi) == (-6.0, 6.0) for lo, hi in ranges), "a range left at TFMOT's start"
    assert all(not layer.trainable for layer in qat.layers
               if isinstance(getattr(layer, "layer", None), keras.layers.BatchNormalization))


def test_card_round_trips_from_json_and_from_tflite(tiny_export, tiny_run):
    cfg = load_config(os.path.join(tiny_run, "config.yaml"))
    for path in _model_files(tiny_export):
        embedded = model_card.read_card(path)
        beside = model_card.read_card(model_card.card_path(path))
        assert embedded == beside
        assert embedded.model_file == os.path.basename(path)
        assert embedded.name == "mnv2-a035-mtfl5-64"
        assert embedded.scheme == get_scheme("mtfl5")
        assert embedded.crop.rule == model_card.crop_config(embedded) == cfg.data.crop
        scale, shift = detect.BOX_RULES["haar"]
        assert embedded.box_rule("haar") == model_card.BoxRule(scale, shift)
        assert embedded.metrics["aflw40"]["count"] == 40
        assert embedded.training["config"]["alpha"] == 0.35
        with open(model_card.card_path(path), encoding="utf-8") as f:
            raw = json.load(f)  # the on-disk JSON the Android core parses
        assert raw["crop"]["detectors"]["haar"] == {"box_scale": scale, "box_shift": list(shift)}
        assert raw["scheme"] == get_scheme("mtfl5").to_dict() and raw["input"]["pixel_range"] == [0, 255]
        assert model_card.ModelCard.from_dict(raw) == embedded and embedded.to_dict() == raw
        data, card = model_card.read_model(model_card.card_path(path))
        with open(path, "rb") as f:
            assert data == f.read() and card == embedded


def test_exported_model_is_the_flip_averaged_one(tiny_export, tiny_run):
    """The card says the .tflite averages with the mirror image, and the file does what the Keras
    flip-averaged model does, not what the single pass does."""
    cfg = load_config(os.path.join(tiny_run, "config.yaml"))
    data, card = model_card.read_model(os.path.join(tiny_export, "mnv2-a035-mtfl5-64.float32.tflite"))
    assert card.output.flip_averaged is True and card.input.shape == (1, 64, 64, 3)
    plain = landmark_model(load_model(tiny_run))
    flip = deployable(plain, cfg.model, get_scheme("mtfl5"))
    images = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 3)).astype(np.uint8)
    x = images.astype(np.float32)
    out = runtime.predict(data, images)
    plain_out = plain.predict(x, verbose=0)
    plain_out = plain_out["landmarks"] if isinstance(plain_out, dict) else plain_out
    # An untrained model's points sit near the crop centre, so the two differ by little; the file
    # must still be an order of magnitude closer to the flip-averaged model than to the single pass.
    error = np.abs(out - flip.predict(x, verbose=0)).max()
    assert error < 2e-5 and error < np.abs(out - plain_out).max() / 10


def test_embed_replaces_the_card_and_keeps_the_model(tiny_export):
    path = os.path.join(tiny_export, "mnv2-a035-mtfl5-64.int8.tflite")
    with open(path, "rb") as f:
        data = f.read()
    card = model_card.extract(data)
    again = model_card.embed(model_card.embed(data, {**card, "name": "x"}), {**card, "name": "y"})
    assert model_card.extract(again)["name"] == "y"
    assert abs(len(again) - len(data)) < 64  # replaced, not appended twice
    x = np.full((1, 64, 64, 3), 128, np.uint8)
    outputs = []
    for blob in (data, again):
        interp = Interpreter(model_content=blob)
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        outputs.append(interp.get_tensor(interp.get_output_details()[0]["index"]))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_read_card_rejects_models_without_a_card_and_bad_cards(tmp_path, tiny_export):
    src = os.path.join(tiny_export, "mnv2-a035-mtfl5-64.float32.tflite")
    bare = tmp_path / "bare.tflite"
    with open(src, "rb") as f:
        bare.write_bytes(tflite_graph.without_metadata(f.read(), model_card.METADATA_NAME))
    with pytest.raises(model_card.CardError, match="bare.tflite: no embedded model card"):
        model_card.read_card(str(bare))
    card = model_card.read_card(src).to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**card, "crop": {**card["crop"], "rounding": "round-half-even"}}))
    with pytest.raises(model_card.CardError, match="bad.json: crop.rounding"):
        model_card.read_card(str(bad))
    orphan = tmp_path / "orphan.json"
    orphan.write_text(json.dumps({**card, "model_file": "gone.tflite"}))
    with pytest.raises(model_card.CardError, match="gone.tflite: cannot read the card's model_file"):
        model_card.read_model(str(orphan))


def test_variant_table_and_names():
    assert parse_variants("all") == tuple(VARIANTS)
    assert parse_variants("int8, float32") == ("float32", "int8")
    with pytest.raises(ValueError, match="unknown variant int4"):
        parse_variants("float32,int4")
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="unknown variant 'int4'"):
        convert(model, "int4")
    with pytest.raises(ValueError, match="needs representative images"):
        convert(model, "int8")


def test_converter_tracks_only_the_weights_and_converts_the_same_bytes():
    # The converter lowers through a SavedModel of its trackable object; if the weights-only
    # module missed a variable, TFLite would fall back silently to its frozen-graph path.
    import tensorflow as tf

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model(np.ones((2, 8, 8, 3), np.float32), training=True)  # moves the BatchNorm statistics off 0 / 1
    converter = variants.tflite_converter(model)
    data = bytes(converter.convert())
    assert converter.saved_model_dir is not None
    keras_converter = tf.lite.TFLiteConverter.from_concrete_functions([variants.serving_function(model)], model)
    assert data == bytes(keras_converter.convert())


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch, tiny_export):
    src = os.path.join(tiny_export, "mnv2-a035-mtfl5-64.int8.tflite")
    with open(src, "rb") as f:
        data = f.read()
    card = model_card.read_card(src)

    def half_then_interrupt(path, blob):
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(blob[:len(blob) // 2])
            raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    monkeypatch.setattr(model_card, "write_bytes", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        model_card.write_model(str(tmp_path / "m.int8.tflite"), data, card)
    assert os.listdir(tmp_path) == []


def test_converter_failure_mid_export_is_one_line_and_writes_nothing(tmp_path, monkeypatch, tiny_run,
                                                                     export_args, capsys):
    real = variants.convert

    def failing(model, variant, representative=None):
        if variant == "int8":
            raise RuntimeError("converter crashed\n  in some op\n")
        return real(model, variant, representative)

    monkeypatch.setattr(variants, "convert", failing)
    out = tmp_path / "out"
    assert tflite.main([tiny_run, "--variants", "float32,int8", "--out", str(out), *export_args]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: export of mnv2-a035-mtfl5-64 failed: RuntimeError: converter crashed in some op"
    assert not out.exists() or os.listdir(out) == []


def _bad_run_without_model(tmp_path, tiny_run):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(os.path.join(tiny_run, "config.yaml"), run / "config.yaml")
    return [str(run)], "no model.keras in this run directory"


def _bad_model_input(tmp_path, tiny_run):
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(10, name="landmarks")])
    model.save(str(tmp_path / "flat.keras"))
    return [str(tmp_path / "flat.keras")], "is not a square RGB image"


def _bad_test_list(tmp_path, tiny_run):
    bad = tmp_path / "broken.txt"
    bad.write_text("AFLW\\image00002.jpg 1 2 3\n")
    return [tiny_run, "--list", str(bad)], "broken.txt:1: expected 15 values, got 4"


def _bad_profile(tmp_path, tiny_run):
    profile = tmp_path / "phone.yaml"
    profile.write_text("max_model_megabytes: 4\n")
    return [tiny_run, "--target", str(profile)], "phone.yaml: unknown key 'max_model_megabytes'; did you mean 'max_model_mb'"


def _zero_representative(tmp_path, tiny_run):
    return [tiny_run, "-o", "export.representative_samples=0"], "export.representative_samples is 0"


def _bad_min_face_score(tmp_path, tiny_run):
    return [tiny_run, "--min-face-score", "1.5"], "--min-face-score 1.5: must be in [0, 1]"


@pytest.mark.parametrize("case", [_bad_run_without_model, _bad_model_input, _bad_test_list, _bad_profile,
                                  _zero_representative, _bad_min_face_score], ids=lambda f: f.__name__.strip("_"))
def test_bad_input_exits_2_with_one_line(case, tmp_path, tiny_run, export_args, capsys):
    argv, message = case(tmp_path, tiny_run)
    out = tmp_path / "out"
    # later options win: the case's --list / --target replace the defaults
    code = tflite.main(argv[:1] + ["--variants", "float32,int8", "--out", str(out)] + export_args + argv[1:])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: ") and message in err[-1], err
    assert not out.exists() or os.listdir(out) == []


def test_the_configs_export_target_is_the_profile_without_target_option(tiny_run, export_args, tmp_path, capsys):
    i = export_args.index("--target")
    args = export_args[:i] + export_args[i + 2:]
    code = tflite.main([tiny_run, "--out", str(tmp_path / "out"), *args, "-o", "export.target=pixel-9000"])
    assert code == 2
    assert "unknown target 'pixel-9000'" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["export.tflite", "export.parity"])
def test_help_does_not_import_tensorflow(module, tmp_path):
    """`--help` prints the usage without loading TensorFlow (`-X importtime` lists every import)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", module, "--help"], cwd=str(tmp_path),
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: python -m {module}"), result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "ai_edge_litert.interpreter" in imported or "fld_tf.model_card" in imported  # the listing is there
    assert not {m for m in imported if m.split(".")[0] in ("tensorflow", "tf_keras", "keras")}


def test_the_presence_threshold_travels_in_the_cards(tiny_run, tmp_path):
    from fld_tf.landmarker import FaceLandmarker

    out = tmp_path / "out"
    assert tflite.main([tiny_run, "--variants", "float32", "--no-parity", "--out", str(out),
                        "--min-face-score", "0.8"]) == 0
    path = str(out / "mnv2-a035-mtfl5-64.float32.tflite")
    assert model_card.read_card(path)["presence"] == {"min_face_score": 0.8}
    assert model_card.read_card(model_card.card_path(path))["presence"] == {"min_face_score": 0.8}
    with FaceLandmarker.create(path) as landmarker:
        assert landmarker.options.min_face_score == 0.8
