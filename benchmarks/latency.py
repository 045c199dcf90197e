"""Host latency of exported models, with more invokes than the parity gate makes.

Usage:
  python benchmarks/latency.py fld_tf/models/ [--runs 3000] [--threads 1 4] [--repeats 3]
  python benchmarks/latency.py fld_tf/models/ --peer mediapipe=PATH/face_landmark.tflite --threads 1

`--peer NAME=FILE` adds a model of another project (`peers.py`: no card, so every model is fed
random pixels of its own input shape), timed in the same loop, and prints each of our models'
time as a ratio to it.
MediaPipe's `face_landmark.tflite` ships in the mediapipe 0.10.21 wheel
(`mediapipe/modules/face_landmark/`): install it in a benchmark-only virtualenv, never here.

The models take turns invoke by invoke (`fld_tf.runtime.latency_ms`); each repeat reports the
median of `--runs` invokes after 50 warm-up invokes, on one input of random pixels (these
kernels' latency does not depend on the pixel values).
"""
import argparse
import sys

import numpy as np

import peers
from fld_tf import runtime
from export import parity


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+", help=".tflite files or folders")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    peers.add_argument(parser)
    args = parser.parse_args()
    try:
        models, others = parity.load_models(args.paths), peers.read(args.peer)
    except (FileNotFoundError, ValueError) as e:  # CardError is a ValueError
        sys.exit(f"error: {e}")
    rng = np.random.default_rng(0)
    inputs = {name: (data, peers.random_input(data, rng)) for name, data, _ in models}
    inputs.update({name: (data, peers.random_input(data, rng)) for name, (_, data) in others.items()})
    for threads in args.threads:
        for repeat in range(args.repeats):
            ms = runtime.latency_ms(inputs, threads, args.runs, warmup=50)
            print(f"{threads} thread(s), repeat {repeat + 1}: " +
                  ", ".join(f"{name} {value:.3f} ms" for name, value in ms.items()))
            for peer in others:
                print(f"  ratio to {peer}: " + ", ".join(
                    f"{name} {ms[name] / ms[peer]:.2f}" for name in ms if name not in others))


if __name__ == "__main__":
    main()
