"""What a head costs once exported: parameters, int8 file size and LiteRT host latency, side by side.

Usage:
  python benchmarks/head_cost.py --compare model.head=heatmap,simcc -o model.heatmap_stride=4
  python benchmarks/head_cost.py --compare model.heatmap_stride=8,4 -o model.flip_test=false --runs 2000

Each setting's model is built untrained (these figures do not depend on the weights), made
deployable as export makes it (flip-averaged unless `-o model.flip_test=false`), and converted with
export's int8 path on `--calibration` random-pixel images. "params" counts every weight of the landmark
model (BatchNorm statistics and the fixed soft-argmax / expectation kernels too), "head" those
outside the MobileNetV2 backbone; the file is the `.tflite` bytes without a model card. Latency: the models take
turns invoke by invoke (`fld_tf.runtime.latency_ms`), the median of `--runs` after 50 warm-up invokes.
"""
import argparse
import platform

import fld_tf  # noqa: F401
import numpy as np
import tf_keras as keras

from export import quantize, variants
from fld_tf import runtime, tflite_graph
from fld_tf.config import load_config
from fld_tf.model import BACKBONES, build_model, deployable, landmark_model
from fld_tf.schemes import get_scheme


def head_parameters(model: keras.Model, model_cfg) -> int:
    """Parameters of `model`'s layers that a bare backbone of the same size does not have."""
    size = model_cfg.input_size
    bare = BACKBONES[model_cfg.backbone](input_shape=(size, size, 3), alpha=model_cfg.alpha,
                                         include_top=False, weights=None)
    names = {layer.name for layer in bare.layers}
    return sum(layer.count_params() for layer in model.layers if layer.name not in names)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", default="model.head=heatmap,simcc", metavar="KEY=V1,V2")
    parser.add_argument("-o", "--override", action="append", default=[])
    parser.add_argument("--config", default=None)
    parser.add_argument("--calibration", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    key, values = args.compare.split("=", 1)
    rng = np.random.default_rng(0)
    rows, timed = [], {}
    for value in [v.strip() for v in values.split(",")]:
        cfg = load_config(args.config, [*args.override, f"{key}={value}"])
        scheme, size = get_scheme(cfg.data.scheme), cfg.model.input_size
        plain = landmark_model(build_model(cfg.model, scheme))
        params, head = plain.count_params(), head_parameters(plain, cfg.model)
        model = deployable(plain, cfg.model, scheme)
        images = rng.integers(0, 256, (args.calibration, size, size, 3)).astype(np.float32)
        data = variants.convert(model, "int8", quantize.representative_fn(images))
        ops = sorted({op.name for op in tflite_graph.read_graph(data).ops} - {"QUANTIZE", "DEQUANTIZE"})
        label = f"{key}={value}"
        rows.append((label, params, head, len(data), len(runtime.float_ops(data)), ops))
        timed[label] = (data, images[0].astype(np.uint8))
    print(f"{platform.machine()}, input {size}, alpha {cfg.model.alpha}, flip_test {cfg.model.flip_test}, "
          f"overrides {args.override}, {args.threads} thread(s), {args.runs} runs x {args.repeats}")
    ms = {label: [] for label in timed}
    for _ in range(args.repeats):
        for label, value in runtime.latency_ms(timed, args.threads, args.runs, warmup=50).items():
            ms[label].append(value)
    print("| setting | params | head params | int8 KB | float ops | int8 ms (repeats) | int8 ops |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, params, head, nbytes, floats, ops in rows:
        print(f"| {label} | {params:,} | {head:,} | {nbytes / 1024:.1f} | {floats} | "
              f"{' / '.join(f'{t:.3f}' for t in ms[label])} | {' '.join(ops)} |")


if __name__ == "__main__":
    main()
