"""End to end on real MTFL images: train a small model, evaluate it, resume after a kill."""
import csv
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import cv2
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = ["-o", "data.limit=200", "-o", "data.batch_size=16", "-o", "model.input_size=64",
         "-o", "model.alpha=0.35", "-o", "data.shuffle_buffer=64", "-o", "train.verbose=2"]


def _run(args, **kw):
    env = dict(kw.pop("env", os.environ), PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env, **kw)


@pytest.fixture(scope="module")
def aflw_list(mtfl_root, tmp_path_factory):
    """40 AFLW test crops in a list of their own (images reached through a link)."""
    folder = tmp_path_factory.mktemp("aflw")
    os.symlink(os.path.join(mtfl_root, "AFLW"), folder / "AFLW")
    with open(os.path.join(mtfl_root, "testing.txt")) as src:
        lines = [next(src) for _ in range(40)]
    (folder / "aflw40.txt").write_text("".join(lines))
    return str(folder / "aflw40.txt")


@pytest.fixture(scope="module")
def trained_run(mtfl_root, aflw_list, tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("run") / "small")
    result = _run(["fld_tf.train", "--run-dir", run_dir, "--data-root", mtfl_root, *SMALL,
                   "-o", "train.epochs=2", "-o", "train.steps_per_epoch=4",
                   "-o", f"data.eval_lists=[{{name: aflw40, list: {aflw_list}, format: mtfl, crop: image}}]"])
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, result


def test_training_writes_a_complete_run(trained_run):
    run_dir, result = trained_run
    for name in ("config.yaml", "history.csv", "model.keras", "metrics.json", "ced_aflw40.png",
                 "predictions_aflw40.png", "checkpoints/best.weights.h5", "checkpoints/last.weights.h5",
                 "saved_model/saved_model.pb"):
        assert os.path.exists(os.path.join(run_dir, name)), name
    assert not os.path.exists(os.path.join(run_dir, "backup")) or not os.listdir(os.path.join(run_dir, "backup"))
    with open(os.path.join(run_dir, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["train_samples"] == 190 and metrics["val_samples"] == 10  # 5% held out of 200
    assert metrics["optimizer_steps"] == 8
    aflw = metrics["eval"]["aflw40"]
    assert aflw["count"] == 40 and 0 < aflw["nme_percent"] < 500
    assert set(aflw["per_point_nme_percent"]) == {"left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth"}
    assert f"aflw40: 40 faces  NME {aflw['nme_percent']:.2f}%" in result.stdout
    sheet = cv2.imread(os.path.join(run_dir, "predictions_aflw40.png"))
    assert sheet is not None and sheet.shape[0] > 0


def test_saved_model_serves_the_points_evaluation_measures(trained_run):
    """`saved_model/` (for TF Serving and other converters) maps `image` to the mirror-averaged
    `landmarks` of `model.keras`, as loaded without Keras."""
    import fld_tf  # noqa: F401  (Keras 2 before TensorFlow)
    import numpy as np
    import tensorflow as tf
    from fld_tf.config import load_config
    from fld_tf.evaluate import load_model
    from fld_tf.model import deployable
    from fld_tf.schemes import get_scheme

    run_dir, _ = trained_run
    cfg = load_config(os.path.join(run_dir, "config.yaml"))
    assert cfg.model.flip_test
    serve = tf.saved_model.load(os.path.join(run_dir, "saved_model")).signatures["serving_default"]
    image = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    served = serve(image=tf.constant(image))
    assert list(served) == ["landmarks"]
    expected = deployable(load_model(run_dir), cfg.model, get_scheme(cfg.data.scheme))(image, training=False)
    np.testing.assert_allclose(served["landmarks"].numpy(), expected.numpy(), atol=1e-5)
    assert np.ptp(expected.numpy(), axis=0).max() > 0  # two different images, two sets of points


def test_evaluate_cli_reproduces_training_metrics(trained_run, tmp_path):
    """The Evaluate command training printed, run as printed from another folder without $FLD_DATA."""
    run_dir, result = trained_run
    (line,) = [l.split(":", 1)[1].strip() for l in result.stdout.splitlines() if l.strip().startswith("Evaluate:")]
    assert line.startswith(f"python -m fld_tf.evaluate {run_dir} --list ") and line.endswith(
        "--format mtfl --crop image --name aflw40")
    env = {k: v for k, v in os.environ.items() if k != "FLD_DATA"}
    args = shlex.split(line)
    result = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.load(open(os.path.join(run_dir, "eval", "metrics_aflw40.json")))
    want = json.load(open(os.path.join(run_dir, "metrics.json")))["eval"]["aflw40"]
    assert got["nme_percent"] == pytest.approx(want["nme_percent"], abs=1e-4)
    assert cv2.imread(os.path.join(run_dir, "eval", "ced_aflw40.png")) is not None


def test_train_cli_rejects_bad_input(trained_run, tmp_path):
    run_dir, _ = trained_run
    result = _run(["fld_tf.train", "--run-dir", run_dir])
    assert result.returncode == 2 and "already holds a run; pass --resume" in result.stderr
    result = _run(["fld_tf.train", "--run-dir", str(tmp_path / "x"), "-o", "train.epoch=3"])
    assert result.returncode == 2 and "did you mean 'train.epochs'" in result.stderr
    result = _run(["fld_tf.train", "--run-dir", str(tmp_path / "y"), "--resume"])
    assert result.returncode == 2 and "nothing to resume" in result.stderr


def test_resume_after_kill_continues_epochs_and_optimizer(mtfl_root, tmp_path):
    run_dir = str(tmp_path / "killed")
    args = [sys.executable, "-m", "fld_tf.train", "--run-dir", run_dir, "--data-root", mtfl_root, *SMALL,
            "-o", "train.epochs=4", "-o", "train.steps_per_epoch=6", "-o", "data.eval_lists=[]"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = os.path.join(run_dir, "history.csv")
    deadline = time.time() + 240
    try:
        # Kill as soon as one epoch is logged (its state was backed up just before).
        while time.time() < deadline and proc.poll() is None:
            if os.path.exists(history) and len(open(history).read().splitlines()) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "training ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    done = len(open(history).read().splitlines()) - 1
    assert 1 <= done < 4
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
    result = _run(["fld_tf.train", "--run-dir", run_dir, "--resume", "--data-root", mtfl_root])
    assert result.returncode == 0, result.stderr[-3000:]
    with open(history) as f:
        epochs = [r["epoch"] for r in csv.DictReader(f)]
    assert epochs == ["0", "1", "2", "3"]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    # The optimizer's step counter came back from the backup: 4 epochs x 6 steps in total.
    assert metrics["optimizer_steps"] == 24


def test_distilled_student_starts_from_the_teacher_and_resumes_from_elsewhere(trained_run, mtfl_root, tmp_path):
    """A single-pass student distilled from the (flip-averaging) small run and started from its
    weights, with relative paths; the run records them absolute, so --resume works from elsewhere."""
    teacher, _ = trained_run
    os.symlink(teacher, tmp_path / "teacher")
    args = ["fld_tf.train", "--run-dir", "student", "--data-root", mtfl_root, *SMALL, "-o", "train.epochs=1",
            "-o", "train.steps_per_epoch=3", "-o", "data.eval_lists=[]", "-o", "model.flip_test=false",
            "-o", "train.distill_teacher=teacher", "-o", "train.distill_weight=0.7", "-o", "train.init_weights=teacher"]
    result = _run(args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    here = str(tmp_path / "teacher")
    assert f"distilling from {here} (mobilenet_v2_a0.35_mtfl5_64_flip, 64 px), weight 0.7" in result.stdout
    (init,) = [line for line in result.stdout.splitlines() if line.startswith("initialised ")]
    # The student has the teacher's architecture; a run's model.keras lacks only the training-only
    # attribute head (its 1x1 expansion, BatchNorm and logits) and the heatmap spread term, whose
    # fixed grid, like the soft-argmax's, is not counted.
    assert init == f"initialised 115 of 118 layers from {here} (new: Conv_1, Conv_1_bn, attributes)"
    from fld_tf.config import load_config

    saved = load_config(str(tmp_path / "student" / "config.yaml"))
    assert saved.train.distill_teacher == here and saved.train.init_weights == here
    result = _run(["fld_tf.train", "--run-dir", str(tmp_path / "student"), "--resume",
                   "-o", "train.steps_per_epoch=1"], cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"distilling from {here}" in result.stdout and f"layers from {here}" in result.stdout


def test_teacher_recipe_trains_the_teacher_then_distils_it_in_one_command(mtfl_root, tmp_path):
    """A two-stage recipe: the teacher recipe (a file named relative to the start folder) trains in
    <run>/teacher on the student's data, then the student distils it and starts from its weights."""
    small = {"input_size": 64, "alpha": 0.35, "heatmap_stride": 4}
    (tmp_path / "teacher.yaml").write_text(yaml.safe_dump({"model": small, "train": {"epochs": 1, "steps_per_epoch": 2}}))
    (tmp_path / "student.yaml").write_text(yaml.safe_dump({
        "model": {**small, "flip_test": False},
        "train": {"epochs": 1, "steps_per_epoch": 2, "teacher_recipe": "teacher.yaml", "learning_rate": 5e-4}}))
    args = ["fld_tf.train", "--config", "student.yaml", "--run-dir", "run", "--data-root", mtfl_root, *SMALL,
            "-o", "data.eval_lists=[]"]
    result = _run(args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    teacher = str(tmp_path / "run" / "teacher")
    assert f"teacher stage: training 1 epochs in {teacher}" in result.stdout
    assert f"distilling from {teacher} (mobilenet_v2_a0.35_mtfl5_64_flip, 64 px)" in result.stdout
    assert f"layers from {teacher} (new: Conv_1, Conv_1_bn, attributes)" in result.stdout
    from fld_tf.config import load_config

    taught = load_config(os.path.join(teacher, "config.yaml"))
    assert taught.model.flip_test and taught.model.heatmap_stride == 4  # the teacher recipe's model
    assert taught.data.limit == 200 and taught.data.root == mtfl_root  # the student's data
    assert taught.train.learning_rate == 0.002 and taught.train.verbose == 2  # its own train, our verbosity
    saved = load_config(str(tmp_path / "run" / "config.yaml"))
    assert saved.train.distill_teacher == teacher and saved.train.init_weights == teacher
    assert saved.train.teacher_recipe == str(tmp_path / "teacher.yaml")
    for name in ("metrics.json", "model.keras"):
        assert os.path.exists(os.path.join(teacher, name)) and os.path.exists(tmp_path / "run" / name)
    # Stopped during the teacher stage: --resume from elsewhere continues it, then the student.
    os.remove(os.path.join(teacher, "metrics.json"))
    result = _run(["fld_tf.train", "--run-dir", str(tmp_path / "run"), "--resume"], cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"teacher stage: resuming 1 epochs in {teacher}" in result.stdout
    assert os.path.exists(os.path.join(teacher, "metrics.json"))
    # distill_weight 0: the finished teacher stage only starts the student, here at a larger input
    # (the shipped release recipe's second stage: 96 px teacher, 112 px student).
    shutil.copytree(teacher, tmp_path / "tuned" / "teacher")
    result = _run([*args, "--run-dir", "tuned", "-o", "train.distill_weight=0", "-o", "model.input_size=80"],
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    tuned_teacher = str(tmp_path / "tuned" / "teacher")
    assert f"teacher stage: {tuned_teacher} is finished; using it" in result.stdout
    assert "distilling" not in result.stdout
    assert f"initialised 115 of 118 layers from {tuned_teacher} (new: Conv_1, Conv_1_bn, attributes)" in result.stdout
    saved = load_config(str(tmp_path / "tuned" / "config.yaml"))
    assert saved.train.distill_teacher == "" and saved.train.init_weights == tuned_teacher
    assert saved.model.input_size == 80


def test_a_finished_teacher_stage_is_reused_and_bad_teacher_recipes_are_named(tmp_path, capsys):
    from fld_tf.config import ConfigError, load_config
    from fld_tf.train import teacher_config, train_teacher

    (tmp_path / "teacher").mkdir()
    (tmp_path / "teacher" / "metrics.json").write_text("{}")
    assert train_teacher(load_config(None), str(tmp_path)) == str(tmp_path / "teacher")
    assert f"teacher stage: {tmp_path / 'teacher'} is finished; using it" in capsys.readouterr().out
    (tmp_path / "nested.yaml").write_text("train: {teacher_recipe: mnv2-a050_mtfl5-96_teacher}\n")
    with pytest.raises(ConfigError, match="train.teacher_recipe: .*nested.yaml has a teacher_recipe of its own"):
        teacher_config(load_config(None, [f"train.teacher_recipe={tmp_path / 'nested.yaml'}"]), str(tmp_path))
    with pytest.raises(ConfigError, match="train.teacher_recipe: --config nope: no such file"):
        teacher_config(load_config(None, ["train.teacher_recipe=nope"]), str(tmp_path))
    both = load_config(None, ["train.teacher_recipe=mnv2-a050_mtfl5-96_teacher", "train.distill_teacher=runs/x"])
    with pytest.raises(ConfigError, match="train.teacher_recipe and train.distill_teacher both name a teacher"):
        teacher_config(both, str(tmp_path))
    shipped = teacher_config(load_config(None, ["train.teacher_recipe=mnv2-a050_mtfl5-96_teacher"]), str(tmp_path))
    assert shipped.train.epochs == 90 and shipped.model.flip_test


def test_balance_option_builds_the_pose_table_or_stays_off(capsys):
    import numpy as np
    from fld_tf.config import load_config
    from fld_tf.schemes import get_scheme
    from fld_tf.inputs import balance_for

    attributes = np.array([[0, 0, 0, 2], [1, 0, 0, 2], [0, 1, 0, 0], [0, 0, 1, 2]])  # pose: 2, 2, 0, 2
    index, table = balance_for(load_config(None, ["train.balance_attribute=pose", "train.balance_power=1"]),
                               get_scheme("mtfl5"), attributes)
    # pose 0 once, pose 2 three times: raw 1 and 1/3, mean (1 + 3 x 1/3) / 4 = 0.5 -> 2 and 2/3.
    assert index == 3
    np.testing.assert_allclose(table, [1, 2, 0, 2 / 3], rtol=1e-6)
    assert "loss weight by pose class: 2.00, 0.00, 0.67" in capsys.readouterr().out
    assert balance_for(load_config(None), get_scheme("mtfl5"), attributes) is None  # default: off
    assert balance_for(load_config(None, ["train.balance_attribute=pose"]), get_scheme("ibug68"),
                       np.zeros((4, 0), np.int32)) is None
    assert "no such attribute" in capsys.readouterr().out


def test_resample_option_draws_frequency_to_one_minus_power(capsys):
    import numpy as np
    from fld_tf.config import ConfigError, load_config
    from fld_tf.schemes import get_scheme
    from fld_tf.inputs import kept_fraction, resample_for

    # pose: 0 once, 2 nine times, unknown twice (12 samples).
    attributes = np.array([[0, 0, 0, 0]] + [[0, 0, 0, 2]] * 9 + [[-1, -1, -1, -1]] * 2)
    cfg = load_config(None, ["data.resample_attribute=pose", "data.resample_power=0.5"])
    index, accept = resample_for(cfg, get_scheme("mtfl5"), attributes)
    # Listed 1/12, 9/12 (unknown 2/12). Targets ~ sqrt(1), sqrt(9) = 1 : 3 over the known 10/12:
    # 2.5/12 and 7.5/12. Ratios target / listed: unknown 1, pose 0 2.5, pose 2 5/6; / max 2.5.
    # Pose 1 and poses above 2 (the last row) are not in these rows: kept.
    assert index == 3
    np.testing.assert_allclose(accept, [0.4, 1.0, 1.0, 1 / 3, 1.0], rtol=1e-6)
    out = capsys.readouterr().out
    assert "sampling by pose class: 20.8%, 0.0%, 62.5% of draws (listed: 8.3%, 0.0%, 75.0%)" in out
    assert "40% of the stream kept" in out  # (2 x 0.4 + 1 + 9 / 3) / 12
    assert kept_fraction((index, accept), attributes) == pytest.approx(4.8 / 12)
    assert kept_fraction(None, attributes) == 1.0
    uniform = load_config(None, ["data.resample_attribute=pose", "data.resample_power=1"])
    np.testing.assert_allclose(resample_for(uniform, get_scheme("mtfl5"), attributes)[1],
                               [0.2, 1, 1, 1 / 9, 1], rtol=1e-6)  # targets 5/12 each: ratios 1, 5, 5/9
    assert resample_for(load_config(None, ["data.resample_attribute="]), get_scheme("mtfl5"), attributes) is None
    # The default draws by pose: the same acceptance as set explicitly.
    np.testing.assert_allclose(resample_for(load_config(None), get_scheme("mtfl5"), attributes)[1], accept)
    with pytest.raises(ConfigError, match=r"data.resample_power must be in \[0, 1\], got 1.5"):
        load_config(None, ["data.resample_power=1.5"])


def test_extra_train_list_of_another_scheme_is_reduced_to_the_training_scheme(tmp_path, helen_root, mtfl_root,
                                                                              capsys):
    import os
    import numpy as np
    from fld_tf import geometry
    from fld_tf.config import load_config
    from fld_tf.data.readers import read_list
    from fld_tf.inputs import extra_arrays
    from fld_tf.schemes import get_scheme

    names = sorted(f for f in os.listdir(os.path.join(helen_root, "trainset")) if f.endswith(".pts"))[:2]
    listing = tmp_path / "two.txt"
    listing.write_text("".join(os.path.join(helen_root, "trainset", n) + "\n" for n in names))
    cfg = load_config(None, [f"data.extra_train=[{{list: {listing}, scheme: ibug68}}]"])
    [arrays] = extra_arrays(cfg, get_scheme("mtfl5"), mtfl_root)
    assert f"extra training list {listing}: 2 faces (ibug68 reduced to mtfl5)" in capsys.readouterr().out
    points68 = read_list(str(listing), "pts", scheme="ibug68").samples[0].points
    # Eye centres = the means of the eye contours 36-41 and 42-47; nose tip 30; mouth corners 48, 54.
    expected = np.stack([points68[36:42].mean(0), points68[42:48].mean(0), points68[30], points68[48], points68[54]])
    np.testing.assert_allclose(arrays["points"][0], expected, rtol=1e-6)
    np.testing.assert_array_equal(arrays["attributes"], -np.ones((2, 4)))  # MTFL's 4 attributes, unknown
    square = geometry.crop_square("landmarks", cfg.data.crop, expected, None, None)
    np.testing.assert_allclose(arrays["square"][0], square, rtol=1e-6)  # the mtfl5 rule on the five


def test_extra_train_scheme_must_reduce_to_the_training_scheme():
    from fld_tf.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"data.extra_train\[0\].scheme: ibug68 points can be reduced to mtfl5 "
                                          r"only \(its subset5\), not to data.scheme wflw98"):
        load_config(None, ["data.scheme=wflw98", "data.extra_train=[{list: a, scheme: ibug68}]"])
    with pytest.raises(ConfigError, match=r"data.extra_train\[0\].scheme: unknown point scheme 'ibug6'"):
        load_config(None, ["data.extra_train=[{list: a, scheme: ibug6}]"])


@pytest.mark.parametrize("module", ["fld_tf.train", "fld_tf.evaluate", "fld_tf.data"])
def test_help_does_not_import_tensorflow(module):
    code = ("import runpy, sys\nsys.argv = ['x', '--help']\ntry:\n    runpy.run_module(%r, run_name='__main__')\n"
            "except SystemExit:\n    pass\nsys.stderr.write(repr(sorted(m for m in ('tensorflow', 'tf_keras') "
            "if m in sys.modules)))\n" % module)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.startswith("usage: ") and result.stderr == "[]"


def _helen_set(helen_root, folder, n=12):
    """`n` real HELEN photos with their .pts, copied."""
    stems = sorted(f[:-4] for f in os.listdir(os.path.join(helen_root, "trainset")) if f.endswith(".pts"))[:n]
    os.makedirs(folder)
    for stem in stems:
        for ext in (".jpg", ".pts"):
            shutil.copy(os.path.join(helen_root, "trainset", stem + ext), folder)
    return [os.path.join(folder, s) for s in stems]


OWN68 = ["-o", "data.dataset=null", "-o", "data.scheme=ibug68", "-o", "data.train_list=set",
         "-o", "data.train_format=pts", "-o", "data.train_crop=landmarks", "-o", "model.attribute_head=false",
         "-o", "data.eval_lists=[]", "-o", "data.batch_size=4", "-o", "model.input_size=64",
         "-o", "model.alpha=0.35", "-o", "train.verbose=0", "-o", "data.val_fraction=0"]


def _one_error_line(err):
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    return lines[0]


@pytest.mark.parametrize("case", ["truncated", "far_outside"])
def test_bad_training_data_is_one_line_before_training_and_leaves_nothing(helen_root, tmp_path, case):
    stems = _helen_set(helen_root, str(tmp_path / "data" / "set"), n=4)
    if case == "truncated":
        data = open(stems[2] + ".jpg", "rb").read()
        open(stems[2] + ".jpg", "wb").write(data[:len(data) // 3])
        expected = f"error: {stems[2]}.pts:1: {stems[2]}.jpg: cannot decode image: image file is truncated"
    else:
        lines = open(stems[1] + ".pts").read().splitlines()
        lines[3 + 5] = "10000 20"  # point 5, 1-based x = 10000 on a photo at most 400 px wide
        open(stems[1] + ".pts", "w").write("\n".join(lines) + "\n")
        expected = f"error: {stems[1]}.pts:9: point 5 (9999.0, 19.0) is far outside the "  # its own line
    run_dir = tmp_path / "run"
    env = dict(os.environ, FLD_DATA=str(tmp_path / "empty"))
    os.makedirs(env["FLD_DATA"])
    result = _run(["fld_tf.train", "--run-dir", str(run_dir), "--data-root", str(tmp_path / "data"), *OWN68],
                  env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert _one_error_line(result.stderr).startswith(expected)
    if case == "far_outside":
        assert "more than OUTSIDE_TOLERANCE = 50% of the image size beyond its border" in result.stderr
    assert not os.path.exists(run_dir / "config.yaml")  # the next start is not blocked


@pytest.mark.parametrize("args, expected", [
    (["--data-root", "{tmp}/nowhere", "-o", "data.dataset=null"],
     "error: {tmp}/nowhere: data root (--data-root / data.root) is not a folder"),
    (["-o", "data.batch_size=abc"], "error: defaults + overrides: data.batch_size must be int, got 'abc'"),
    (["-o", "data.dataset=helen68"], "error: data.dataset: 'helen68' is not a dataset this toolkit downloads"),
    (["--data-root", "{tmp}", "-o", "data.dataset=null", "-o", "data.train_list=missing.txt"],
     "error: {tmp}/missing.txt: cannot read list: No such file or directory"),
    (["--mixed-precision", "bf16"],
     "error: defaults + overrides: train.mixed_precision must be false, float16 or bfloat16, got 'bf16'"),
    (["--on-bad", "maybe"], None),  # argparse: its own usage line and exit 2
    (["-o", "train.distill_teacher={tmp}/teacher"],
     "error: train.distill_teacher: {tmp}/teacher: no such model or run directory"),
    (["-o", "train.init_weights={tmp}/start"],
     "error: train.init_weights: {tmp}/start: no such model or run directory"),
])
def test_train_cli_bad_input_is_one_line(tmp_path, args, expected):
    env = dict(os.environ, FLD_DATA=str(tmp_path))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = _run(["fld_tf.train", "--run-dir", str(tmp_path / "run"), *args], env=env, cwd=tmp_path)
    assert result.returncode == 2
    if expected is None:
        assert "invalid choice: 'maybe'" in result.stderr and "Traceback" not in result.stderr
    else:
        assert _one_error_line(result.stderr).startswith(expected.replace("{tmp}", str(tmp_path)))
    assert not os.path.exists(tmp_path / "run" / "config.yaml")


def test_skip_then_resume_from_a_truncated_backup(helen_root, tmp_path, monkeypatch, capsys):
    """`--on-bad skip` counts a zero-byte photo; a truncated backup on `--resume` is one warning
    line, and training continues from the last good epoch (its weights and step counter)."""
    import tf_keras as keras
    from fld_tf import train

    stems = _helen_set(helen_root, str(tmp_path / "data" / "set"), n=9)
    open(stems[4] + ".jpg", "wb").close()
    run_dir = str(tmp_path / "run")
    argv = ["--run-dir", run_dir, "--data-root", str(tmp_path / "data"), "--on-bad", "skip", *OWN68,
            "-o", "train.epochs=3", "-o", "train.steps_per_epoch=2"]

    class Interrupt(Exception):
        pass

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Interrupt()

    make_callbacks = train.make_callbacks
    monkeypatch.setattr(train, "make_callbacks", lambda *a, **k: make_callbacks(*a, **k) + [StopAfterFirstEpoch()])
    with pytest.raises(Interrupt):
        train.main(argv)
    monkeypatch.setattr(train, "make_callbacks", make_callbacks)
    err = capsys.readouterr().err
    assert f"{stems[4]}.pts:1: {stems[4]}.jpg: empty image file (0 bytes)" in err
    assert "skipped 1 bad records (data.on_bad=skip)" in err
    (data_file,) = [os.path.join(run_dir, "backup", "chief", f) for f in os.listdir(os.path.join(run_dir, "backup", "chief"))
                    if ".data-" in f]
    size = os.path.getsize(data_file)
    with open(data_file, "r+b") as f:
        f.truncate(size // 2)
    assert train.main(["--run-dir", run_dir, "--resume"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "--resume" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: --resume: backup damaged ({run_dir}/backup/chief: ")
    assert warnings[0].endswith(f"continuing from {run_dir}/checkpoints/last.weights.h5 at epoch 2 "
                                "(optimizer moments restart)")
    with open(os.path.join(run_dir, "history.csv")) as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["0", "1", "2"]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["optimizer_steps"] == 6  # 2 steps of epoch 0 restored with the weights, then 2 x 2
    assert metrics["skipped_records"] == 1 and metrics["train_samples"] == 8
    assert metrics["resumed_from"].startswith("checkpoints/last.weights.h5 (backup damaged: ")


@pytest.mark.parametrize("case", ["missing_list", "far_outside", "no_model", "data_root"])
def test_evaluate_cli_bad_input_is_one_line(trained_run, aflw_list, tmp_path, case):
    run_dir, _ = trained_run
    args = [run_dir, "--list", aflw_list, "--format", "mtfl", "--crop", "image", "--out", str(tmp_path / "out")]
    if case == "missing_list":
        args[2] = "nope.txt"
        args += ["--data-root", str(tmp_path)]
        expected = f"error: {tmp_path}/nope.txt: cannot read list: No such file or directory"
    elif case == "far_outside":
        lines = open(aflw_list).read().splitlines()
        fields = lines[3].split()
        fields[1] = "10000"  # the AFLW crops are 150 px wide
        lines[3] = " ".join(fields)
        bad = os.path.join(os.path.dirname(aflw_list), "far.txt")
        open(bad, "w").write("\n".join(lines) + "\n")
        args[2] = bad
        expected = f"error: {bad}:4: point 0 (9999.0, "
    elif case == "no_model":
        args[0] = str(tmp_path / "no_run")
        expected = f"error: {tmp_path / 'no_run'}: no such model or run directory"
    else:
        args[2] = "aflw40.txt"
        args += ["--data-root", str(tmp_path / "absent")]
        expected = f"error: {tmp_path / 'absent'}: data root (--data-root / data.root) is not a folder"
    result = _run(["fld_tf.evaluate", *args], cwd=tmp_path)
    assert result.returncode == 2
    assert _one_error_line(result.stderr).startswith(expected)
    assert not os.path.exists(tmp_path / "out" / "metrics_aflw40.json")
