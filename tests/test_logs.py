"""fld_tf.logs: known TF/absl/LiteRT noise is dropped at the file-descriptor level, anything else passes,
`import tensorflow` after `import fld_tf` prints nothing, and --verbose / FLD_TF_VERBOSE bring it back."""
import os
import subprocess
import sys

from fld_tf import logs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISE = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
         "I0000 00:00:1796163058.266275    7908 port.cc:153] oneDNN custom operations are on.\n"
         "E0000 00:00:1796163061.922415    7908 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
         "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")


def test_native_filter_drops_noise_and_keeps_the_rest(capfd):
    with logs.native_stderr_filtered():
        os.write(2, (NOISE + "E0000 00:00:1.0 1 conv.cc:9] a real error\nerror: something else\n").encode())
    assert capfd.readouterr().err == "E0000 00:00:1.0 1 conv.cc:9] a real error\nerror: something else\n"
    assert all(logs.is_noise(line) for line in NOISE.splitlines())
    assert not logs.is_noise("W0000 not the absl format")


def run(code, *argv, **env):
    full = {k: v for k, v in os.environ.items() if k not in ("FLD_TF_VERBOSE", "TF_CPP_MIN_LOG_LEVEL")}
    full.update(PYTHONPATH=REPO, **env)
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=full, timeout=300)


def test_tensorflow_imports_quietly_after_fld_tf():
    code = "import fld_tf, tensorflow as tf; tf.constant(1) + 1; print('ok')"
    quiet = run(code)
    assert quiet.returncode == 0 and quiet.stdout == "ok\n" and quiet.stderr == "", quiet.stderr
    loud = run(code, FLD_TF_VERBOSE="1")
    assert loud.returncode == 0 and "absl::InitializeLog" in loud.stderr
    flag = "import fld_tf.logs as logs; print(logs.is_verbose())"  # a CLI's --verbose is read at import
    assert run(flag, "--verbose").stdout == "True\n" and run(flag, "--json").stdout == "False\n"
