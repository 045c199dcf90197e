"""fld_tf.predict and fld_tf.detect: input crops as evaluation makes them, the Haar detector and its box
rule on real faces, the CLI on a real photo and a real-frame video, exit codes, bad input, quiet output."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from fld_tf import detect, geometry, pipeline, predict
from fld_tf.config import CropConfig, DataConfig
from fld_tf.data.readers import read_list
from fld_tf.detect import FaceDetector
from fld_tf.inference import sample_crop

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROP = CropConfig.for_scheme("mtfl5")  # the rule the tiny model's card carries (built from the defaults)
# A plausible mean face in crop coordinates: the tiny model's output bias (its kernel is scaled down,
# so outputs stay near this but still depend on the pixels).
MEAN_SHAPE = [0.36, 0.40, 0.64, 0.40, 0.50, 0.55, 0.39, 0.70, 0.61, 0.70]


@pytest.fixture(scope="module")
def lfw_samples(mtfl_root):
    """The first CUHK test faces from lfw_5590 (250 x 250 photos)."""
    samples = read_list(os.path.join(mtfl_root, "cuhk", "testImageList.txt"), "cuhk").samples
    return [s for s in samples if "lfw_5590" in s.image_path][:8]


@pytest.fixture(scope="module")
def png_photo(lfw_samples, tmp_path_factory):
    """A real photo saved losslessly: TF's JPEG decoder (the pipeline's, IFAST DCT) and OpenCV's (ISLOW)
    differ by up to 4 grey levels, so crop comparisons start from identical pixels."""
    path = str(tmp_path_factory.mktemp("png_photo") / "face photo.png")
    assert cv2.imwrite(path, cv2.imread(lfw_samples[1].image_path))
    return path, lfw_samples[1]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained 64 px, alpha 0.35 model exported to float32 with its card; `(path, raw bytes)`."""
    from fld_tf import model_card, runtime
    from export.variants import convert
    from fld_tf.config import load_config
    from fld_tf.model import build_model, landmark_model
    from fld_tf.schemes import get_scheme

    cfg = load_config(None, ["model.input_size=64", "model.alpha=0.35", "model.attribute_head=false",
                             "model.head=spatial", "model.dropout=0"])
    scheme = get_scheme(cfg.data.scheme)
    model = landmark_model(build_model(cfg.model, scheme, mean_shape=MEAN_SHAPE))
    layer = model.get_layer("landmarks")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel * 1e-3, bias])
    data = convert(model, "float32")
    card = model_card.build_card(cfg, scheme, model_card.model_name(cfg.model, scheme), "float32",
                                 runtime.io_details(data), {}, "tests/test_predict.py")
    path = str(tmp_path_factory.mktemp("predict_model") / card["model_file"])
    model_card.write_model(path, data, card)
    return path, data


def eval_crops(path, squares, size):
    """The crops `fld_tf.pipeline` evaluation feeds the model, uint8 `(N, S, S, 3)`."""
    n = len(squares)
    arrays = {"path": np.array([path] * n), "points": np.zeros((n, 5, 2), np.float32),
              "square": np.asarray(squares, np.float32), "attributes": np.zeros((n, 0), np.int32)}
    ds = pipeline.build_dataset(DataConfig(), None, size, arrays, training=False, batch_size=n)
    images, _ = next(iter(ds))
    return images.numpy().astype(np.uint8)


def test_sample_crop_matches_pipeline_eval(png_photo):
    path, s = png_photo
    image = predict.read_image(path)
    h, w = image.shape[:2]
    squares = [geometry.square_from_box(s.box, CROP.box_scale, CROP.box_shift),  # the card's box rule
               geometry.square_from_points(s.points, CROP.landmark_scale, CROP.landmark_shift),  # landmark rule
               np.array([10.0, 230.0, 180.0], np.float32),                    # hangs over two borders
               np.array([w / 2 + 0.3, h / 2 - 0.7, 41.0], np.float32)]        # upsampled, sub-pixel centre
    for size in (64, 96):
        expected = eval_crops(path, squares, size).astype(int)
        for square, want in zip(squares, expected):
            got = sample_crop(image, square, size).astype(int)
            assert got.shape == (size, size, 3)
            diff = np.abs(got - want)
            assert diff.max() <= 1, f"square {square} size {size}: max diff {diff.max()}"
            assert np.mean(diff > 0) < 0.01
    corner = sample_crop(image, squares[2], 64)
    assert corner[:, :10].max() == 0 and corner[-10:].max() == 0  # black outside the image
    assert corner[:20, 30:].mean() > 20


def test_haar_finds_the_annotated_face(lfw_samples):
    detector = FaceDetector()
    for s in lfw_samples[:5]:
        faces = detector.detect(predict.read_image(s.image_path))
        assert faces, f"no face found in {s.image_path}"
        areas = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in faces]
        assert areas == sorted(areas, reverse=True)
        box = faces[0].box
        assert faces[0].score >= 1
        assert np.all(s.points >= box[:2]) and np.all(s.points <= box[2:]), f"{s.image_path}: {box}"
        square = FaceDetector.square(box)
        landmark_square = geometry.square_from_points(s.points, CROP.landmark_scale, CROP.landmark_shift)
        assert abs(square[2] / landmark_square[2] - 1) < 0.3
        assert np.hypot(*(square[:2] - landmark_square[:2])) < 0.15 * landmark_square[2]


def test_a_weak_box_enclosing_a_face_is_suppressed(mtfl_root):
    # Ricky_Ray_0001: OpenCV returns a 6-window box over hair and forehead (62, 16)-(198, 152) that
    # holds the centre of the real 12-window face box; largest-first would pick the wrong one.
    samples = read_list(os.path.join(mtfl_root, "cuhk", "testImageList.txt"), "cuhk").samples
    s = next(s for s in samples if s.image_path.endswith("Ricky_Ray_0001.jpg"))
    faces = FaceDetector().detect(predict.read_image(s.image_path))
    assert len(faces) == 1
    assert np.all(s.points >= faces[0].box[:2]) and np.all(s.points <= faces[0].box[2:])
    weak = detect.Detection(np.array([0, 0, 100, 100], np.float32), 6.0)
    strong = detect.Detection(np.array([30, 40, 90, 100], np.float32), 30.0)
    apart = detect.Detection(np.array([200, 0, 260, 60], np.float32), 3.0)
    assert detect.suppress_overlaps([weak, strong, apart]) == [strong, apart]


def expected_points(image_path, tflite, detector_box):
    """Detector square -> model -> landmark square -> model, with fld_tf.pipeline's crops (independent of predict)."""
    from fld_tf import runtime

    def run(square):
        out = runtime.predict(tflite, eval_crops(image_path, [square], 64))[0]
        return geometry.decode(out.reshape(-1, 2), square, 64)

    first = run(FaceDetector.square(detector_box))
    return run(geometry.square_from_points(first, CROP.landmark_scale, CROP.landmark_shift))


def test_cli_on_a_photo(tiny_model, png_photo, tmp_path, capsys):
    model, tflite = tiny_model
    photo = str(tmp_path / "face photo.png")
    with open(png_photo[0], "rb") as src, open(photo, "wb") as dst:
        dst.write(src.read())
    # The untrained model has no sense of faces (its presence score is ~0): keep every box.
    assert predict.main([photo, "--model", model, "--json", "--threads", "1", "--min-face-score", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1  # one JSON object per photo
    record = json.loads(lines[0])
    written = cv2.imread(str(tmp_path / "face photo_landmarks.png"))
    image = cv2.imread(photo)
    assert written is not None and written.shape == image.shape
    assert not np.array_equal(written, image)  # something was drawn
    assert record["source"] == photo and len(record["faces"]) >= 1
    face = record["faces"][0]
    assert face["crop"] == "refined" and 0 <= face["score"] <= 1
    assert face["names"] == ["left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth"]
    points = np.array(face["points"])
    assert points.shape == (5, 2)
    assert np.all(points >= 0) and np.all(points <= [image.shape[1] - 1, image.shape[0] - 1])
    want = expected_points(photo, tflite, np.array(face["box"], np.float32))
    np.testing.assert_allclose(points, want, atol=0.1)


def test_cli_plain_output_and_out_path(tiny_model, lfw_samples, tmp_path, capsys):
    out = str(tmp_path / "sub" / "annotated.jpg")
    assert predict.main([lfw_samples[2].image_path, "--model", tiny_model[0], "--out", out, "--refine", "0",
                         "--min-face-score", "0"]) == 0
    text = capsys.readouterr().out
    assert "face 1/" in text and "left_eye (" in text and f"Wrote {out}" in text
    assert cv2.imread(out).shape == (250, 250, 3)


def test_no_face_is_empty_json_exit_3_and_a_hint(tiny_model, lfw_samples, tmp_path, capsys):
    # The real photo with every face dropped (the untrained model scores ~0; the default threshold applies).
    photo = str(tmp_path / "photo.jpg")
    with open(lfw_samples[0].image_path, "rb") as src, open(photo, "wb") as dst:
        dst.write(src.read())
    assert predict.main([photo, "--model", tiny_model[0], "--json"]) == predict.EXIT_NO_FACE == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"source": photo, "faces": []}
    assert "no face found" in captured.err and "--whole-image" in captured.err
    assert not os.path.exists(str(tmp_path / "photo_landmarks.png"))  # no unmarked copy


def make_video(path, images, repeats, fourcc):
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 10.0, (250, 250))
    assert writer.isOpened()
    for image in images:
        for _ in range(repeats):
            writer.write(cv2.imread(image))
    writer.release()


def count_frames(path):
    cap = cv2.VideoCapture(path)
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


@pytest.mark.parametrize("name,fourcc", [("clip.avi", "MJPG"), ("clip.mp4", "mp4v")])
def test_cli_on_a_video(tiny_model, lfw_samples, tmp_path, capsys, name, fourcc):
    video = str(tmp_path / name)
    make_video(video, [s.image_path for s in lfw_samples[:3]], 4, fourcc)
    assert count_frames(video) == 12
    assert predict.main([video, "--model", tiny_model[0], "--json", "--redetect", "3", "--min-face-score", "0"]) == 0
    captured = capsys.readouterr()
    out = str(tmp_path / "clip_landmarks.mp4")
    assert count_frames(out) == 12
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["frame"] for r in lines] == list(range(12))
    assert [r["timestamp_ms"] for r in lines] == [round(100 * i) for i in range(12)]  # 10 fps
    crops = [r["faces"][0]["crop"] for r in lines]
    assert crops[0] in ("detector", "refined") and "tracking" in crops
    for r in lines:
        assert np.all(np.array(r["faces"][0]["points"]) >= 0) and np.all(np.array(r["faces"][0]["points"]) <= 249)
    assert "12 frames" in captured.err


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fld_tf.predict", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


def test_missing_file_exits_2(tmp_path):
    missing = str(tmp_path / "nope.jpg")
    result = run_cli(missing, "--model", "whatever.tflite")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {missing}: no such file"


def test_bad_inputs_exit_2(tiny_model, lfw_samples, tmp_path, capsys, monkeypatch):
    model, raw = tiny_model
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("not a picture\n")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video either\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    no_card = tmp_path / "bare.tflite"
    no_card.write_bytes(raw)
    photo = lfw_samples[0].image_path
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    cases = [([str(not_image), "--model", model], f"{not_image}: not an image"),
             ([str(not_video), "--model", model], f"{not_video}: cannot open it as an image or a video"),
             ([str(empty), "--model", model], f"{empty}: empty file"),
             ([str(tmp_path), "--model", model], f"{tmp_path}: is a folder"),
             ([photo, "--model", "mtfl6"], "--model mtfl6: not a file and not a shipped model; shipped: ibug68, mtfl5, "),
             ([photo, "--model", str(no_card)], f"{no_card}: no embedded model card"),
             ([photo, "--model", str(tmp_path / "gone.tflite")], f"{tmp_path / 'gone.tflite'}: cannot read"),
             ([photo, "--model", model, "--show"], "--show needs a display"),
             ([photo, "--model", model, "--out", str(tmp_path / "x.mp4")], "--out"),
             ([photo, "--model", model, "--min-face-score", "1.5"], "--min-face-score 1.5: must be in [0, 1]"),
             ([photo, "--model", model, "--redetect", "0"], "--refine must be >= 0 and --redetect >= 1"),
             ([], "give exactly one of an input file or --camera N")]
    for argv, message in cases:
        assert predict.main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {message}"), (argv, err)
        assert captured.out == ""
    assert sorted(os.listdir(tmp_path)) == ["bare.tflite", "empty.png", "notes.jpg", "notes.mp4"]  # nothing written


def test_out_that_cannot_be_written_is_one_line(tiny_model, lfw_samples, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be\n")
    out = str(blocker / "annotated.png")
    assert predict.main([lfw_samples[0].image_path, "--model", tiny_model[0], "--min-face-score", "0",
                         "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "cannot write" in err[0], err


def test_box_rule_comes_from_the_card(tiny_model, lfw_samples, tmp_path, capsys):
    from fld_tf import model_card, tflite_graph

    path, raw = tiny_model
    card = model_card.read_card(path).to_dict()  # a ModelCard is frozen: edit its JSON
    card["crop"]["detectors"] = {"haar": {"box_scale": 1.5, "box_shift": [0.1, -0.2]}}
    ruled = str(tmp_path / "ruled.float32.tflite")
    model_card.write_model(ruled, raw, card)
    photo = lfw_samples[1].image_path
    argv = [photo, "--json", "--refine", "0", "--min-face-score", "0", "--out", str(tmp_path / "o.png")]
    for model, (scale, shift) in ((ruled, (1.5, (0.1, -0.2))), (path, detect.BOX_RULES["haar"])):
        assert predict.main([*argv, "--model", model]) == 0
        face = json.loads(capsys.readouterr().out)["faces"][0]
        box = np.array(face["box"])
        width = box[2] - box[0]
        want = [(box[0] + box[2]) / 2 + shift[0] * width, (box[1] + box[3]) / 2 + shift[1] * width, scale * width]
        np.testing.assert_allclose(face["square"], want, atol=0.01)
    assert detect.box_rule(card) == (1.5, (0.1, -0.2))
    assert detect.box_rule({"crop": {}}) == detect.BOX_RULES["haar"] == (1.22, (0.011, 0.097))
    card["crop"]["detectors"]["haar"] = {"box_scale": 1.5}
    bad = tmp_path / "bad.float32.tflite"  # write_model refuses such a card: embed it by hand
    bad.write_bytes(tflite_graph.write_metadata(raw, model_card.METADATA_NAME, json.dumps(card).encode()))
    assert predict.main([photo, "--model", str(bad)]) == 2
    assert "card is missing crop.detectors.haar.box_shift" in capsys.readouterr().err


def test_help_is_fast_and_does_not_import_tensorflow(tmp_path):
    code = ("import sys, runpy; sys.argv = ['fld-predict', '--help']\n"
            "try:\n    runpy.run_module('fld_tf.predict', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf_keras', 'matplotlib'))\n"
            "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 0, result.stderr
    assert "usage: fld-predict" in result.stdout and "--whole-image" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY []"
    assert result.stderr == ""


def test_a_run_prints_no_log_noise_unless_verbose(lfw_samples, tmp_path):
    photo = lfw_samples[3].image_path
    env = {**os.environ, "PYTHONPATH": REPO}
    env.pop("FLD_TF_VERBOSE", None)
    quiet = subprocess.run([sys.executable, "-m", "fld_tf.predict", photo, "--out", str(tmp_path / "q.png")],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and quiet.stdout.startswith(f"{photo} face 1/")
    loud = subprocess.run([sys.executable, "-m", "fld_tf.predict", photo, "--out", str(tmp_path / "v.png"), "--verbose"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert loud.returncode == 0 and "XNNPACK delegate" in loud.stderr
