"""export.golden: vectors match fld_tf's pipeline and the model. The Java core's run over golden
vectors (GoldenParityTest, which also requires the points to pass its face check, so a trained model)
is tests/test_android_core.py's, on the shipped int8 model."""
import json
import os

import fld_tf  # noqa: F401
import numpy as np
from PIL import Image

from fld_tf import model_card, runtime
from export import golden
from fld_tf import geometry, pipeline
from fld_tf.config import DataConfig

pytest_plugins = ["fixtures_export"]  # tiny_run, tiny_export, export_args: trained once per session

NAME = "mnv2-a035-mtfl5-64"


def _vectors(folder):
    docs = {}
    for f in sorted(os.listdir(folder)):
        if f.endswith(".json") and f != "model_card.json":
            with open(os.path.join(folder, f)) as fh:
                docs[f[:-5]] = json.load(fh)
    return docs


def test_golden_vectors_follow_the_pipeline_and_the_model(tiny_export, mtfl_root, tmp_path):
    model_path = os.path.join(tiny_export, f"{NAME}.int8.tflite")
    out = tmp_path / "golden"
    (out).mkdir()
    (out / "stale.json").write_text(json.dumps({"image": "stale.png", "input_uint8": "stale.bin",
                                                "model_output": []}))
    (out / "stale.bin").write_bytes(b"x")
    assert golden.main([model_path, "--out", str(out), "--count", "3", "--data-root", mtfl_root]) == 0
    docs = _vectors(out)
    assert len(docs) == 3 and not (out / "stale.bin").exists()
    assert sorted(d["crop_source"] for d in docs.values()) == ["box", "image", "landmarks"]
    card = model_card.read_card(str(out / "model_card.json"))
    with open(model_path, "rb") as f:
        model = f.read()
    total = 0
    for name, doc in docs.items():
        image = np.asarray(Image.open(out / doc["image"]))
        assert image.shape == (doc["height"], doc["width"], 3) and max(image.shape) <= 220
        source = os.path.join(mtfl_root, doc["source"].split(":")[0])  # the list the face came from
        assert os.path.exists(source)
        rgb = np.frombuffer((out / doc["input_uint8"]).read_bytes(), np.uint8).reshape(64, 64, 3)
        output = runtime.predict(model, rgb[None])[0]
        np.testing.assert_array_equal(output, np.float32(doc["model_output"]))
        square = np.float32(doc["square"])
        np.testing.assert_array_equal(geometry.decode(output.reshape(-1, 2), square, 64),
                                      np.float32(doc["points_image"]))
        expected = geometry.sampling_matrix(square, 64).reshape(-1)[:8].astype(np.float32)
        np.testing.assert_array_equal(np.float32(doc["transform"]), expected)
        total += os.path.getsize(out / doc["image"]) + rgb.nbytes
    assert card["variant"] == "int8" and total < 400_000


def test_golden_input_equals_the_eval_pipeline_input(tiny_export, mtfl_root, tmp_path):
    """The training/eval pipeline (TF float32 matrix) and the golden path (float64 -> float32
    coefficients, as Java) agree up to rare off-by-one pixels."""
    model_path = os.path.join(tiny_export, f"{NAME}.int8.tflite")
    assert golden.main([model_path, "--out", str(tmp_path), "--count", "2", "--data-root", mtfl_root]) == 0
    for doc in _vectors(tmp_path).values():
        arrays = {"path": np.array([os.path.join(tmp_path, doc["image"])]),
                  "points": np.float32(doc["ground_truth"])[None], "square": np.float32(doc["square"])[None],
                  "attributes": np.zeros((1, 0), np.int32)}
        ds = pipeline.build_dataset(DataConfig(), model_card.scheme_of(model_card.read_card(model_path)), 64,
                                    arrays, training=False)
        eval_input = geometry.to_uint8(next(iter(ds))[0].numpy()[0])
        rgb = np.frombuffer((tmp_path / doc["input_uint8"]).read_bytes(), np.uint8).reshape(64, 64, 3)
        diff = np.abs(eval_input.astype(int) - rgb)
        assert diff.max() <= 1 and np.mean(diff > 0) < 0.01


def test_bad_golden_input_exits_2(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{}")
    assert golden.main([str(tmp_path / "x.json"), "--out", str(tmp_path / "g")]) == 2
    assert "x.json: not an fld-tf model card" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()
