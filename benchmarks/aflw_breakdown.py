"""AFLW test NME by head pose, and with horizontal-flip test-time averaging (not exported).

Usage:
  python benchmarks/aflw_breakdown.py runs/default --data-root ../shared/data/mtfl
"""
import argparse

import fld_tf  # noqa: F401
import numpy as np

from fld_tf import evaluate, geometry, metrics, pipeline
from fld_tf.schemes import get_scheme

POSES = ("left profile", "left", "frontal", "right", "right profile")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--data-root", required=True)
    args = parser.parse_args()
    cfg = evaluate.run_config(args.run)
    scheme = get_scheme(cfg.data.scheme)
    size = cfg.model.input_size
    model = evaluate.load_model(args.run)
    _, arrays = pipeline.read_split(cfg.data, args.data_root, "testing.txt", "mtfl", "image", scheme)
    ds = pipeline.build_dataset(cfg.data, scheme, size, arrays, training=False)
    x = np.concatenate([batch[0].numpy() for batch in ds])
    plain = model.predict(x, verbose=0).reshape(len(x), -1, 2)
    flipped = model.predict(x[:, :, ::-1], verbose=0).reshape(len(x), -1, 2)
    flipped[..., 0] = 1 - flipped[..., 0]
    flipped = flipped[:, scheme.flip_indices]
    for name, crop in (("plain", plain), ("flip-averaged", (plain + flipped) / 2)):
        pred = np.stack([geometry.decode(c, sq, size) for c, sq in zip(crop, arrays["square"])])
        errors = 100 * metrics.nme(pred, arrays["points"], scheme)
        print(f"{name}: NME {errors.mean():.2f}%")
        if name == "plain":
            pose = arrays["attributes"][:, scheme.attribute_names.index("pose")]
            for p, label in enumerate(POSES):
                sel = pose == p
                print(f"  {label}: {sel.sum()} faces, NME {errors[sel].mean():.2f}%, "
                      f"failure {100 * (errors[sel] > 10).mean():.1f}%")


if __name__ == "__main__":
    main()
