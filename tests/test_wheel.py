"""The wheel carries the shipped models and configs: built from a copy of the sources, installed into a
fresh virtualenv, `fld-predict` run on a real photo from another folder with an empty HOME and FLD_DATA.

The virtualenv gets the wheel without its dependencies (`--no-deps`): they are the ones this test
runs on, made visible through a `.pth` line naming this interpreter's site-packages, so TensorFlow is
not downloaded again. A `.pth` line adds a folder to `sys.path` without running that folder's own
`.pth` files, so an editable install of fld_tf there stays invisible: the venv's fld_tf is the wheel's.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import cv2
import numpy as np
import pytest

from fld_tf.landmarker import FaceLandmarker
from fld_tf.predict import read_image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ("fld_tf", "export", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "BENCHMARKS.md")


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """`(venv python, bin folder)` of a fresh virtualenv holding the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for name in SOURCES:  # a copy, so the build leaves no build/ or egg-info in the checkout
        path = os.path.join(REPO, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(base / "dist"), str(src)])
    wheel = glob.glob(str(base / "dist" / "fld_tf-*.whl"))
    assert len(wheel) == 1
    env_dir = base / "venv"
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(env_dir)])
    python = str(env_dir / "bin" / "python")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    with open(os.path.join(purelib, "fld_tf_test_deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel[0]])
    return python, str(env_dir / "bin"), wheel[0]


def test_wheel_holds_models_and_configs(venv):
    import zipfile

    names = zipfile.ZipFile(venv[2]).namelist()
    for want in ("fld_tf/models/mnv2-a050-mtfl5-112.int8.tflite", "fld_tf/models/mnv2-a050-mtfl5-112.int8.json",
                 "fld_tf/models/mnv2-a050-mtfl5-112.float32.tflite", "fld_tf/configs/default.yaml",
                 "export/targets/android-arm64.yaml"):
        assert want in names, want
    for folder, ext in (("models", ".tflite"), ("configs", ".yaml")):  # every shipped model and recipe
        shipped = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "fld_tf", folder, "*" + ext)))
        assert sorted(os.path.basename(n) for n in names if n.startswith(f"fld_tf/{folder}/") and n.endswith(ext)) == shipped


def test_fld_predict_runs_from_the_installed_wheel(venv, mtfl_root, tmp_path):
    python, bin_dir, _ = venv
    work, empty = tmp_path / "work", tmp_path / "empty"
    work.mkdir()
    empty.mkdir()
    photo = work / "photo.jpg"
    shutil.copy(os.path.join(mtfl_root, "lfw_5590", "Abdullah_Ahmad_Badawi_0001.jpg"), photo)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(empty), "FLD_DATA": str(empty)}
    where = run([python, "-c", "import fld_tf, fld_tf.assets as a; print(fld_tf.__file__); print(a.resolve_model())"],
                cwd=work, env=env).stdout.split()
    assert all(p.startswith(os.path.dirname(os.path.dirname(python))) for p in where), where  # the venv's own
    result = run([os.path.join(bin_dir, "fld-predict"), "photo.jpg", "--json"], cwd=work, env=env)
    assert result.stderr == "Wrote photo_landmarks.png\n"  # with --json the log is on stderr; no TF or LiteRT lines
    record = json.loads(result.stdout)
    assert record["source"] == "photo.jpg" and len(record["faces"]) == 1
    with FaceLandmarker.create("mtfl5") as here:  # the same answer as the checkout's API
        want = here.detect(read_image(str(photo))).faces[0]
    np.testing.assert_allclose(record["faces"][0]["points"], want.points, atol=0.01)
    assert record["faces"][0]["score"] == pytest.approx(want.score, abs=1e-4)
    drawn = cv2.imread(str(work / "photo_landmarks.png"))
    assert drawn is not None and drawn.shape == (250, 250, 3)
    by_name = run([os.path.join(bin_dir, "fld-predict"), "photo.jpg", "--model", "mnv2-a050-mtfl5-112.float32",
                   "--out", "f.png"], cwd=work, env=env)
    assert by_name.stdout.startswith("photo.jpg face 1/1: score ")
