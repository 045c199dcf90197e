"""Does the model do what its card says? Probes on real test crops, for the parity gate.

The card's `input.*` and `output.flip_averaged` are promises nothing in the converted graph states,
so they are tested by behaviour, on the first `PROBE_FACES` test crops:

- flip averaging: a flip-averaged model's points on the mirrored crop, mirrored back (x -> 1 - x,
  left and right swapped), are its points on the crop, up to `FLIP_STEPS` output quantisation
  steps (the merge's x = (a + 1 - b) / 2 rounds once per direction: measured up to 0.92 step on
  the shipped 68-point int8 model, 0.52 on the 5-point one); a model that does not average misses
  by its own left-right inconsistency.
- pixel range (float inputs) and colour order: the model is also fed 0..1 and -1..1 pixels and BGR
  crops. If one of those is clearly better than feeding the card's way (NME lower by
  `MIN_GAIN` of the card's and by `MIN_SE` paired standard errors), the card describes another
  model. Measured on the shipped float32 model (300 AFLW test faces): as the card says 6.79%,
  BGR 7.74% (+0.95 pp, 10 standard errors), 0..1 23.6%, -1..1 22.8%.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Tuple

import numpy as np

from fld_tf import geometry, metrics
from fld_tf.model_card import ModelCard

PROBE_FACES = 100
FLIP_TOLERANCE = 1e-5  # crop widths: float rounding of the merge
FLIP_STEPS = 2         # output quantisation steps allowed on top (integer models)
MIN_GAIN = 0.05        # fraction of the card's NME an alternative feeding must save ...
MIN_SE = 3.0           # ... and how many standard errors of the paired difference
# Other pixel ranges a float model could want: name -> uint8 pixels to the values fed.
RANGES: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "[0, 1]": lambda x: x.astype(np.float32) / 255.0,
    "[-1, 1]": lambda x: x.astype(np.float32) / 127.5 - 1.0,
}

Run = Callable[[np.ndarray], np.ndarray]  # model inputs (N, S, S, 3) -> outputs (N, 2K)


def mirror_back(outputs: np.ndarray, flip_indices: np.ndarray) -> np.ndarray:
    """Crop points `(N, 2K)` predicted on mirrored crops -> `(N, K, 2)` in the unmirrored crop."""
    points = outputs.reshape(len(outputs), -1, 2)[:, flip_indices].copy()
    points[..., 0] = 1.0 - points[..., 0]
    return points


def flip_asymmetry(run: Run, images: np.ndarray, flip_indices: np.ndarray) -> float:
    """Largest `|f(x) - mirror_back(f(mirror x))|` over faces, points and axes, in crop widths."""
    direct = run(images).reshape(len(images), -1, 2)
    mirrored = mirror_back(run(np.ascontiguousarray(images[:, :, ::-1])), flip_indices)
    return float(np.abs(direct - mirrored).max())


def flip_problem(card: ModelCard, asymmetry: float, step: float) -> List[str]:
    tolerance = FLIP_TOLERANCE + FLIP_STEPS * step
    if card.output.flip_averaged and asymmetry > tolerance:
        return [f"card output.flip_averaged is true, but the model's points on mirrored crops, mirrored back, "
                f"miss its own by up to {asymmetry:.4f} crop widths (tolerance {tolerance:.4f}): "
                "the model does not average with the mirror image"]
    if not card.output.flip_averaged and asymmetry <= tolerance:
        return [f"card output.flip_averaged is false, but the model is mirror-symmetric (largest miss "
                f"{asymmetry:.2g} crop widths): it averages with the mirror image"]
    return []


def clearly_better(base: np.ndarray, errors: np.ndarray) -> bool:
    """Whether per-face `errors` beat `base` by `MIN_GAIN` of its mean and `MIN_SE` paired standard errors."""
    gain = base - errors
    se = float(np.std(gain, ddof=1) / np.sqrt(len(gain))) if len(gain) > 1 else 0.0
    return bool(gain.mean() > MIN_GAIN * base.mean() and gain.mean() > MIN_SE * se)


def feeding_problems(card: ModelCard, nme: Dict[str, np.ndarray]) -> List[str]:
    """`nme`: per-face NME for "card" (fed as the card says) and each alternative feeding. One
    problem per card key, naming the best of the feedings that beat the card's clearly."""
    base, problems = nme["card"], []
    for key, said, names in (("color_order", "RGB", ["BGR"]), ("pixel_range", "[0, 255]", list(RANGES))):
        better = [n for n in names if n in nme and clearly_better(base, nme[n])]
        if better:
            best = min(better, key=lambda n: nme[n].mean())
            problems.append(f"card input.{key} is {said}, but the model does better fed {best}: NME "
                            f"{100 * nme[best].mean():.2f}% against {100 * base.mean():.2f}% "
                            f"on {len(base)} test faces")
    return problems


def check_model(run: Callable[[np.ndarray, str], np.ndarray], card: ModelCard, images: np.ndarray,
                squares: np.ndarray, gt: np.ndarray, step: float) -> Tuple[Dict, List[str]]:
    """Probes the model on the first `PROBE_FACES` crops.

    Args:
      run: `(inputs, dtype) -> outputs (N, 2K)`; inputs are uint8 crops, or float values for the
        other pixel ranges.
      card: the model's card.
      images: uint8 crops `(N, S, S, 3)` made as the card says; `squares` their crop squares `(N, 3)`.
      gt: ground-truth image points `(N, K, 2)`.
      step: the model's output quantisation step (`runtime.output_step`).

    Returns:
      `(measurements for the report, card problems)`.
    """
    n = min(PROBE_FACES, len(images))
    images, squares, gt = images[:n], squares[:n], gt[:n]
    scheme, size = card.scheme, card.size

    def errors(x, dtype):
        return metrics.nme(geometry.decode_faces(run(x, dtype), squares, size), gt, scheme)

    asymmetry = flip_asymmetry(lambda x: run(x, card.input.dtype), images, scheme.flip_indices)
    nme = {"card": errors(images, card.input.dtype), "BGR": errors(np.ascontiguousarray(images[..., ::-1]),
                                                                     card.input.dtype)}
    if card.input.dtype == "float32":  # a uint8 input's range is its quantisation, checked elsewhere
        nme.update({name: errors(fn(images), "float32") for name, fn in RANGES.items()})
    report = {"faces": n, "flip_asymmetry": asymmetry, "flip_tolerance": FLIP_TOLERANCE + FLIP_STEPS * step,
              "nme_percent": {name: 100 * float(e.mean()) for name, e in nme.items()}}
    return report, flip_problem(card, asymmetry, step) + feeding_problems(card, nme)
