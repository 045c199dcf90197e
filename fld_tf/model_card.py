"""The model card: the one JSON that tells every consumer how to feed and read an exported model.

This module alone writes and reads it. A card sits beside each model as `<name>.<variant>.json` and
is embedded in the `.tflite` itself as a TFLite `Metadata` entry named `fld_tf_model_card`, so a
model file on its own is enough. The Android core (`ModelCard.java`) parses the same keys; the
parity harness and the golden vectors configure `fld_tf`'s crop and pipeline code from it.

Example:
  card = build_card(cfg, scheme, "mnv2-a050-mtfl5-96", "int8", io, metrics, "runs/default")
  write_model("out/mnv2-a050-mtfl5-96.int8.tflite", model_bytes, card)
  read_card("out/mnv2-a050-mtfl5-96.int8.tflite") == card
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, Tuple

import flatbuffers
from ai_edge_litert import schema_py_generated as schema

from fld_tf.config import CropConfig, ModelConfig, section_from_dict, to_dict
from fld_tf.io import write_bytes, write_json
from fld_tf.schemes import Contour, PointScheme
from fld_tf.tracking import TRACKING

FORMAT = "fld-tf-model-card"
VERSION = 1
METADATA_NAME = "fld_tf_model_card"
REQUIRED_KEYS = ("format", "version", "name", "variant", "model_file", "input", "output", "scheme", "crop")
# What `fld_tf.geometry` and `fld_tf.warp` implement; a card describing anything else is refused.
SAMPLING = {"resample": "bilinear", "outside": 0, "rounding": "floor(v + 0.5)", "pixel_centers": "integer"}
BACKBONE_TAGS = {"mobilenet_v2": "mnv2"}


class CardError(ValueError):
    """A card that cannot be read or does not describe a model we can run; names the file."""


def model_name(model_cfg: ModelConfig, scheme: PointScheme) -> str:
    """Artifact base name, e.g. `mnv2-a050-mtfl5-96` for MobileNetV2 alpha 0.5 on mtfl5 at 96 px."""
    tag = BACKBONE_TAGS.get(model_cfg.backbone, model_cfg.backbone)
    return f"{tag}-a{int(round(model_cfg.alpha * 100)):03d}-{scheme.name}-{model_cfg.input_size}"


def card_path(model_path: str) -> str:
    """`<name>.<variant>.tflite` -> `<name>.<variant>.json`."""
    return os.path.splitext(model_path)[0] + ".json"


def build_card(cfg, scheme: PointScheme, name: str, variant: str, io: Dict, metrics: Dict,
               source_run: str, extra: Optional[Dict] = None) -> Dict:
    """The card of one exported variant.

    Args:
      cfg: the run's `Config` (crop rule from `data.crop`, model section for the record).
      scheme: the point scheme the model outputs.
      name: artifact base name (`model_name`).
      variant: a key of `export.variants.VARIANTS`.
      io: `{"input": {"shape", "dtype", "quantization"?}, "output": {"shape", "dtype"}}`, read back
        from the converted model with LiteRT (not assumed).
      metrics: list name -> `fld_tf.metrics.summarize` dict.
      source_run: the run directory or model file exported.
      extra: more keys (e.g. `quantization_debug`), merged last.
    """
    model_input = {"shape": list(io["input"]["shape"]), "dtype": io["input"]["dtype"],
                   "color_order": "RGB", "pixel_range": [0, 255], "layout": "NHWC",
                   "normalization": "inside the model"}
    if io["input"].get("quantization"):
        model_input["quantization"] = io["input"]["quantization"]
    card = {
        "format": FORMAT, "version": VERSION, "name": name, "variant": variant,
        "model_file": f"{name}.{variant}.tflite",
        "input": model_input,
        "output": {"name": "landmarks", "shape": list(io["output"]["shape"]), "dtype": io["output"]["dtype"],
                   "layout": "xy_interleaved", "space": "crop_normalized",
                   "flip_averaged": cfg.model.flip_test},
        "scheme": scheme.to_dict(),
        "crop": {**to_dict(cfg.data.crop), **SAMPLING},
        "tracking": TRACKING.to_dict(),  # video smoothing and re-detect settings (fld_tf.tracking)
        "metrics": metrics,
        "training": {"data": f"{(cfg.data.dataset or 'own data').upper()} {cfg.data.train_list}",
                     "config": to_dict(cfg.model)},
        "source_run": source_run,
    }
    card.update(extra or {})
    return card


def crop_config(card: Dict) -> CropConfig:
    """The card's crop rule as the `CropConfig` that `fld_tf.geometry` / `fld_tf.pipeline` take."""
    return section_from_dict(CropConfig, card["crop"], card.get("model_file", "model card"), "crop.")


def scheme_of(card: Dict) -> PointScheme:
    """The card's point scheme (names, flip pairs, NME reference points) as a `PointScheme`."""
    s = card["scheme"]
    return PointScheme(name=s["name"], point_names=tuple(s["point_names"]),
                       flip_pairs=tuple(tuple(p) for p in s["flip_pairs"]),
                       nme_indices=tuple(tuple(g) for g in s["nme_indices"]),
                       attribute_names=tuple(s.get("attribute_names", ())),
                       contours=tuple(Contour(c["name"], tuple(c["indices"]), bool(c["closed"]), c["region"])
                                      for c in s.get("contours", ())),
                       subset5=tuple(tuple(g) for g in s.get("subset5", ((0,), (1,), (2,), (3,), (4,)))))


def input_size(card: Dict) -> int:
    return int(card["input"]["shape"][1])


def check_card(card: Any, source: str) -> Dict:
    """Raises `CardError` unless `card` is a card this code (and the Android core) can use."""
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise CardError(f"{source}: not an fld-tf model card (format must be {FORMAT!r})")
    if card.get("version") != VERSION:
        raise CardError(f"{source}: card version {card.get('version')!r} is not supported (expected {VERSION})")
    missing = [k for k in REQUIRED_KEYS if k not in card]
    if missing:
        raise CardError(f"{source}: card is missing {', '.join(missing)}")
    for key, value in SAMPLING.items():
        if card["crop"].get(key, value) != value:
            raise CardError(f"{source}: crop.{key} is {card['crop'][key]!r}; only {value!r} is implemented")
    shape = card["input"].get("shape")
    if not (isinstance(shape, list) and len(shape) == 4 and shape[0] == 1 and shape[3] == 3
            and shape[1] == shape[2]):
        raise CardError(f"{source}: input.shape must be [1, S, S, 3], got {shape!r}")
    return card


def embed(model: bytes, card: Dict) -> bytes:
    """The model with `card` (UTF-8 JSON) in its `fld_tf_model_card` metadata, replacing any old one."""
    obj = schema.ModelT.InitFromObj(schema.Model.GetRootAs(bytearray(model), 0))
    obj.buffers = obj.buffers or []
    obj.metadata = obj.metadata or []
    entry = next((m for m in obj.metadata if _name(m.name) == METADATA_NAME), None)
    buffer = schema.BufferT()
    buffer.data = list(json.dumps(card, sort_keys=False).encode("utf-8"))
    if entry is None:
        obj.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = METADATA_NAME
        entry.buffer = len(obj.buffers) - 1
        obj.metadata.append(entry)
    else:
        obj.buffers[entry.buffer] = buffer
    builder = flatbuffers.Builder(len(model) + 4096)
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def extract(model: bytes, source: str = "model") -> Optional[Dict]:
    """The card embedded in a `.tflite`, or None when it has none."""
    buf = bytearray(model)
    if not schema.Model.ModelBufferHasIdentifier(buf, 0):
        raise CardError(f"{source}: not a TFLite flatbuffer (no TFL3 identifier)")
    root = schema.Model.GetRootAs(buf, 0)
    for i in range(root.MetadataLength()):
        entry = root.Metadata(i)
        if _name(entry.Name()) == METADATA_NAME:
            data = root.Buffers(entry.Buffer()).DataAsNumpy()
            try:
                return json.loads(bytes(data).decode("utf-8"))
            except (ValueError, TypeError) as e:
                raise CardError(f"{source}: embedded model card is not valid JSON: {e}") from None
    return None


def _name(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_card(path: str) -> Dict:
    """Reads and checks a card from a `.json` file or from inside a `.tflite`."""
    return _read(path)[1]


def _read(path: str) -> Tuple[bytes, Dict]:
    """`(file bytes, checked card)` of a `.tflite` (embedded card) or a card `.json`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CardError(f"{path}: cannot read: {e.strerror}") from None
    if path.endswith(".tflite"):
        card = extract(data, path)
        if card is None:
            raise CardError(f"{path}: no embedded model card (metadata {METADATA_NAME!r}); re-export it")
    else:
        try:
            card = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise CardError(f"{path}: not valid JSON: {e}") from None
    return data, check_card(card, path)


def read_model(path: str) -> Tuple[bytes, Dict]:
    """`(tflite bytes, card)` from a `.tflite` with its card embedded, or from a card `.json`
    (its `model_file` beside it).

    Raises:
      CardError: no readable card, or the card's model file cannot be read (names the file).
    """
    data, card = _read(path)
    if path.endswith(".tflite"):
        return data, card
    model_path = os.path.join(os.path.dirname(path), card["model_file"])
    try:
        with open(model_path, "rb") as f:
            return f.read(), card
    except OSError as e:
        raise CardError(f"{model_path}: cannot read the card's model_file: {e.strerror}") from None


def write_model(model_path: str, model: bytes, card: Dict) -> None:
    """Writes `<model>.tflite` with the card embedded and the card beside it, each atomically."""
    check_card(card, model_path)
    write_bytes(model_path, embed(model, card))
    write_json(card_path(model_path), card)
