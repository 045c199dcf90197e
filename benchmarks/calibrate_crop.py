"""Measures the crop-rule constants in `CropConfig` from the real data.

Usage:
  python benchmarks/calibrate_crop.py --data-root ../shared/data/mtfl

- landmark rule: on the AFLW test crops (the whole 150x150 image is the face square), the side
  as a multiple of the landmarks' larger extent, and the centre offset in units of that extent;
- box rule: on the CUHK training list, the landmark-rule square as a multiple of the box width,
  and its centre offset from the box centre in units of the width.
Medians are used: they are what the training crops should look like on average; augmentation
covers the spread (printed as the 10th-90th percentiles).
"""
import argparse
import os

import numpy as np

from fld_tf.data.readers import read_list


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", required=True)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
