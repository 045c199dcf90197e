"""AFLW test NME by head pose, the mean signed error, and horizontal-flip test-time averaging.

Usage:
  python benchmarks/aflw_breakdown.py runs/default --data-root ../shared/data/mtfl

The mean signed error (prediction minus annotation, in % of the inter-ocular distance) shows a
constant offset between the AFLW test annotations and what a model trained on the MTFL training
annotations predicts; the script also prints the NME with that offset removed, an oracle figure
(fitted on the test set itself) that says how much of the error the offset is, not a result.
"""
import dataclasses

from aflw_test import load, parse_args
from fld_tf import metrics
from fld_tf.model import deployable

POSES = ("left profile", "left", "frontal", "right", "right profile")


def main():
    args = parse_args(__doc__)
    t = load(args.run, args.data_root)
    plain = t.model.predict(t.images, verbose=0).reshape(len(t.images), -1, 2)
    flip_cfg = dataclasses.replace(t.cfg.model, flip_test=True)
    averaged = deployable(t.model, flip_cfg, t.scheme).predict(t.images, verbose=0)
    for name, crop in (("plain", plain), ("flip-averaged (model.flip_test)", averaged)):
        errors = t.errors(crop)
        print(f"{name}: NME {errors.mean():.2f}%, failure {100 * metrics.failure_rate(errors / 100):.2f}%")
        pose = t.arrays["attributes"][:, t.scheme.attribute_names.index("pose")]
        for p, label in enumerate(POSES):
            sel = pose == p
            print(f"  {label}: {sel.sum()} faces, NME {errors[sel].mean():.2f}%, "
                  f"failure {100 * metrics.failure_rate(errors[sel] / 100):.1f}%")
    pred, gt = t.to_image(plain), t.arrays["points"]
    iod = t.scheme.normalizing_distance(gt)[:, None, None]
    offset = ((pred - gt) / iod).mean((0, 1))
    print(f"mean signed error x, y: {100 * offset[0]:+.2f}%, {100 * offset[1]:+.2f}% of the inter-ocular "
          f"distance ({(pred - gt).mean((0, 1)).round(2).tolist()} px)")
    oracle = 100 * metrics.nme(pred - offset * iod, gt, t.scheme).mean()
    print(f"oracle, that offset removed (fitted on the test set; not a result): NME {oracle:.2f}%")


if __name__ == "__main__":
    main()
