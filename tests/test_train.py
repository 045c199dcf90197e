"""End to end on real MTFL images: train a small model, evaluate it, resume after a kill."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest

SMALL = ["-o", "data.limit=200", "-o", "data.batch_size=16", "-o", "model.input_size=64",
         "-o", "model.alpha=0.35", "-o", "data.shuffle_buffer=64", "-o", "train.verbose=2"]


def _run(args, **kw):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, **kw)


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


def test_evaluate_cli_reproduces_training_metrics(trained_run, aflw_list, tmp_path):
    run_dir, _ = trained_run
    result = _run(["fld_tf.evaluate", run_dir, "--list", aflw_list, "--format", "mtfl", "--crop", "image",
                   "--out", str(tmp_path)])
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.load(open(tmp_path / "metrics_aflw40.json"))
    want = json.load(open(os.path.join(run_dir, "metrics.json")))["eval"]["aflw40"]
    assert got["nme_percent"] == pytest.approx(want["nme_percent"], abs=1e-4)
    assert cv2.imread(str(tmp_path / "ced_aflw40.png")) is not None


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


def test_balance_option_builds_the_pose_table_or_stays_off(capsys):
    import numpy as np
    from fld_tf.config import load_config
    from fld_tf.schemes import get_scheme
    from fld_tf.train import balance_for

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
