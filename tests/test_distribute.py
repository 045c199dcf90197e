"""tf.distribute on this CPU: mirrored vs default, two multi-worker processes, resume, mixed precision, XLA.

The CPU is split into two logical devices (in a subprocess: it must happen before TensorFlow starts)
for `mirrored`; `multiworker` runs two worker processes talking over loopback ports.
"""
import csv
import json
import math
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fld_tf import distribute
from fld_tf.config import ConfigError

# Mirrored vs default epoch losses; see test_mirrored_matches_default_and_resumes.
RTOL_GLOBAL = 0.05  # same global batch (16 vs 2 x 8); measured 0.1% at epoch 1, 2.2% at epoch 2
RTOL_EXACT = 1e-6   # vs per-replica arithmetic (default strategy, batch 8)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["-o", "model.input_size=64", "-o", "model.alpha=0.35", "-o", "train.verbose=2",
        "-o", "data.eval_lists=[]", "-o", "data.shuffle_buffer=64"]
NO_AUGMENT = [f"-o data.augment.{k}=0" for k in (
    "rotation_deg", "scale", "shift", "flip", "brightness", "contrast", "saturation", "hue",
    "grayscale", "blur", "occlusion")]
NO_AUGMENT = [part for item in NO_AUGMENT for part in item.split(" ", 1)]

# Runs `fld_tf.train.main` for each job of argv[1] (JSON) in one process. A job may stop itself
# after an epoch (`stop_after`), leaving its backup behind as a kill would, and may dump its final
# weights (`weights`). `saves` collects every path `save_weights` wrote to.
RUNNER = textwrap.dedent('''
    import json, os, sys
    import fld_tf
    import numpy as np
    import tensorflow as tf
    jobs = json.loads(sys.argv[1])
    if jobs[0].get("logical_cpus"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * jobs[0]["logical_cpus"])
    import tf_keras as keras
    from fld_tf import train

    class Interrupt(Exception):
        pass

    saves, trained = [], {}
    save_weights = keras.Model.save_weights
    def logged_save(self, path, *args, **kwargs):
        saves.append(os.path.abspath(str(path)))
        return save_weights(self, path, *args, **kwargs)
    keras.Model.save_weights = logged_save

    class Probe(keras.callbacks.Callback):
        def __init__(self, job):
            super().__init__()
            self.job = job
        def on_epoch_end(self, epoch, logs=None):
            if epoch == self.job.get("stop_after"):
                raise Interrupt()
        def on_train_end(self, logs=None):
            trained["compute_dtype"] = self.model.get_layer("block_1_expand").compute_dtype
            trained["loss_scaling"] = isinstance(self.model.optimizer, keras.mixed_precision.LossScaleOptimizer)
            weights = self.model.get_weights()  # on every worker: a collective under multiworker
            if self.job.get("weights"):
                np.savez(self.job["weights"], *weights)

    make_callbacks = train.make_callbacks
    if jobs[0].get("skip_deploy"):
        train.save_deployable = lambda model, serving, run_dir: None  # not under test; saves time
    for job in jobs:
        train.make_callbacks = lambda *a, job=job, **k: make_callbacks(*a, **k) + [Probe(job)]
        try:
            code = train.main(job["argv"])
        except Interrupt:
            code = "interrupted"
        print("JOB", json.dumps({"code": code, "saves": saves, **trained}), flush=True)
        saves.clear()
        trained.clear()
''')


def _run_jobs(jobs, env=None):
    return subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(jobs)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=600):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    reports = [json.loads(line[4:]) for line in out.splitlines() if line.startswith("JOB ")]
    return reports, err


def _losses(run_dir):
    with open(os.path.join(run_dir, "history.csv")) as f:
        return [(int(r["epoch"]), float(r["loss"])) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def twin_list(mtfl_root, tmp_path_factory):
    """8 MTFL faces listed twice (`twins.txt`) and once (`single.txt`, beside it). In list order every
    global batch of 16 from `twins.txt` is two copies of the same 8 faces, so each replica's BatchNorm
    statistics (over 8) equal the global ones (over 16): mirrored training on it computes the same
    function as default training on it, and as default training on `single.txt` in batches of 8."""
    folder = tmp_path_factory.mktemp("twins")
    for name in ("lfw_5590", "net_7876"):
        os.symlink(os.path.join(mtfl_root, name), folder / name)
    with open(os.path.join(mtfl_root, "training.txt")) as src:
        lines = [next(src) for _ in range(8)]
    (folder / "twins.txt").write_text("".join(lines * 2))
    (folder / "single.txt").write_text("".join(lines))
    return str(folder / "twins.txt")


def test_scaling_rule_and_tf_config():
    assert distribute.scaled_learning_rate(2e-3, 4, "linear") == pytest.approx(8e-3)
    assert distribute.scaled_learning_rate(2e-3, 4, "none") == 2e-3
    with pytest.raises(ConfigError, match="lr_scaling"):
        distribute.scaled_learning_rate(2e-3, 4, "sqrt")
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}

    def env(kind, index, c=cluster):
        return {"TF_CONFIG": json.dumps({"cluster": c, "task": {"type": kind, "index": index}})}

    assert distribute.is_chief("multiworker", env("worker", 0))
    assert not distribute.is_chief("multiworker", env("worker", 1))
    with_chief = {"chief": ["127.0.0.1:0"], **cluster}
    assert distribute.is_chief("multiworker", env("chief", 0, with_chief))
    assert not distribute.is_chief("multiworker", env("worker", 0, with_chief))
    assert distribute.is_chief("mirrored", {})
    with pytest.raises(ConfigError, match="needs the TF_CONFIG"):
        distribute.task_of("multiworker", {})
    with pytest.raises(ConfigError, match="TF_CONFIG: expected"):
        distribute.task_of("multiworker", env("worker", 5))


def test_optimizer_peak_rate_follows_replicas():
    from fld_tf import train
    from fld_tf.config import load_config

    cfg = load_config(None, ["train.epochs=2", "train.warmup_epochs=1"])
    schedule = train.build_optimizer(cfg.train, 10, replicas=4)._learning_rate  # the schedule itself
    assert schedule.warmup_target == pytest.approx(8e-3) and schedule.warmup_steps == 10
    assert float(schedule(10)) == pytest.approx(8e-3)
    cfg = load_config(None, ["train.lr_scaling=none", "train.warmup_epochs=0"])
    assert float(train.build_optimizer(cfg.train, 10, replicas=4)._learning_rate(0)) == pytest.approx(2e-3)


@pytest.mark.parametrize("value,compute,loss_scaling", [("float16", "float16", True),
                                                        ("bfloat16", "bfloat16", False)])
def test_mixed_precision_keeps_the_head_float32_and_scales_only_float16(value, compute, loss_scaling):
    import tf_keras as keras
    from fld_tf import train
    from fld_tf.config import load_config
    from fld_tf.model import build_model
    from fld_tf.schemes import get_scheme

    cfg = load_config(None, ["model.input_size=64", "model.alpha=0.35", f"train.mixed_precision={value}"])
    with train.dtype_policy(cfg.train.dtype_policy):
        model = build_model(cfg.model, get_scheme("mtfl5"))
        train.compile_model(model, cfg, get_scheme("mtfl5"), steps_per_epoch=10)
    assert keras.mixed_precision.global_policy().name == "float32"  # restored on leaving
    assert model.get_layer("block_1_expand").compute_dtype == compute  # the backbone is mixed
    assert model.get_layer("block_1_expand").kernel.dtype.name == "float32"
    for name in ("heatmap_softmax", "soft_argmax", "landmarks"):
        assert model.get_layer(name).compute_dtype == "float32", name
    assert model.get_layer("landmarks").output.dtype.name == "float32"
    assert isinstance(model.optimizer, keras.mixed_precision.LossScaleOptimizer) == loss_scaling


def test_soft_argmax_reads_float32_probabilities_under_mixed_precision():
    import tf_keras as keras
    from fld_tf.config import load_config
    from fld_tf.model import build_model
    from fld_tf.schemes import get_scheme

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(load_config(None, ["model.input_size=64", "model.alpha=0.35"]).model,
                            get_scheme("mtfl5"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.get_layer("soft_argmax").input.dtype.name == "float32"


def test_mirrored_matches_default_and_resumes(mtfl_root, twin_list, tmp_path):
    """Mirrored over 2 logical CPUs (8 per replica, global 16) vs the default strategy, same seed and
    initial weights, no augmentation; the mirrored run is interrupted after epoch 1 and resumed.

    - Against default training on the same global batch of 16: losses agree to RTOL_GLOBAL. Not
      tighter, because kernels round differently for 16 and for 8 samples, BatchNorm over few values
      (2x2 final maps at input 64) amplifies it (first-step gradients differ by 0.4% overall, cos
      0.99999 on the first conv, with oneDNN off; 6% with it on), and Adam's normalised steps carry
      rounding noise in small gradients into full-size updates.
    - Against default training on one copy of the 8 faces in batches of 8 (the same loss, with the
      per-replica arithmetic): equal to RTOL_EXACT at every epoch, across the interruption, which needs
      the backup to restore weights, optimizer moments and the learning-rate schedule's step count."""
    common = ["--data-root", mtfl_root, *TINY, *NO_AUGMENT, "-o", "data.val_fraction=0",
              "-o", "data.deterministic=true", "-o", "data.seed=5", "-o", "data.shuffle_buffer=1",
              "-o", "model.dropout=0", "-o", "train.lr_scaling=none", "-o", "train.warmup_epochs=0",
              "-o", "train.learning_rate=0.001", "-o", "train.epochs=2", "-o", "train.steps_per_epoch=2",
              # each list element's draw is its own: the twin list's copies would be kept or dropped apart
              "-o", "data.resample_attribute="]
    twins = ["-o", f"data.train_list={twin_list}"]
    single = ["-o", f"data.train_list={os.path.join(os.path.dirname(twin_list), 'single.txt')}"]
    default16, default8, mirrored = (str(tmp_path / n) for n in ("default16", "default8", "mirrored"))
    jobs = [
        {"logical_cpus": 2, "skip_deploy": True,
         "argv": ["--run-dir", default16, *common, *twins, "-o", "data.batch_size=16"]},
        {"argv": ["--run-dir", default8, *common, *single, "-o", "data.batch_size=8"]},
        {"argv": ["--run-dir", mirrored, "--strategy", "mirrored", *common, *twins, "-o", "data.batch_size=8"],
         "stop_after": 0},
        {"argv": ["--run-dir", mirrored, "--resume", "--data-root", mtfl_root]},
    ]
    # oneDNN's batch-size-dependent kernels round ~15x more differently between 16 and 8 samples.
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"}
    reports, err = _finish(_run_jobs(jobs, env=env))
    assert [r["code"] for r in reports] == [0, 0, "interrupted", 0], err[-3000:]
    got = _losses(mirrored)
    print("losses: default16", _losses(default16), "default8", _losses(default8), "mirrored", got)
    assert [e for e, _ in got] == [0, 1]
    got = [l for _, l in got]
    np.testing.assert_allclose(got, [l for _, l in _losses(default16)], rtol=RTOL_GLOBAL)
    np.testing.assert_allclose(got, [l for _, l in _losses(default8)], rtol=RTOL_EXACT)
    metrics = json.load(open(os.path.join(mirrored, "metrics.json")))
    # 2 steps before the interruption + 2 after: the optimizer's step counter came back.
    assert metrics["replicas"] == 2 and metrics["global_batch"] == 16 and metrics["optimizer_steps"] == 4


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def shards(mtfl_root, tmp_path_factory):
    """48 MTFL faces packed into 4 TFRecord shards (2 per worker)."""
    from fld_tf.data.__main__ import main as data_main

    folder = tmp_path_factory.mktemp("packed")
    for name in ("lfw_5590", "net_7876"):
        os.symlink(os.path.join(mtfl_root, name), folder / name)
    with open(os.path.join(mtfl_root, "training.txt")) as src:
        (folder / "train48.txt").write_text("".join(next(src) for _ in range(48)))
    out = str(folder / "records")
    assert data_main(["pack", str(folder / "train48.txt"), "--format", "mtfl", "--out", out, "--shards", "4"]) == 0
    return out


def test_multiworker_two_processes_chief_writes_and_resume(shards, tmp_path):
    """Two MultiWorkerMirroredStrategy workers on loopback read their own shards (FILE policy), are
    interrupted after epoch 1 and restarted as new processes (as after a kill: a collective cannot be
    rebuilt inside a process) from the chief's backup in the shared run dir; only the chief writes
    checkpoints, and both end with the same weights."""
    run_dir = str(tmp_path / "run")
    argv = ["--run-dir", run_dir, "--strategy", "multiworker", *TINY, "-o", f"data.train_list={shards}",
            "-o", "data.train_format=tfrecord", "-o", "data.batch_size=4", "-o", "data.val_fraction=0.2",
            "-o", "train.epochs=2", "-o", "train.steps_per_epoch=2", "-o", "data.download=false"]
    temps = [tmp_path / f"tmp{i}" for i in range(2)]
    for temp in temps:
        temp.mkdir()

    def cluster_run(job_of):
        ports = _free_ports(2)
        cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
        procs = []
        for i, temp in enumerate(temps):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
            env = {**os.environ, "TF_CONFIG": tf_config, "TMPDIR": str(temp)}
            procs.append(_run_jobs([job_of(i)], env=env))
        return [_finish(p) for p in procs]

    first = cluster_run(lambda i: {"argv": argv, "stop_after": 0, "skip_deploy": True})
    for reports, err in first:
        assert [r["code"] for r in reports] == ["interrupted"], err[-3000:]
    second = cluster_run(lambda i: {"argv": ["--run-dir", run_dir, "--resume"],
                                    "weights": str(tmp_path / f"weights{i}.npz")})
    for reports, err in second:
        assert [r["code"] for r in reports] == [0], err[-3000:]
    chief = [first[0][0][0], second[0][0][0]]
    worker = [first[1][0][0], second[1][0][0]]
    # The chief wrote the run; the worker's checkpoints went to its own temporary folder, now gone.
    assert {os.path.dirname(p) for r in chief for p in r["saves"]} == {os.path.join(run_dir, "checkpoints")}
    assert worker[0]["saves"] and all(p.startswith(str(tmp_path / "tmp1")) for r in worker for p in r["saves"])
    assert os.listdir(tmp_path / "tmp1") == []
    assert sorted(os.listdir(os.path.join(run_dir, "checkpoints"))) == ["best.weights.h5", "last.weights.h5"]
    leftovers = [os.path.join(d, n) for d, dirs, files in os.walk(run_dir) for n in dirs + files if "workertemp" in n]
    assert not leftovers
    assert [e for e, _ in _losses(run_dir)] == [0, 1]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["replicas"] == 2 and metrics["global_batch"] == 8 and metrics["optimizer_steps"] == 4
    a, b = np.load(tmp_path / "weights0.npz"), np.load(tmp_path / "weights1.npz")
    assert len(a.files) == len(b.files) > 100
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_mixed_precision_and_xla_train_without_nan(mtfl_root, twin_list, tmp_path):
    """float16 (the bare flag), bfloat16 and XLA runs, one after another in one process: each trains
    in its own dtype (the policy does not carry over to the next run), and the mixed runs' deployable
    model is plain float32, so the int8 export of the bfloat16 one is integer-only."""
    from export import quantize, variants
    from fld_tf import runtime
    from fld_tf.config import load_config
    from fld_tf.evaluate import load_model
    from fld_tf.model import deployable
    from fld_tf.schemes import get_scheme

    common = ["--data-root", mtfl_root, *TINY, "-o", f"data.train_list={twin_list}",
              "-o", "data.val_fraction=0", "-o", "data.batch_size=4", "-o", "train.epochs=1",
              "-o", "train.steps_per_epoch=3"]
    runs = {name: str(tmp_path / name) for name in ("float16", "bfloat16", "xla")}
    jobs = [{"argv": ["--run-dir", runs["float16"], "--mixed-precision", *common]},
            {"argv": ["--run-dir", runs["bfloat16"], "--mixed-precision", "bfloat16", *common]},
            {"argv": ["--run-dir", runs["xla"], "--jit-compile", *common]}]
    reports, err = _finish(_run_jobs(jobs))
    assert [r["code"] for r in reports] == [0, 0, 0], err[-3000:]
    assert [(r["compute_dtype"], r["loss_scaling"]) for r in reports] == [
        ("float16", True), ("bfloat16", False), ("float32", False)]
    for run_dir in runs.values():
        with open(os.path.join(run_dir, "history.csv")) as f:
            row = next(csv.DictReader(f))
        assert math.isfinite(float(row["loss"])) and math.isfinite(float(row["landmarks_nme"])), run_dir
    for name in ("float16", "bfloat16"):
        model = load_model(runs[name])
        assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}, name
        assert {w.dtype.name for w in model.weights} == {"float32"}, name
    cfg = load_config(os.path.join(runs["bfloat16"], "config.yaml"))
    assert cfg.train.mixed_precision == "bfloat16"
    images = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3)).astype(np.float32)
    int8 = variants.convert(deployable(model, cfg.model, get_scheme("mtfl5")), "int8",
                            quantize.representative_fn(images))
    assert runtime.float_ops(int8) == []


def test_heatmap_head_backprop_compiles_with_xla():
    """Nearest-neighbour upsampling's gradient (ResizeNearestNeighborGrad) has no XLA kernel on
    CPU; the head's bilinear upsampling does."""
    import tensorflow as tf
    from fld_tf.config import load_config
    from fld_tf.model import build_model
    from fld_tf.schemes import get_scheme

    model = build_model(load_config(None, ["model.input_size=64", "model.alpha=0.35"]).model, get_scheme("mtfl5"))

    @tf.function(jit_compile=True)
    def gradients(x):
        with tf.GradientTape() as tape:
            out = model(x, training=True)
            loss = tf.reduce_sum(out["landmarks"]) + tf.reduce_sum(out["attributes"])
        return tape.gradient(loss, model.trainable_weights)

    grads = gradients(tf.random.uniform([2, 64, 64, 3], 0, 255))
    assert len(grads) == len(model.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
    assert np.abs(grads[0].numpy()).max() > 0
