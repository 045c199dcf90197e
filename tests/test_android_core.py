"""The Android landmark core's JUnit tests (plain javac + JUnit 4), golden parity included.

The golden vectors come from the shipped int8 model and real test faces, written here for the run:
they hold decoded dataset pixels, which the repository does not carry.
"""
import os
import re
import subprocess

from export import golden

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_INT8 = os.path.join(REPO, "fld_tf", "models", "mnv2-a050-mtfl5-96.int8.tflite")


def test_landmark_core_junit_suite_passes_on_the_shipped_model(mtfl_root, tmp_path):
    assert golden.main([SHIPPED_INT8, "--out", str(tmp_path), "--data-root", mtfl_root]) == 0
    script = os.path.join(REPO, "android_demo", "landmark-core", "run_tests.sh")
    result = subprocess.run(["bash", script], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "GOLDEN_DIR": str(tmp_path)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    counts = re.search(r"landmark-core: (\d+) passed, (\d+) failed", output)
    assert counts, output[-2000:]
    passed, failed = map(int, counts.groups())
    assert failed == 0 and passed >= 50
    # Six faces (AFLW crops, CUHK box and landmark crops): exact model input, exact points.
    exact = re.findall(r"golden \S+\.json: input 27648 values, 0 differ by 1, 0 by more; points max error 0\.0 px",
                       output)
    assert len(exact) == 6, output[-3000:]
