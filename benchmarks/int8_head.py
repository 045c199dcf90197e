"""Why the int8 soft-argmax head keeps float accuracy: two measured causes of int8 error.

Usage:
  python benchmarks/int8_head.py runs/default --data-root ../shared/data/mtfl

1. Mass. An int8 softmax has a fixed output step of 1/256, so tail cells round to zero and the
   heatmap's mass falls short of 1. The script takes the float heatmaps of the AFLW test, rounds
   them the way the int8 softmax does, and reports NME for the soft-argmax with absolute kernels
   (missing mass pulls points towards the crop corner), with centred kernels (the shipped head:
   towards the centre), and mass-normalised (the ideal, which int8 TFLite cannot do: no int8 DIV).
2. Ranges. Post-training int8 takes each tensor's range from the calibration images; the script
   converts the model with plain and with augmented calibration crops (`export.representative_augment`)
   and runs both in LiteRT on the AFLW test.
"""
import dataclasses

import numpy as np
import tf_keras as keras

from aflw_test import load, parse_args
from fld_tf import runtime
from export import quantize, variants


def soft_argmax(p, centred, normalised):
    """`(B, H, W, K)` probabilities -> `(B, K, 2)` expected cell centres."""
    _, h, w, _ = p.shape
    gx, gy = (np.arange(w) + 0.5) / w, (np.arange(h) + 0.5) / h
    origin = 0.5 if centred else 0.0
    x = origin + np.einsum("bhwk,w->bk", p, gx - origin)
    y = origin + np.einsum("bhwk,h->bk", p, gy - origin)
    if normalised:
        mass = p.sum((1, 2))
        x, y = origin + (x - origin) / mass, origin + (y - origin) / mass
    return np.stack([x, y], -1)


def main():
    args = parse_args(__doc__)
    t = load(args.run, args.data_root)
    heat = keras.Model(t.model.input, t.model.get_layer("heatmap").output).predict(t.images, verbose=0)
    rounded = np.round(heat * 256) / 256
    print(f"float model: NME {t.errors(t.model.predict(t.images, verbose=0)).mean():.3f}%")
    print(f"int8-rounded softmax: mass {rounded.sum((1, 2)).mean():.4f} on average")
    for label, centred, normalised in (("absolute kernels", False, False), ("centred kernels", True, False),
                                       ("mass-normalised", True, True)):
        print(f"  {label}: NME {t.errors(soft_argmax(rounded, centred, normalised)).mean():.3f}%")
    for augment in (False, True):
        cfg = dataclasses.replace(t.cfg, export=dataclasses.replace(t.cfg.export, representative_augment=augment))
        calibration = quantize.representative_images(cfg, t.scheme, args.data_root)
        data = variants.convert(t.model, "int8", quantize.representative_fn(calibration))
        print(f"PTQ int8, calibrated on {'augmented' if augment else 'plain'} crops: "
              f"NME {t.errors(runtime.predict(data, t.images)).mean():.3f}%")


if __name__ == "__main__":
    main()
