"""Cross-dataset 5-point figure: exported models on the HELEN testset through the 68 -> 5 subset.

Usage:
  python benchmarks/helen_cross.py fld_tf/models/*.tflite --data-root ../shared/data/helen68
  python benchmarks/helen_cross.py fld_tf/models/mnv2-a050-mtfl5-112.float32.tflite --data-root ../shared/data/helen68 --split trainset --offsets

Every model is fed as its card says (crop rule, input size, dtype) and its points are reduced to
MTFL's five with the card's `subset5` (identity for a 5-point model; eye centres = mean of each eye
contour, nose tip 30, mouth corners 48 / 54 for a 68-point one). Ground truth: the HELEN test
points through ibug68's subset. Each model's crop square comes from its card's landmark rule on the
ground truth of its own scheme (300-W protocol); the 5-point and 68-point rules were calibrated to
give the same face square (fld_tf/schemes.py). NME is normalised as MTFL's (eye centres, here the
eye-contour means) and, for comparison with 68-point results, by the outer eye corners 36 / 45.
`--offsets` adds each point's mean signed error (prediction minus HELEN's subset point, in % of
the eye-centre distance): for a model trained on MTFL it measures how MTFL's point definitions
(marked pupil, marked nose tip) differ from the subset's (eye-contour mean, point 30).
"""
import argparse
import dataclasses

import fld_tf  # noqa: F401
import numpy as np

from fld_tf import geometry, metrics, model_card, pipeline, runtime
from fld_tf.config import DataConfig
from fld_tf.data.readers import read_list
from fld_tf.schemes import get_scheme


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data-root", required=True, help="the helen68 folder")
    parser.add_argument("--split", default="testset", choices=["testset", "trainset"])
    parser.add_argument("--offsets", action="store_true",
                        help="also print each point's mean signed error, %% of the eye-centre distance")
    args = parser.parse_args()
    ibug, mtfl = get_scheme("ibug68"), get_scheme("mtfl5")
    samples = read_list(f"{args.data_root}/{args.split}", "pts", scheme=ibug).samples
    gt68 = np.stack([s.points for s in samples])
    gt5 = ibug.to_subset5(gt68)
    outer = np.linalg.norm(gt68[:, 36] - gt68[:, 45], axis=-1)
    print(f"HELEN {args.split}: {len(samples)} faces; eye-centre / outer-corner distance "
          f"{np.median(np.linalg.norm(gt5[:, 0] - gt5[:, 1], axis=-1) / outer):.3f} (median ratio)")
    print("| model | points | NME, eye centres | NME, outer corners | failure @10% (eye centres) |")
    print("| --- | --- | --- | --- | --- |")
    offsets = []
    for path in args.models:
        data, card = model_card.read_model(path)
        scheme, size = model_card.scheme_of(card), model_card.input_size(card)
        own = [dataclasses.replace(s, points=scheme_points) for s, scheme_points in
               zip(samples, gt68 if scheme.num_points == 68 else gt5)]
        crop_cfg = model_card.crop_config(card)
        arrays = pipeline.sample_arrays(own, crop_cfg, "landmarks")
        dataset = pipeline.build_dataset(DataConfig(crop=crop_cfg, cache=False), scheme, size, arrays,
                                         training=False, batch_size=64)
        images = geometry.to_uint8(np.concatenate([x for x, _ in dataset.as_numpy_iterator()]))
        outputs = runtime.predict(data, images, dtype=card["input"]["dtype"])
        pred5 = scheme.to_subset5(geometry.decode_faces(outputs, arrays["square"], size))
        per_face = metrics.nme(pred5, gt5, mtfl)
        by_outer = np.linalg.norm(pred5 - gt5, axis=-1).mean(-1) / outer
        print(f"| {path.split('/')[-1]} | {scheme.num_points} | {100 * per_face.mean():.2f}% | "
              f"{100 * by_outer.mean():.2f}% | {100 * metrics.failure_rate(per_face):.1f}% |")
        iod = mtfl.normalizing_distance(gt5)[:, None, None]
        offsets.append((path, 100 * ((pred5 - gt5) / iod).mean(0), 100 * (np.linalg.norm(pred5 - gt5, axis=-1)
                                                                       / iod[..., 0]).mean(0)))
    if args.offsets:
        print("\nMean signed error (prediction - subset point), x / y, % of the eye-centre distance; "
              "then each point's own mean error")
        print("| model | " + " | ".join(mtfl.point_names) + " |")
        print("| --- " * (len(mtfl.point_names) + 1) + "|")
        for path, signed, error in offsets:
            cells = [f"{dx:+.2f} / {dy:+.2f} ({e:.2f})" for (dx, dy), e in zip(signed, error)]
            print(f"| {path.split('/')[-1]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
