"""Quiet by default: TensorFlow, absl and LiteRT start-up noise off, `--verbose` brings it back.

`import fld_tf` calls `install()`. TensorFlow writes most of its start-up lines from C++ before its
log level applies (absl's "All log messages before absl::InitializeLog()", oneDNN and CUDA notes), and
LiteRT prints "Created TensorFlow Lite XNNPACK delegate" from C++ with no Python switch, so those are
filtered at the file-descriptor level: while `import tensorflow` runs and while an interpreter is built
(`native_stderr_filtered`), stderr goes to a temporary file and every line that is not known noise
(`NOISE`) is written back. Python-side: TensorFlow's and absl's loggers at ERROR, and the
`tf.lite.Interpreter is deprecated` warning off.

A CLI calls `logs.setup(args.verbose)` after parsing (and offers `logs.add_flag(parser)`). Verbose
output from TensorFlow's own import needs the choice before the import: `--verbose` anywhere in
`sys.argv`, or `FLD_TF_VERBOSE=1`, is read by `install()`.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
import warnings
from typing import Iterator

VERBOSE_ENV = "FLD_TF_VERBOSE"
# Known noise, one regex per line kind. absl's C++ format is `<I|W|E>MMDD hh:mm:ss.micros thread file:line]`.
NOISE = tuple(re.compile(p) for p in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    r"^[IW]\d{4} [\d:. ]+\d+ \S+:\d+\] ",                      # absl INFO / WARNING lines
    r"^E\d{4} [\d:. ]+\d+ cuda_\w+\.cc:\d+\] failed call to cuInit",  # no GPU: not an error here
    r"^To enable the following instructions: .* rebuild TensorFlow",  # cpu_feature_guard's 2nd line
    r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$",
    r"^fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+$",
))
_state = {"verbose": False, "installed": False}


def is_verbose() -> bool:
    return _state["verbose"]


def is_noise(line: str) -> bool:
    return any(p.search(line) for p in NOISE)


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Inside the block, C-level stderr is captured; on exit its lines other than `NOISE` are re-emitted.

    A no-op when verbose. Python's own `sys.stderr` writes are captured too when they go to fd 2,
    and re-emitted in order.
    """
    if _state["verbose"]:
        yield
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [line for line in tmp.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not is_noise(line.rstrip("\r\n"))]
            if kept:
                os.write(2, "".join(kept).encode("utf-8"))


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Runs the top-level `import tensorflow` inside `native_stderr_filtered`."""

    def __init__(self):
        self._busy = False
        self._loader = None

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self._busy or _state["verbose"]:
            return None
        self._busy = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._busy = False
        if spec is None or spec.loader is None:
            return None
        self._loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with native_stderr_filtered():
            self._loader.exec_module(module)
        _quiet_python_loggers()


def _quiet_python_loggers() -> None:
    level = logging.INFO if _state["verbose"] else logging.ERROR
    for name in ("tensorflow", "absl", "h5py"):
        logging.getLogger(name).setLevel(level)
    absl = sys.modules.get("absl.logging")
    if absl is not None:
        absl.set_verbosity(absl.INFO if _state["verbose"] else absl.ERROR)


def install() -> None:
    """Quiet defaults for this process (idempotent); called by `import fld_tf`."""
    if _state["installed"]:
        return
    _state["installed"] = True
    _state["verbose"] = os.environ.get(VERBOSE_ENV, "") not in ("", "0") or "--verbose" in sys.argv[1:]
    if _state["verbose"]:
        return
    # 3 = errors too: with no GPU, TF reports the failed cuInit as an error; real failures still raise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", message=r"\s*Warning: tf\.lite\.Interpreter is deprecated")
    if "tensorflow" not in sys.modules:
        sys.meta_path.insert(0, _QuietTensorFlowImport())
    _quiet_python_loggers()


def setup(verbose: bool = False) -> None:
    """What a CLI calls after parsing: `verbose=True` lets TF, absl and LiteRT log as they would."""
    install()
    if verbose and not _state["verbose"]:
        _state["verbose"] = True
        warnings.filterwarnings("default", message=r"\s*Warning: tf\.lite\.Interpreter is deprecated")
        _quiet_python_loggers()


def add_flag(parser) -> None:
    """The `--verbose` flag every CLI shares."""
    parser.add_argument("--verbose", action="store_true",
                        help="let TensorFlow, absl and LiteRT print their log lines (off by default)")
