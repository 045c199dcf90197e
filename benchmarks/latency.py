"""Host latency of exported models, with more invokes than the parity gate makes.

Usage:
  python benchmarks/latency.py fld_tf/models/ [--runs 3000] [--threads 1 4] [--repeats 3]
  python benchmarks/latency.py fld_tf/models/ --peer mediapipe=PATH/face_landmark.tflite --threads 1

`--peer NAME=FILE` adds a model of another project (no card: fed random pixels of its own input
shape and dtype), timed in the same loop, and prints each of our models' time as a ratio to it.
MediaPipe's `face_landmark.tflite` ships in the mediapipe 0.10.21 wheel
(`mediapipe/modules/face_landmark/`): install it in a benchmark-only virtualenv, never here.

The models take turns invoke by invoke (`fld_tf.runtime.latency_ms`); each repeat reports the
median of `--runs` invokes after 50 warm-up invokes, on one input of random pixels (these
kernels' latency does not depend on the pixel values).
"""
import argparse

import numpy as np

from fld_tf import runtime
from export import parity


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+", help=".tflite files or folders")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer", action="append", default=[], metavar="NAME=FILE",
                        help="another project's .tflite to time beside ours (repeatable)")
    args = parser.parse_args()
    models = parity.load_models(args.paths)
    rng = np.random.default_rng(0)
    inputs = {}
    for name, data, card in models:
        size = card["input"]["shape"][1]
        inputs[name] = (data, rng.integers(0, 256, (size, size, 3)).astype(np.uint8))
    peers = []
    for item in args.peer:
        name, _, path = item.partition("=")
        with open(path, "rb") as f:
            data = f.read()
        shape = runtime.interpreter(data).get_input_details()[0]["shape"]  # may have several outputs
        inputs[name] = (data, rng.integers(0, 256, tuple(shape[1:])).astype(np.uint8))
        peers.append(name)
    for threads in args.threads:
        for repeat in range(args.repeats):
            ms = runtime.latency_ms(inputs, threads, args.runs, warmup=50)
            print(f"{threads} thread(s), repeat {repeat + 1}: " +
                  ", ".join(f"{name} {value:.3f} ms" for name, value in ms.items()))
            for peer in peers:
                print(f"  ratio to {peer}: " + ", ".join(
                    f"{name} {ms[name] / ms[peer]:.2f}" for name in ms if name not in peers))


if __name__ == "__main__":
    main()
