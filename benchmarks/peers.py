"""Shared by the latency benchmarks: other projects' `.tflite` models (`--peer NAME=FILE`), random inputs.

A peer has no model card, so it is fed random pixels of its own input shape (these kernels'
latency does not depend on the pixel values); our models get the same, for a like-for-like loop.
"""
import argparse
from typing import Dict, Sequence, Tuple

import numpy as np

from fld_tf import runtime


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--peer", action="append", default=[], metavar="NAME=FILE",
                        help="another project's .tflite to time beside ours (repeatable)")


def read(items: Sequence[str]) -> Dict[str, Tuple[str, bytes]]:
    """`NAME=FILE` items -> name -> (path, `.tflite` bytes).

    Raises:
      ValueError: an item without `NAME=`, a name given twice, or a file that cannot be read
        (the message names the `--peer` item).
    """
    peers = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--peer {item}: expected NAME=FILE")
        if name in peers:
            raise ValueError(f"--peer {item}: a second peer named {name!r}")
        try:
            with open(path, "rb") as f:
                peers[name] = (path, f.read())
        except OSError as e:
            raise ValueError(f"--peer {item}: cannot read {path}: {e.strerror}") from None
    return peers


def random_input(model: bytes, rng: np.random.Generator) -> np.ndarray:
    """uint8 pixels shaped like the model's first input without the batch axis (it may have several outputs)."""
    shape = runtime.interpreter(model, delegates=False).get_input_details()[0]["shape"]
    return rng.integers(0, 256, tuple(int(v) for v in shape[1:])).astype(np.uint8)
