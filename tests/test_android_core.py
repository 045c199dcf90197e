"""The Android landmark core's JUnit tests (plain javac + JUnit 4), golden parity included.

The golden vectors come from the shipped int8 model and real test faces, written here for the run:
they hold decoded dataset pixels, which the repository does not carry. Setting GOLDEN_DIR makes
the Java suite require them (without it, a developer's run skips that one test with a hint).
"""
import importlib.util
import json
import os
import re
import subprocess

import numpy as np
import pytest

from export import golden
from fld_tf import model_card, schemes, tracking
from fld_tf.data.readers import read_list

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(REPO, "android_demo", "landmark-core")
MODEL_DIR = os.path.join(REPO, "fld_tf", "models")
SHIPPED_INT8 = os.path.join(MODEL_DIR, "mnv2-a050-mtfl5-112.int8.tflite")


@pytest.fixture(scope="module")
def core_build(tmp_path_factory):
    """One compile of the core and its tests for this module's runs of run_tests.sh (BUILD_DIR)."""
    return str(tmp_path_factory.mktemp("landmark-core-build"))


def write_real_faces(path, mtfl_root):
    """The 5 MTFL points of every AFLW and CUHK test face, and of the HELEN test faces (68 -> 5 by subset5)."""
    sets = {"aflw test": (os.path.join(mtfl_root, "testing.txt"), "mtfl", "mtfl5"),
            "cuhk test": (os.path.join(mtfl_root, "cuhk", "testImageList.txt"), "cuhk", "mtfl5"),
            "helen68 test": (os.path.join(os.path.dirname(mtfl_root), "helen68", "testset"), "pts", "ibug68")}
    doc = {}
    for name, (source, fmt, scheme) in sets.items():
        points = [s.points for s in read_list(source, fmt, scheme=scheme).samples]
        doc[name] = schemes.get_scheme(scheme).to_subset5(np.stack(points)).reshape(len(points), -1).tolist()
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"sets": doc}, f)
    return sum(len(v) for v in doc.values())


EXACT_GOLDEN = (r"golden {tag}\S+\.json: input {values} values, 0 differ by 1, 0 by more; points max error 0\.0 px; "
                r"8 camera planes equal; face check passed")


def exact_golden(model: str, tag: str = "") -> str:
    """`EXACT_GOLDEN` for `model`: its whole input (size x size x 3 values, the size from its card) exact."""
    size = model_card.read_card(model).size
    return EXACT_GOLDEN.format(tag=tag, values=3 * size * size)


def run_core(golden_dir, core_build, *tests, **env):
    """`run_tests.sh` (all tests, or the named classes) over the golden vectors in `golden_dir`."""
    result = subprocess.run(["bash", os.path.join(CORE, "run_tests.sh"), *tests], capture_output=True, text=True,
                            timeout=600, cwd=str(golden_dir),
                            env={**os.environ, "GOLDEN_DIR": str(golden_dir), "MODELS_DIR": MODEL_DIR,
                                 "BUILD_DIR": core_build, **env})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def load_make_reference():
    spec = importlib.util.spec_from_file_location("make_reference", os.path.join(CORE, "tools", "make_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_landmark_core_junit_suite_passes_on_the_shipped_model(mtfl_root, tmp_path, core_build):
    assert golden.main([SHIPPED_INT8, "--out", str(tmp_path), "--data-root", mtfl_root]) == 0
    (tmp_path / "faces").mkdir()  # not in the golden folder itself: GoldenParityTest reads every .json there
    faces_file = tmp_path / "faces" / "real_faces.json"
    faces = write_real_faces(faces_file, mtfl_root)
    output = run_core(tmp_path, core_build, FACES_FILE=str(faces_file))
    counts = re.search(r"^landmark-core: (\d+) passed, (\d+) failed, (\d+) skipped$", output, re.M)
    assert counts, output[-2000:]
    passed, failed, skipped = map(int, counts.groups())
    assert failed == 0 and skipped == 0 and passed >= 90
    # Six faces (AFLW crops, CUHK box and landmark crops): exact model input, also when sampled from
    # camera planes in all 4 rotations, mirrored or not; exact points; real faces pass the face check.
    assert len(re.findall(exact_golden(SHIPPED_INT8), output)) == 6, output[-3000:]
    assert f"face check: 0 of {faces} real faces rejected" in output, output[-3000:]


def test_golden_parity_on_the_shipped_68_point_model(helen_root, tmp_path, core_build):
    """The Java core feeds and reads the 68-point model exactly as Python does, on HELEN test photos
    cropped from their landmarks (its card drives crop, decoding, contours and the face check)."""
    model = os.path.join(MODEL_DIR, "mnv2-a050-ibug68-96.int8.tflite")
    assert golden.main([model, "--out", str(tmp_path), "--data-root", helen_root, "--max-side", "400"]) == 0
    output = run_core(tmp_path, core_build, "GoldenParityTest")
    assert len(re.findall(exact_golden(model, "helen_landmarks_"), output)) == 6, output[-3000:]


def test_without_golden_vectors_the_suite_skips_that_test_with_the_command(tmp_path, core_build):
    # As on a fresh clone (no golden folder): the build passes and says how to write the vectors.
    script = os.path.join(CORE, "run_tests.sh")
    empty = tmp_path / "golden"
    env = {**os.environ, "BUILD_DIR": core_build}
    result = subprocess.run(["bash", script, "GoldenParityTest"], capture_output=True, text=True, timeout=300,
                            cwd=str(tmp_path), env={**env, "GOLDEN_DIR": str(empty), "GOLDEN_REQUIRED": "false"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    assert "landmark-core: 0 passed, 0 failed, 1 skipped" in output
    assert "write them with: python -m export.golden" in output
    # Required (as CI requires them) and absent: a failure naming the folder.
    result = subprocess.run(["bash", script, "GoldenParityTest"], capture_output=True, text=True, timeout=300,
                            cwd=str(tmp_path), env={**env, "GOLDEN_DIR": str(empty)})
    assert result.returncode != 0
    assert f"no golden vectors in {empty}" in result.stdout + result.stderr
    assert "landmark-core: 0 passed, 1 failed, 0 skipped" in result.stdout


def test_committed_68_point_test_card_matches_fld_tf_schemes():
    make_reference = load_make_reference()
    with open(os.path.join(CORE, "src", "test", "resources", "cards", "ibug68_int8.json"), encoding="utf-8") as f:
        committed = json.load(f)
    assert committed["scheme"] == schemes.get_scheme("ibug68").to_dict(), \
        "regenerate: python android_demo/landmark-core/tools/make_reference.py --cards"
    assert committed == make_reference.scheme_card("ibug68")


def test_committed_tracking_reference_matches_fld_tf_tracking():
    # TrackingReferenceTest replays this file on the Java side; here it must still be what fld_tf.tracking gives.
    make_reference = load_make_reference()
    with open(os.path.join(CORE, "src", "test", "resources", "reference", "tracking.json"), encoding="utf-8") as f:
        committed = json.load(f)
    assert committed == make_reference.tracking_doc(), \
        "regenerate: python android_demo/landmark-core/tools/make_reference.py --cards"
    assert committed["defaults"] == tracking.TRACKING.to_dict()
    events = [f for t in committed["trackers"] for f in t["frames"]]
    assert any(f["crop"] is None for f in events) and any(f.get("update") is False for f in events)
