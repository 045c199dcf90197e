"""Measures the crop-rule constants in `CropConfig` from the real data.

Usage:
  python benchmarks/calibrate_crop.py --data-root ../shared/data/mtfl
  python benchmarks/calibrate_crop.py --data-root ../shared/data/helen68 --scheme ibug68

- landmark rule: on the AFLW test crops (the whole 150x150 image is the face square), the side
  as a multiple of the landmarks' larger extent, and the centre offset in units of that extent;
- box rule: on the CUHK training list, the landmark-rule square as a multiple of the box width,
  and its centre offset from the box centre in units of the width.
Medians are used: they are what the training crops should look like on average; augmentation
covers the spread (printed as the 10th-90th percentiles).

For a dense scheme (`--scheme ibug68`, on HELEN's `trainset/`): the landmark rule that cuts the same
face square as mtfl5's rule does on the scheme's 5-point subset, in units of the dense extent (which
includes the jaw). Box rules carry over unchanged: they map a detector's box to that same square.
"""
import argparse
import os

import numpy as np

from fld_tf import geometry
from fld_tf.data.readers import read_list
from fld_tf.schemes import get_scheme


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--scheme", default="mtfl5", help="mtfl5 (MTFL folder) or ibug68 (HELEN folder)")
    args = parser.parse_args()
    if args.scheme != "mtfl5":
        return dense_rule(args.data_root, get_scheme(args.scheme))
    aflw = read_list(os.path.join(args.data_root, "testing.txt"), "mtfl").samples
    pts = np.stack([s.points for s in aflw])
    lo, hi = pts.min(1), pts.max(1)
    extent = (hi - lo).max(1)
    scale = 150.0 / extent
    shift = (np.array([74.5, 74.5]) - (lo + hi) / 2) / extent[:, None]
    print(f"landmark_scale {np.median(scale):.3f} (p10-p90 {np.percentile(scale, 10):.2f}-"
          f"{np.percentile(scale, 90):.2f})  landmark_shift {np.round(np.median(shift, 0), 3).tolist()}")

    cuhk = read_list(os.path.join(args.data_root, "cuhk", "trainImageList.txt"), "cuhk").samples
    pts = np.stack([s.points for s in cuhk])
    boxes = np.stack([s.box for s in cuhk])
    lo, hi = pts.min(1), pts.max(1)
    extent = (hi - lo).max(1)
    side = np.median(scale) * extent
    centre = (lo + hi) / 2 + np.median(shift, 0) * extent[:, None]
    width = boxes[:, 2] - boxes[:, 0]
    box_scale = side / width
    box_shift = (centre - (boxes[:, :2] + boxes[:, 2:]) / 2) / width[:, None]
    print(f"box_scale {np.median(box_scale):.3f} (p10-p90 {np.percentile(box_scale, 10):.2f}-"
          f"{np.percentile(box_scale, 90):.2f})  box_shift {np.round(np.median(box_shift, 0), 3).tolist()}")


def dense_rule(root, scheme):
    mtfl = get_scheme("mtfl5").crop
    for split in ("trainset", "testset"):
        pts = np.stack([s.points for s in read_list(os.path.join(root, split), "pts", scheme=scheme).samples])
        squares = np.stack([geometry.square_from_points(p, mtfl.landmark_scale, mtfl.landmark_shift)
                            for p in scheme.to_subset5(pts)])
        lo, hi = pts.min(1), pts.max(1)
        extent = (hi - lo).max(1)
        scale = squares[:, 2] / extent
        shift = (squares[:, :2] - (lo + hi) / 2) / extent[:, None]
        print(f"{split}: {len(pts)} faces  landmark_scale {np.median(scale):.3f} (p10-p90 "
              f"{np.percentile(scale, 10):.2f}-{np.percentile(scale, 90):.2f})  landmark_shift "
              f"{[round(float(v), 3) for v in np.median(shift, 0)]}")


if __name__ == "__main__":
    main()
