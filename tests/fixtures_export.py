"""Session fixtures for the export tests (test_export.py, test_parity.py, test_golden.py), loaded with
`pytest_plugins = ["fixtures_export"]`: one tiny model is trained and exported once per session."""
import os

import pytest

TEST_LIST_LINES = 40
EXPORT_PROFILE = """\
name: test-profile
max_model_mb: 8.0
reference_images: 40
latency_threads: [1]
latency_runs: 3
latency_warmup: 1
int8_latency_not_worse: false
variants:
  float32: {}
  float16: {gpu_compatible: true, max_nme_increase_pp: 5.0}
  dynamic: {max_nme_increase_pp: 5.0}
  int8: {input_dtype: uint8, raw_pixel_input: true, integer_only: true, max_nme_increase_pp: 5.0,
         reference_kernels: true}
  qat: {input_dtype: uint8, raw_pixel_input: true, integer_only: true, reference_kernels: true}
  int16x8: {integer_only: true, max_nme_increase_pp: 5.0}
"""


@pytest.fixture(scope="session")
def export_inputs(tmp_path_factory, mtfl_root, aflw_head):
    """A 40-face AFLW test list (images under `mtfl_root`) and a fast target profile."""
    folder = tmp_path_factory.mktemp("export_inputs")
    (folder / "profile.yaml").write_text(EXPORT_PROFILE)
    return {"list": aflw_head(TEST_LIST_LINES), "profile": str(folder / "profile.yaml"), "root": mtfl_root}


@pytest.fixture(scope="session")
def export_args(export_inputs):
    """`export.tflite` / `export.parity` options for the small test list and profile (later options win)."""
    return ["--list", export_inputs["list"], "--list-name", "aflw40", "--image-root", export_inputs["root"],
            "--data-root", export_inputs["root"], "--target", export_inputs["profile"]]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, mtfl_root):
    """A run directory with a tiny model (64 px, alpha 0.35) trained in-process for 2 steps."""
    from fld_tf.config import load_config, save_config
    from fld_tf.train import train

    run_dir = str(tmp_path_factory.mktemp("tiny_run"))
    cfg = load_config(None, [f"data.root={mtfl_root}", "data.limit=64", "data.batch_size=8", "data.val_fraction=0",
                             "data.eval_lists=[]", "train.epochs=1", "train.steps_per_epoch=2", "train.verbose=0",
                             "model.input_size=64", "model.alpha=0.35", "model.attribute_head=false",
                             "export.representative_samples=32", "export.qat_epochs=1"])
    save_config(cfg, os.path.join(run_dir, "config.yaml"))
    train(cfg, run_dir)
    return run_dir


@pytest.fixture(scope="session")
def tiny_export(tiny_run, export_args, tmp_path_factory):
    """Every variant of the tiny model exported (parity on 40 faces); the output folder."""
    from export import tflite

    out = str(tmp_path_factory.mktemp("tiny_export"))
    code = tflite.main([tiny_run, "--variants", "all", "--out", out, "--selective", "0", *export_args])
    assert code == 0, f"export of the tiny model failed its gate (exit {code}); see {out}/parity.md"
    return out
