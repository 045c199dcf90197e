"""Golden vectors for the Android core's `GoldenParityTest`: real test faces through the Python pipeline.

Usage:
  python -m export.golden runs/default/export/mnv2-a050-mtfl5-112.int8.tflite \
      --out android_demo/landmark-core/src/test/resources/golden
  python -m export.golden runs/default/export/mnv2-a050-mtfl5-112.int8.json --count 4 --run-java

Per face: `<name>.png` (the decoded JPEG pixels, lossless), `<name>.bin` (the `S*S*3` uint8 RGB model
input), `<name>.json` (crop rule inputs, square, the 8 float32 transform coefficients, model output,
decoded points); plus `model_card.json`. The input is made as `fld_tf` makes it: transform
coefficients from `geometry.sampling_matrix` (float64, then float32), `fld_tf.warp.warp` on the
float32 image, `geometry.to_uint8`. Faces mix AFLW crops (crop `image`) and CUHK faces cropped from
their box and from their landmarks; only images with both sides <= --max-side are used.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf
from PIL import Image

from fld_tf import logs, model_card, runtime
from fld_tf import geometry, pipeline, warp
from fld_tf.config import DataConfig
from fld_tf.data.download import DATASETS, default_root, resolve_root
from fld_tf.data.readers import image_size
from fld_tf.data.sample import DataError
from fld_tf.io import write_bytes, write_json

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAVA_TESTS = os.path.join(REPO, "android_demo", "landmark-core", "run_tests.sh")
# (tag, list, format, crop source): AFLW tight crops, CUHK photos cropped by box and by landmarks.
SOURCES = (("aflw", "testing.txt", "mtfl", "image"), ("cuhk", "cuhk/testImageList.txt", "cuhk", "box"),
           ("cuhk", "cuhk/testImageList.txt", "cuhk", "landmarks"))


# Per scheme: the dataset folder the faces come from (under $FLD_DATA) and its sources. The 68-point
# faces are HELEN test photos cropped from their landmarks (the 300-W protocol).
GOLDEN_SOURCES = {"mtfl5": ("mtfl", SOURCES), "ibug68": ("helen68", (("helen", "testset", "pts", "landmarks"),))}


def pick_samples(root: str, scheme, count: int, max_side: int, seed: int, sources=SOURCES) -> List[Tuple]:
    """`count` faces spread over `sources`, seeded; `(tag, crop source, Sample)` each."""
    picked, rng = [], np.random.default_rng(seed)
    for i, (tag, list_path, fmt, crop) in enumerate(sources):
        want = count // len(sources) + (1 if i < count % len(sources) else 0)
        samples = pipeline.read_samples(DataConfig(), root, list_path, fmt, scheme)
        used = {s.image_path for _, _, s in picked}
        for j in rng.permutation(len(samples)):
            if want == 0:
                break
            s = samples[j]
            if s.image_path not in used and max(image_size(s.image_path)) <= max_side:
                picked.append((tag, crop, s))
                want -= 1
    return picked


def model_input(image: np.ndarray, square: np.ndarray, size: int) -> Tuple[np.ndarray, np.ndarray]:
    """`(transform (8,) float32, uint8 input (S, S, 3))`, the way the Java core computes them."""
    matrix = geometry.sampling_matrix(square, size).astype(np.float32)
    sampled = warp.warp(tf.constant(image, tf.float32), tf.constant(matrix), size)
    return matrix.reshape(-1)[:8], geometry.to_uint8(sampled.numpy())


def golden_vector(name: str, crop: str, sample, card: model_card.ModelCard, model: bytes,
                  root: str) -> Tuple[Dict, bytes, bytes]:
    """`(json dict, png bytes, input bytes)` of one face."""
    image = pipeline.decode_image(sample.image_path).numpy()
    height, width = image.shape[:2]
    size = card.size
    square = geometry.crop_square(crop, card.crop.rule, sample.points, sample.box, (width, height))
    transform, rgb = model_input(image, square, size)
    output = runtime.predict(model, rgb[None], dtype=card.input.dtype, quantization=card.input.quantization)[0]
    points = geometry.decode(output.reshape(-1, 2), square, size)
    doc = {"image": f"{name}.png", "width": width, "height": height, "crop_source": crop}
    if crop == "box":
        doc["box"] = [float(v) for v in sample.box]
    if crop == "landmarks":
        doc["crop_points"] = sample.points.tolist()
    doc.update({"square": [float(v) for v in square], "size": size, "transform": transform.tolist(),
                "input_uint8": f"{name}.bin", "model_output": output.tolist(), "points_image": points.tolist(),
                "source": os.path.relpath(sample.source, root), "ground_truth": sample.points.tolist(),
                "model": card.model_file})
    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG", optimize=True)
    return doc, png.getvalue(), rgb.tobytes()


def remove_old_goldens(out: str) -> None:
    """Golden vectors of an earlier export would be checked against the new card: remove them."""
    if not os.path.isdir(out):
        return
    for f in sorted(os.listdir(out)):
        path = os.path.join(out, f)
        if not f.endswith(".json") or f == "model_card.json":
            continue
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if isinstance(doc, dict) and "input_uint8" in doc and "model_output" in doc:
            for other in (doc.get("image"), doc.get("input_uint8")):
                if isinstance(other, str) and os.path.isfile(os.path.join(out, other)):
                    os.remove(os.path.join(out, other))
            os.remove(path)


def golden_data(card: model_card.ModelCard, data_root: Optional[str]) -> Tuple[str, Tuple]:
    """`(folder, sources)` of the faces for `card`'s scheme: `data_root`, else `$FLD_DATA/<dataset>`."""
    if card.scheme.name not in GOLDEN_SOURCES:
        raise ValueError(f"no golden faces for scheme {card.scheme.name!r}; known: {', '.join(GOLDEN_SOURCES)}")
    dataset, sources = GOLDEN_SOURCES[card.scheme.name]
    if dataset in DATASETS:
        return resolve_root(dataset, data_root, download=False), sources
    return os.path.abspath(data_root or default_root(dataset)), sources


def write_goldens(model: bytes, card: model_card.ModelCard, root: str, out: str, count: int, max_side: int,
                  seed: int, sources=SOURCES) -> List[str]:
    picked = pick_samples(root, card.scheme, count, max_side, seed, sources)
    vectors = []
    for tag, crop, sample in picked:  # compute all first: nothing is written if one face fails
        stem = re.sub(r"[^A-Za-z0-9]+", "-", os.path.splitext(os.path.basename(sample.image_path))[0]).strip("-")
        name = f"{tag}_{crop}_{stem}"
        vectors.append((name,) + golden_vector(name, crop, sample, card, model, root))
    remove_old_goldens(out)
    for name, doc, png, rgb in vectors:
        write_bytes(os.path.join(out, f"{name}.png"), png)
        write_bytes(os.path.join(out, f"{name}.bin"), rgb)
        write_json(os.path.join(out, f"{name}.json"), doc)
    write_json(os.path.join(out, "model_card.json"), card.to_dict())
    return [v[0] for v in vectors]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export.golden", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="an exported .tflite (card embedded) or its card .json")
    parser.add_argument("--out", required=True, help="golden folder (the Java tests read src/test/resources/golden)")
    parser.add_argument("--count", type=int, default=6, help="number of faces (keep it small: they are test fixtures)")
    parser.add_argument("--max-side", type=int, default=220, help="largest image side to pick, in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-root", default=None,
                        help="dataset folder (else $FLD_DATA/mtfl, or $FLD_DATA/helen68 for a 68-point model)")
    parser.add_argument("--run-java", action="store_true", help="then run the Java GoldenParityTest on --out")
    logs.add_flag(parser)
    args = parser.parse_args(argv)
    logs.setup(args.verbose)
    try:
        if not 1 <= args.count <= 12:
            raise ValueError(f"--count must be 1..12 (goldens are committed test fixtures), got {args.count}")
        model, card = model_card.read_model(args.model)
        root, sources = golden_data(card, args.data_root)
        names = write_goldens(model, card, root, args.out, args.count, args.max_side, args.seed, sources)
    except (DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Wrote {len(names)} golden vectors ({card.name} {card.variant}) to {args.out}: {', '.join(names)}")
    if not args.run_java:
        print(f"  Check: GOLDEN_DIR={args.out} bash {os.path.relpath(JAVA_TESTS)} GoldenParityTest")
        return 0
    env = {**os.environ, "GOLDEN_DIR": os.path.abspath(args.out)}
    return subprocess.call(["bash", JAVA_TESTS, "GoldenParityTest"], env=env)


if __name__ == "__main__":
    sys.exit(main())
