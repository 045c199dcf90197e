"""The model card: the one JSON that tells every consumer how to feed and read an exported model.

This module alone writes, reads and validates it. A card sits beside each model as
`<name>.<variant>.json` and is embedded in the `.tflite` itself as a TFLite `Metadata` entry named
`fld_tf_model_card`, so a model file on its own is enough. In Python it is a `ModelCard`, a frozen
dataclass read once and checked: a card asking for what this code (and the Android core's
`ModelCard.java`, which parses the same JSON) cannot do is a one-line `CardError` naming the file
and the key. Keys this version does not read (`quantization_debug`, `tracking`, ...) ride along in
`ModelCard.extra`.

Example:
  card = build_card(cfg, scheme, "mnv2-a050-mtfl5-96", "int8", io, metrics, "runs/default")
  write_model("out/mnv2-a050-mtfl5-96.int8.tflite", model_bytes, card)
  read_card("out/mnv2-a050-mtfl5-96.int8.tflite") == card
  card.input.size, card.scheme.point_names, card.crop.rule.landmark_scale, card.box_rule("haar")
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from fld_tf import tflite_graph
from fld_tf.config import ConfigError, CropConfig, ModelConfig, section_from_dict, to_dict
from fld_tf.io import write_bytes, write_json
from fld_tf.schemes import SCHEMES, Contour, PointScheme
from fld_tf.tracking import TRACKING

FORMAT = "fld-tf-model-card"
VERSION = 1
METADATA_NAME = "fld_tf_model_card"
REQUIRED_KEYS = ("format", "version", "name", "variant", "model_file", "input", "output", "scheme", "crop")
# What `fld_tf.geometry` and `fld_tf.warp` implement; a card describing anything else is refused.
SAMPLING = {"resample": "bilinear", "outside": 0, "rounding": "floor(v + 0.5)", "pixel_centers": "integer"}
# How every consumer feeds the model: RGB bytes 0..255 as they come, normalisation inside the model.
INPUT_CONTRACT = {"color_order": "RGB", "pixel_range": [0, 255], "layout": "NHWC",
                  "normalization": "inside the model"}
OUTPUT_CONTRACT = {"name": "landmarks", "layout": "xy_interleaved", "space": "crop_normalized"}
INPUT_DTYPES = ("uint8", "float32")
BACKBONE_TAGS = {"mobilenet_v2": "mnv2"}
_KNOWN_KEYS = REQUIRED_KEYS + ("metrics", "training", "source_run")


class CardError(ValueError):
    """A card that cannot be read or does not describe a model we can run; names the file."""


@dataclasses.dataclass(frozen=True)
class Quantization:
    """uint8 input quantisation: the model reads byte `q` as `(q - zero_point) * scale`."""

    scale: float
    zero_point: int


@dataclasses.dataclass(frozen=True)
class InputSpec:
    shape: Tuple[int, int, int, int]             # (1, S, S, 3)
    dtype: str                                   # uint8 | float32, both fed pixel values 0..255
    quantization: Optional[Quantization] = None  # uint8 inputs only

    @property
    def size(self) -> int:
        return self.shape[1]


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    shape: Tuple[int, ...]                       # (1, 2K)
    dtype: str = "float32"
    flip_averaged: bool = False                  # the model averages with its mirror image's points


@dataclasses.dataclass(frozen=True)
class BoxRule:
    """A face detector's box -> crop square: side = scale x box width, centre = box centre + shift x width."""

    box_scale: float
    box_shift: Tuple[float, float]


@dataclasses.dataclass(frozen=True)
class CropSpec:
    rule: CropConfig                             # landmark rule and the dataset-box rule
    detectors: Mapping[str, BoxRule] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """A validated model card (see the module docstring); build it with `build_card` or `from_dict`."""

    name: str
    variant: str
    model_file: str
    input: InputSpec
    output: OutputSpec
    scheme: PointScheme
    crop: CropSpec
    metrics: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    training: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    source_run: str = ""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.input.size

    def box_rule(self, detector: str) -> Optional[BoxRule]:
        return self.crop.detectors.get(detector)

    def replace(self, **changes) -> "ModelCard":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> Dict:
        """The card as JSON types, in the on-disk layout."""
        model_input = {"shape": list(self.input.shape), "dtype": self.input.dtype, **INPUT_CONTRACT}
        if self.input.quantization:
            model_input["quantization"] = dataclasses.asdict(self.input.quantization)
        crop = {**to_dict(self.crop.rule), **SAMPLING}
        if self.crop.detectors:
            crop["detectors"] = {k: {"box_scale": r.box_scale, "box_shift": list(r.box_shift)}
                                 for k, r in self.crop.detectors.items()}
        card = {"format": FORMAT, "version": VERSION, "name": self.name, "variant": self.variant,
                "model_file": self.model_file, "input": model_input,
                "output": {"name": OUTPUT_CONTRACT["name"], "shape": list(self.output.shape),
                           "dtype": self.output.dtype, "layout": OUTPUT_CONTRACT["layout"],
                           "space": OUTPUT_CONTRACT["space"], "flip_averaged": self.output.flip_averaged},
                "scheme": self.scheme.to_dict(), "crop": crop, "metrics": dict(self.metrics),
                "training": dict(self.training), "source_run": self.source_run}
        card.update(self.extra)
        return card

    @classmethod
    def from_dict(cls, raw: Any, source: str = "model card") -> "ModelCard":
        """Parses and validates a card's JSON; raises `CardError` naming `source` and the key."""
        try:
            return _parse(raw)
        except _Bad as e:
            raise CardError(f"{source}: {e}") from None

    def __getitem__(self, key: str):
        """The JSON view, read-only, for code not yet on the typed fields (`card["input"]["dtype"]`)."""
        return _read_only(self.to_dict()[key])

    def get(self, key: str, default=None):
        """`dict.get` on the JSON view (keys a card may lack, e.g. `tracking`)."""
        value = self.to_dict().get(key, default)
        return _read_only(value) if value is not default else default


class _ReadOnlyDict(dict):
    """A card's JSON view: a dict (for `isinstance` and `json`) that refuses edits, which would be lost."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("a ModelCard is frozen: edit card.to_dict() (or use card.replace) and write that")

    __setitem__ = __delitem__ = update = pop = popitem = setdefault = clear = _refuse

    def __copy__(self):
        return dict(self)

    def __deepcopy__(self, memo):
        return copy.deepcopy(dict(self), memo)


def _read_only(value):
    if isinstance(value, dict):
        return _ReadOnlyDict({k: _read_only(v) for k, v in value.items()})
    return [_read_only(v) for v in value] if isinstance(value, list) else value


CardLike = Union[ModelCard, Mapping]


class _Bad(Exception):
    """A problem in a card, without the file name (added by `from_dict`)."""


def _need(obj: Mapping, key: str, path: str, kind=None):
    if not isinstance(obj, Mapping) or key not in obj:
        raise _Bad(f"card is missing {path}{key}")
    value = obj[key]
    if kind is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is not bool):
        raise _Bad(f"{path}{key} must be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _ints(value, path: str) -> Tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise _Bad(f"{path} must be a list of integers, got {value!r}")
    return tuple(value)


def _expect(obj: Mapping, contract: Mapping, path: str) -> None:
    """Every contract key the card states must be the value this code implements."""
    for key, value in contract.items():
        if key in obj and obj[key] != value:
            raise _Bad(f"{path}{key} is {obj[key]!r}; only {value!r} is implemented")


def _parse(raw: Any) -> ModelCard:
    if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
        raise _Bad(f"not an fld-tf model card (format must be {FORMAT!r})")
    if raw.get("version") != VERSION:
        raise _Bad(f"card version {raw.get('version')!r} is not supported (expected {VERSION})")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise _Bad(f"card is missing {', '.join(missing)}")
    scheme = _parse_scheme(_need(raw, "scheme", "", Mapping))
    output = _parse_output(_need(raw, "output", "", Mapping), scheme)
    return ModelCard(
        name=_need(raw, "name", "", str), variant=_need(raw, "variant", "", str),
        model_file=_need(raw, "model_file", "", str), input=_parse_input(_need(raw, "input", "", Mapping)),
        output=output, scheme=scheme, crop=_parse_crop(_need(raw, "crop", "", Mapping)),
        metrics=dict(raw.get("metrics") or {}), training=dict(raw.get("training") or {}),
        source_run=str(raw.get("source_run", "")),
        extra={k: v for k, v in raw.items() if k not in _KNOWN_KEYS})


def _parse_input(obj: Mapping) -> InputSpec:
    _expect(obj, INPUT_CONTRACT, "input.")
    shape = _ints(_need(obj, "shape", "input."), "input.shape")
    if not (len(shape) == 4 and shape[0] == 1 and shape[3] == 3 and shape[1] == shape[2] and shape[1] > 0):
        raise _Bad(f"input.shape must be [1, S, S, 3], got {list(shape)!r}")
    dtype = _need(obj, "dtype", "input.", str)
    if dtype not in INPUT_DTYPES:
        raise _Bad(f"input.dtype {dtype!r} cannot be fed (pixels go in as {' or '.join(INPUT_DTYPES)})")
    quantization = None
    if obj.get("quantization") is not None:
        q = _need(obj, "quantization", "input.", Mapping)
        scale, zero_point = _need(q, "scale", "input.quantization.", (int, float)), \
            _need(q, "zero_point", "input.quantization.", int)
        if dtype != "uint8" or not scale > 0 or not 0 <= zero_point <= 255:
            raise _Bad(f"input.quantization {dict(q)} cannot be fed to a {dtype} input "
                       "(only uint8 inputs with scale > 0 and zero point 0..255)")
        quantization = Quantization(float(scale), zero_point)
    return InputSpec(shape, dtype, quantization)


def _parse_output(obj: Mapping, scheme: PointScheme) -> OutputSpec:
    _expect(obj, OUTPUT_CONTRACT, "output.")
    shape = _ints(_need(obj, "shape", "output."), "output.shape")
    total = 1
    for v in shape:
        total *= v
    if len(shape) < 2 or shape[0] != 1 or total != 2 * scheme.num_points:
        raise _Bad(f"output.shape {list(shape)} does not hold 2 x {scheme.num_points} values "
                   f"(x, y per point of scheme {scheme.name!r})")
    dtype = obj.get("dtype", "float32")
    if dtype != "float32":
        raise _Bad(f"output.dtype {dtype!r}; only 'float32' points are implemented")
    return OutputSpec(shape, dtype, bool(_need(obj, "flip_averaged", "output.", bool))
                      if "flip_averaged" in obj else False)


def _parse_crop(obj: Mapping) -> CropSpec:
    for key, value in SAMPLING.items():
        if obj.get(key, value) != value:
            raise _Bad(f"crop.{key} is {obj[key]!r}; only {value!r} is implemented")
    for key in ("landmark_scale", "landmark_shift", "box_scale", "box_shift"):
        _need(obj, key, "crop.")
    try:
        rule = section_from_dict(CropConfig, obj, "card", "crop.")
    except ConfigError as e:
        raise _Bad(str(e).split(": ", 1)[-1]) from None
    if not (rule.landmark_scale > 0 and rule.box_scale > 0):
        raise _Bad(f"crop.landmark_scale and crop.box_scale must be > 0, got {rule.landmark_scale}, {rule.box_scale}")
    detectors = {}
    for name, value in (_need(obj, "detectors", "crop.", Mapping) if "detectors" in obj else {}).items():
        path = f"crop.detectors.{name}."
        scale, shift = _need(value, "box_scale", path, (int, float)), _need(value, "box_shift", path, list)
        if not scale > 0 or len(shift) != 2 or not all(isinstance(v, (int, float)) for v in shift):
            raise _Bad(f"{path[:-1]} must have box_scale > 0 and box_shift [dx, dy], got {dict(value)}")
        detectors[name] = BoxRule(float(scale), (float(shift[0]), float(shift[1])))
    return CropSpec(rule, detectors)


def _parse_scheme(obj: Mapping) -> PointScheme:
    """The card's scheme; the registered one of that name when the card states the same facts
    (so the protocol's extra normalisations and thresholds come along)."""
    names = tuple(_need(obj, "point_names", "scheme.", list))
    k = len(names)
    if not k or not all(isinstance(n, str) for n in names):
        raise _Bad("scheme.point_names must be a non-empty list of names")
    if obj.get("num_points", k) != k:
        raise _Bad(f"scheme.num_points {obj['num_points']} but {k} point_names")

    def groups(key, default=None):
        value = obj.get(key, default)
        if not isinstance(value, list) or not all(isinstance(g, list) for g in value):
            raise _Bad(f"scheme.{key} must be a list of index lists, got {value!r}")
        out = tuple(_ints(g, f"scheme.{key}") for g in value)
        if any(not 0 <= i < k for g in out for i in g):
            raise _Bad(f"scheme.{key} has an index outside 0..{k - 1}")
        return out

    pairs, nme = groups("flip_pairs", []), groups("nme_indices")
    if any(len(p) != 2 for p in pairs) or len(nme) != 2:
        raise _Bad("scheme.flip_pairs must be index pairs and scheme.nme_indices two index groups")
    contours = []
    for i, c in enumerate(obj.get("contours", [])):
        try:
            contours.append(Contour(str(c["name"]), _ints(c["indices"], f"scheme.contours[{i}].indices"),
                                    bool(c["closed"]), str(c["region"])))
        except (KeyError, TypeError):
            raise _Bad(f"scheme.contours[{i}] must have name, indices, closed and region") from None
        if any(not 0 <= j < k for j in contours[-1].indices):
            raise _Bad(f"scheme.contours[{i}] has an index outside 0..{k - 1}")
    scheme = PointScheme(name=_need(obj, "name", "scheme.", str), point_names=names, flip_pairs=pairs,
                         nme_indices=nme, attribute_names=tuple(obj.get("attribute_names", ())),
                         contours=tuple(contours), subset5=groups("subset5", [[0], [1], [2], [3], [4]]))
    if "flip_indices" in obj and list(obj["flip_indices"]) != scheme.flip_indices.tolist():
        raise _Bad("scheme.flip_indices does not follow from scheme.flip_pairs")
    registered = SCHEMES.get(scheme.name)
    if registered is not None and all(registered.to_dict().get(key) == value for key, value in obj.items()):
        return registered
    return scheme


def as_card(card: CardLike, source: str = "model card") -> ModelCard:
    """A `ModelCard` from a `ModelCard` (as is) or a card's JSON dict (validated)."""
    return card if isinstance(card, ModelCard) else ModelCard.from_dict(card, source)


def model_name(model_cfg: ModelConfig, scheme: PointScheme) -> str:
    """Artifact base name, e.g. `mnv2-a050-mtfl5-96` for MobileNetV2 alpha 0.5 on mtfl5 at 96 px."""
    tag = BACKBONE_TAGS.get(model_cfg.backbone, model_cfg.backbone)
    return f"{tag}-a{int(round(model_cfg.alpha * 100)):03d}-{scheme.name}-{model_cfg.input_size}"


def card_path(model_path: str) -> str:
    """`<name>.<variant>.tflite` -> `<name>.<variant>.json`."""
    return os.path.splitext(model_path)[0] + ".json"


def detector_rules() -> Dict[str, BoxRule]:
    """Box rule per face detector, from `fld_tf.detect.BOX_RULES` (Haar's, BlazeFace's)."""
    from fld_tf import detect  # OpenCV: only the writer needs it

    return {name: BoxRule(float(scale), (float(shift[0]), float(shift[1])))
            for name, (scale, shift) in detect.BOX_RULES.items()}


def build_card(cfg, scheme: PointScheme, name: str, variant: str, io: Dict, metrics: Dict,
               source_run: str, extra: Optional[Dict] = None) -> ModelCard:
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
      extra: more keys (e.g. `quantization_debug`), kept in `ModelCard.extra`.

    Raises:
      CardError: the converted model is not one the card can describe (e.g. an int8 input).
    """
    q = io["input"].get("quantization")
    raw_input = {"shape": list(io["input"]["shape"]), "dtype": io["input"]["dtype"]}
    if q:
        raw_input["quantization"] = {"scale": float(q["scale"]), "zero_point": int(q["zero_point"])}
    raw = {"format": FORMAT, "version": VERSION, "name": name, "variant": variant,
           "model_file": f"{name}.{variant}.tflite", "input": raw_input,
           "output": {"shape": list(io["output"]["shape"]), "dtype": io["output"]["dtype"],
                      "flip_averaged": bool(cfg.model.flip_test)},
           "scheme": scheme.to_dict(), "crop": to_dict(cfg.data.crop)}
    card = ModelCard.from_dict(raw, raw["model_file"])
    return card.replace(
        scheme=scheme, crop=dataclasses.replace(card.crop, detectors=detector_rules()), metrics=dict(metrics),
        training={"data": training_data(cfg.data), "config": to_dict(cfg.model)},
        # Video smoothing and re-detect settings (fld_tf.tracking), so the phone uses the same ones.
        source_run=source_run, extra={"tracking": TRACKING.to_dict(), **(extra or {})})


def training_data(data) -> str:
    """The card's line on what trained the model: the main list, then each `data.extra_train` list."""
    parts = [f"{data.dataset.upper() if data.dataset else 'own data'} {data.train_list}"]
    for extra in data.extra_train:
        reduced = f", {extra.scheme} -> {data.scheme}" if extra.scheme and extra.scheme != data.scheme else ""
        parts.append(f"{extra.list} ({extra.format}{reduced})")
    return " + ".join(parts)


def crop_config(card: CardLike) -> CropConfig:
    """The card's crop rule as the `CropConfig` that `fld_tf.geometry` / `fld_tf.pipeline` take."""
    return as_card(card).crop.rule


def scheme_of(card: CardLike) -> PointScheme:
    """The card's point scheme (names, flip pairs, NME reference points) as a `PointScheme`."""
    return as_card(card).scheme


def input_size(card: CardLike) -> int:
    return as_card(card).input.size


def check_card(card: Any, source: str) -> ModelCard:
    """The validated card; raises `CardError` unless this code (and the Android core) can use it."""
    return as_card(card, source)


def embed(model: bytes, card: CardLike) -> bytes:
    """The model with `card` (UTF-8 JSON) in its `fld_tf_model_card` metadata, replacing any old one."""
    text = json.dumps(as_card(card).to_dict(), sort_keys=False).encode("utf-8")
    return tflite_graph.write_metadata(model, METADATA_NAME, text)


def extract(model: bytes, source: str = "model") -> Optional[Dict]:
    """The card JSON embedded in a `.tflite` (not yet validated), or None when it has none."""
    try:
        data = tflite_graph.read_metadata(model, METADATA_NAME, source)
    except ValueError as e:
        raise CardError(str(e)) from None
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CardError(f"{source}: embedded model card is not valid JSON: {e}") from None


def read_card(path: str) -> ModelCard:
    """Reads and checks a card from a `.json` file or from inside a `.tflite`."""
    return _read(path)[1]


def _read(path: str) -> Tuple[bytes, ModelCard]:
    """`(file bytes, checked card)` of a `.tflite` (embedded card) or a card `.json`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CardError(f"{path}: cannot read: {e.strerror}") from None
    if path.endswith(".tflite"):
        raw = extract(data, path)
        if raw is None:
            raise CardError(f"{path}: no embedded model card (metadata {METADATA_NAME!r}); re-export it")
    else:
        try:
            raw = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise CardError(f"{path}: not valid JSON: {e}") from None
    return data, ModelCard.from_dict(raw, path)


def read_model(path: str) -> Tuple[bytes, ModelCard]:
    """`(tflite bytes, card)` from a `.tflite` with its card embedded, or from a card `.json`
    (its `model_file` beside it).

    Raises:
      CardError: no readable card, or the card's model file cannot be read (names the file).
    """
    data, card = _read(path)
    if path.endswith(".tflite"):
        return data, card
    model_path = os.path.join(os.path.dirname(path), card.model_file)
    try:
        with open(model_path, "rb") as f:
            return f.read(), card
    except OSError as e:
        raise CardError(f"{model_path}: cannot read the card's model_file: {e.strerror}") from None


def write_model(model_path: str, model: bytes, card: CardLike) -> None:
    """Writes `<model>.tflite` with the card embedded and the card beside it, each atomically."""
    card = as_card(card, model_path)
    write_bytes(model_path, embed(model, card))
    write_json(card_path(model_path), card.to_dict())
