"""The Android landmark core's JUnit tests (plain javac + JUnit 4), golden parity included."""
import os
import re
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_landmark_core_junit_suite_passes():
    script = os.path.join(REPO, "android_demo", "landmark-core", "run_tests.sh")
    result = subprocess.run(["bash", script], capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    counts = re.search(r"landmark-core: (\d+) passed, (\d+) failed", output)
    assert counts, output[-2000:]
    passed, failed = map(int, counts.groups())
    assert failed == 0 and passed >= 50
