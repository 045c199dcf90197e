"""Shipped models and configs: package data inside `fld_tf`, found by name after any install.

A model is named by its point scheme (`"mtfl5"`, `"ibug68"`: that scheme's shipped int8 model), by
its file stem (`"mnv2-a050-mtfl5-112.float32"`), or given as a path to a `.tflite` (or its card `.json`).
Which scheme and variant a shipped file is comes from its card, not from its name.

Example:
  resolve_model("mtfl5")        # .../fld_tf/models/mnv2-a050-mtfl5-112.int8.tflite
  resolve_model("my.tflite")    # my.tflite
  config_path("default")        # .../fld_tf/configs/default.yaml
"""
from __future__ import annotations

import glob
import os
from typing import Dict, List, Optional, Tuple

MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
CONFIGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")
DEFAULT_MODEL = "mtfl5"
# The variant a scheme name picks: the one the phone ships.
DEFAULT_VARIANT = "int8"
MODEL_SUFFIXES = (".tflite", ".json")


class AssetError(ValueError):
    """An unknown model or config name; the message lists the known ones."""


def shipped_models(folder: str = MODELS_DIR) -> List[Tuple[str, Dict]]:
    """`(tflite path, card)` of every model in `folder` that has a card beside it, by file name."""
    from fld_tf import model_card  # reads the JSON cards; keeps `import fld_tf.assets` light

    found = []
    for card_file in sorted(glob.glob(os.path.join(glob.escape(folder), "*.json"))):
        model = os.path.splitext(card_file)[0] + ".tflite"
        if os.path.isfile(model):
            found.append((model, model_card.read_card(card_file)))
    return found


def model_names(folder: str = MODELS_DIR) -> List[str]:
    """Every name `resolve_model` takes for the shipped models: scheme names, then file stems."""
    models = shipped_models(folder)
    schemes = sorted({c["scheme"]["name"] for _, c in models if c["variant"] == DEFAULT_VARIANT})
    return schemes + [os.path.splitext(os.path.basename(p))[0] for p, _ in models]


def resolve_model(spec: Optional[str] = None, folder: str = MODELS_DIR) -> str:
    """The model file for a shipped name or a path (None: `DEFAULT_MODEL`).

    Raises:
      AssetError: `spec` is neither a path nor a shipped name.
    """
    spec = DEFAULT_MODEL if spec is None else os.fspath(spec)
    if spec.lower().endswith(MODEL_SUFFIXES) or os.sep in spec or os.path.exists(spec):
        return spec  # a path: `model_card.read_model` says what is wrong with it, if anything
    models = shipped_models(folder)
    by_scheme = [p for p, c in models if c["scheme"]["name"] == spec and c["variant"] == DEFAULT_VARIANT]
    by_stem = [p for p, _ in models if os.path.splitext(os.path.basename(p))[0] == spec]
    if by_scheme or by_stem:
        return (by_scheme or by_stem)[0]
    known = ", ".join(model_names(folder)) or f"none (no model cards in {folder})"
    raise AssetError(f"--model {spec}: not a file and not a shipped model; shipped: {known}")


def config_path(name: str) -> str:
    """The shipped config `configs/<name>.yaml` (`name` may carry the `.yaml`)."""
    stem = name[:-5] if name.endswith(".yaml") else name
    path = os.path.join(CONFIGS_DIR, f"{stem}.yaml")
    if not os.path.isfile(path):
        known = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(CONFIGS_DIR, "*.yaml")))
        raise AssetError(f"config {name!r} is not shipped; shipped: {', '.join(known)}")
    return path
