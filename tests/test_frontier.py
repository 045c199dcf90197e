"""benchmarks/frontier.py: markers land where their data are, the JSON round-trips, the CLI measures
the shipped int8 model's NME as its card records it. Nothing here is timed."""
import json
import os
import statistics
import subprocess
import sys

import cv2
import numpy as np
import pytest

from fld_tf import io

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "benchmarks", "frontier.py")
MODELS = os.path.join(REPO, "fld_tf", "models")
sys.path.insert(0, os.path.join(REPO, "benchmarks"))  # the scripts import their neighbours so
from frontier_plot import plot_frontier  # noqa: E402

BLUE, ORANGE, RED = (31, 119, 180), (255, 127, 14), (214, 39, 40)  # tab:blue, tab:orange, tab:red


def summary():
    """Hand-made: filled int8 at (0.5 ms, 6.8%), hollow float32 at (1.0, 6.5), a timed peer at
    (1.5, 5.95), and two peers drawn as lines at 7.22% and 7.46%."""
    model = dict(file="x", ms_repeats=[], ratio_to={})
    return {"date": "2026-12-02", "machine": {"cpu": "Test CPU", "cores": 2, "arch": "x86_64"},
            "command": "python benchmarks/frontier.py ...", "note": "",
            "list": {"name": "aflw_test", "count": 2995}, "threads": 1, "runs": 10, "repeats": 1,
            "models": [dict(model, label="small.int8", kb=800.0, dtype="int8", integer=True, nme_percent=6.8, ms=0.5),
                       dict(model, label="big.float32", kb=2000.0, dtype="float32", integer=False,
                            nme_percent=6.5, ms=1.0)],
            "peers": [dict(name="mediapipe", label="MediaPipe", nme_percent=5.95, plot_note="lower bound",
                           ms=1.5, kb=1200.0, dtype="float32", integer=False),
                      dict(name="dlib", label="dlib", nme_percent=7.22, plot_note="no latency", ms=None),
                      dict(name="mtcnn", label="mtcnn", nme_percent=7.46, plot_note="no latency", ms=None)]}


def read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(int)


def near(pixel, color, tol=40):
    return bool(np.all(np.abs(np.asarray(pixel) - color) <= tol))


def test_markers_sit_at_their_data_filled_or_hollow(tmp_path):
    path = tmp_path / "f.png"
    marks = plot_frontier(summary(), str(path))
    image = read_rgb(path)
    assert image.shape == (616, 880, 3)
    (x1, y1, r1), (x2, y2, r2), (x3, y3, r3) = (marks[k] for k in ("small.int8", "big.float32", "mediapipe"))
    # The axes are linear: 0.5 ms steps are equal in x, and y grows downwards as NME falls.
    assert abs((x2 - x1) - (x3 - x2)) < 1 and x1 < x2 < x3
    assert abs((y2 - y1) / (6.5 - 6.8) - (y3 - y2) / (5.95 - 6.5)) < 1 and y1 < y2 < y3
    # Area follows file size: 2000 KB against 800 KB is a radius sqrt(2.5) times larger.
    assert r2 / r1 == pytest.approx(np.sqrt(2.5), rel=1e-6)
    pixel = lambda x, y: image[int(y), int(x)]  # noqa: E731  pixel (i, j) spans [j, j + 1) x [i, i + 1)
    assert near(pixel(x1, y1), BLUE)                        # int8: filled
    assert near(pixel(x2, y2), (255, 255, 255), 5)          # float32: hollow...
    assert near(pixel(x2 + r2, y2), BLUE)                   # ...inside its ring
    assert near(pixel(x3 - r3, y3), ORANGE)                 # the peer in its own colour
    assert near(pixel(x1 + 0.2 * (x3 - x1), (y1 + y2) / 2), (255, 255, 255), 5)  # background between
    # dlib's dashed line at 7.22%, where the points' y scale puts it: red dashes across the axes.
    y_line = int(y1 + (7.22 - 6.8) * (y2 - y1) / (6.5 - 6.8))
    band = image[y_line - 1:y_line + 2, int(x1):int(x3)]
    assert np.mean([any(near(p, RED, 60) for p in column) for column in band.transpose(1, 0, 2)]) > 0.3
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_a_networks_variants_are_joined_and_other_models_are_not(tmp_path):
    s = summary()
    small, big = s["models"]
    # big.float32 and small.int8 become one network's two files; a third model of its own.
    big["file"], small["file"] = "/runs/a/net.float32.tflite", "/runs/a/net.int8.tflite"
    s["models"].append(dict(small, label="other.int8", file="/runs/b/net.int8.tflite", nme_percent=7.1, ms=1.25))
    marks = plot_frontier(s, str(tmp_path / "f.png"))
    image = read_rgb(tmp_path / "f.png")
    (x1, y1, r1), (x2, y2, r2), (x3, y3, r3) = (marks[k] for k in ("small.int8", "big.float32", "other.int8"))

    def darkest(x, y):  # the darkest pixel within 2 px: a 1-px antialiased line is grey in one of them
        window = image[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3].reshape(-1, 3)
        return window[window.sum(axis=1).argmin()]
    assert near(darkest((x1 + x2) / 2, (y1 + y2) / 2), (177, 207, 229), 20)  # tab:blue at alpha 0.35
    assert near(darkest((x1 + x3) / 2, (y1 + y3) / 2), (255, 255, 255), 5)   # not joined


def test_replot_draws_the_json_as_written(tmp_path):
    io.write_json(str(tmp_path / "f.json"), summary())
    with open(tmp_path / "f.json") as f:
        assert json.load(f) == summary()
    plot_frontier(summary(), str(tmp_path / "direct.png"))
    result = subprocess.run([sys.executable, SCRIPT, "--replot", "f.json", "--out", "again.png"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(read_rgb(tmp_path / "again.png"), read_rgb(tmp_path / "direct.png"))


@pytest.mark.parametrize("args, message", [
    (["nothere.tflite"], "nothere.tflite: not a .tflite file"),
    ([os.path.join(MODELS, "mnv2-a050-ibug68-96.int8.tflite")], "no mtfl5 model"),
    ([os.path.join(MODELS, "mnv2-a050-mtfl5-112.int8.tflite"), "--peer", "foo=x.tflite"], "--peer foo=...: no AFLW NME"),
    ([os.path.join(MODELS, "mnv2-a050-mtfl5-112.int8.tflite"), "--label", "other.tflite=x"],
     "--label other.tflite: not one of the models"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    result = subprocess.run([sys.executable, SCRIPT, *args, "--out", "f.png"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("note:")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0], result.stderr
    assert os.listdir(tmp_path) == []


def test_cli_measures_the_shipped_int8_model_as_its_card_says(tmp_path, mtfl_root):
    int8 = os.path.join(MODELS, "mnv2-a050-mtfl5-112.int8.tflite")
    stand_in = os.path.join(MODELS, "mnv2-a050-mtfl5-112.float32.tflite")  # MediaPipe's file is not in CI
    result = subprocess.run([sys.executable, SCRIPT, int8, "--label", f"{int8}=shipped", "--data-root", mtfl_root,
                             "--peer", f"mediapipe={stand_in}", "--runs", "5", "--repeats", "2",
                             "--out", "out/f.png"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "out" / "f.json") as f:
        got = json.load(f)
    with open(os.path.join(MODELS, "mnv2-a050-mtfl5-112.int8.json")) as f:
        card = json.load(f)
    (model,) = got["models"]
    assert got["list"]["count"] == 2995 and got["list"]["format"] == "mtfl" and got["list"]["crop"] == "image"
    # The export's parity gate measured this file on the same 2,995 faces through the same harness.
    assert model["nme_percent"] == pytest.approx(card["metrics"]["aflw_test"]["nme_percent"], abs=1e-6)
    assert (model["label"], model["dtype"], model["integer"]) == ("shipped", "int8", True)
    assert model["kb"] == os.path.getsize(int8) / 1024
    assert len(model["ms_repeats"]) == 2 and model["ms"] == statistics.median(model["ms_repeats"])
    peer = next(p for p in got["peers"] if p["name"] == "mediapipe")
    assert (peer["dtype"], peer["weights_dtype"], peer["integer"]) == ("float32", "float32", False)
    assert model["ratio_to"]["mediapipe"] == pytest.approx(model["ms"] / peer["ms"])
    assert [p["ms"] for p in got["peers"] if p["name"] != "mediapipe"] == [None, None]
    assert got["command"].startswith("python benchmarks/frontier.py ") and got["machine"]["cores"] >= 1
    assert read_rgb(tmp_path / "out" / "f.png").shape == (616, 880, 3)
