"""Typed experiment config: YAML file, then `key=value` overrides, validated and frozen.

Every builder takes one section (`build_model(cfg.model, ...)`), never globals, and every run
directory keeps the resolved `config.yaml`.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import typing
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import yaml

from fld_tf.data.readers import ON_BAD


class ConfigError(ValueError):
    """A config file or override that does not fit the schema; the message names the key."""


@dataclasses.dataclass(frozen=True)
class CropConfig:
    """How a face square is cut from an image (see `fld_tf.geometry`).

    From landmarks: side = `landmark_scale` x the larger side of the points' extent, centre = extent
    centre + `landmark_shift` x that side. From a detector box: side = `box_scale` x box width,
    centre = box centre + `box_shift` x box width. A value left out (None) is the one measured for
    `data.scheme` (`fld_tf.schemes`, `PointScheme.crop`; benchmarks/calibrate_crop.py): `DataConfig`
    fills it in, so every loaded config and every saved `config.yaml` holds numbers.
    """

    landmark_scale: Optional[float] = None
    landmark_shift: Optional[Tuple[float, float]] = None
    box_scale: Optional[float] = None
    box_shift: Optional[Tuple[float, float]] = None

    @classmethod
    def for_scheme(cls, scheme_name: str) -> "CropConfig":
        """The measured defaults of a point scheme."""
        return cls().resolved(scheme_name)

    def resolved(self, scheme_name: str) -> "CropConfig":
        """This rule with every unset value taken from the scheme's measured defaults."""
        missing = [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is None]
        if not missing:
            return self
        from fld_tf.schemes import get_scheme

        defaults = get_scheme(scheme_name).crop
        if defaults is None:
            raise ConfigError(f"data.scheme {scheme_name!r} has no measured crop rule: set "
                              f"{', '.join('data.crop.' + m for m in missing)}")
        return dataclasses.replace(self, **{m: getattr(defaults, m) for m in missing})

    def landmark_rule(self) -> Tuple:
        return (self.landmark_scale, tuple(self.landmark_shift or ()))


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Random augmentation of training crops (all done as TF ops)."""

    rotation_deg: float = 25.0
    scale: float = 0.15          # crop side multiplied by exp(U(-scale, scale))
    shift: float = 0.08          # crop centre moved by U(-shift, shift) x side, per axis
    flip: float = 0.5            # probability of a horizontal flip
    brightness: float = 0.25
    contrast: float = 0.3
    saturation: float = 0.3
    hue: float = 0.03
    grayscale: float = 0.1       # probability
    blur: float = 0.2            # probability of a 7x7 Gaussian blur, sigma 0.5..1.5 px
    occlusion: float = 0.3       # probability of a random grey rectangle
    occlusion_size: float = 0.35  # largest rectangle side, as a fraction of the crop


@dataclasses.dataclass(frozen=True)
class EvalListConfig:
    """A list to evaluate on after training."""

    name: str
    list: str
    format: str = "mtfl"
    crop: str = "auto"           # auto | box | image | landmarks


@dataclasses.dataclass(frozen=True)
class ExtraListConfig:
    """A further training list: more faces, possibly of another dataset and point scheme.

    All of it trains (the held-out split is taken from `train_list` only, so model selection stays
    on the main data). A list of another scheme is reduced to `data.scheme` through its `subset5`
    (e.g. HELEN's 68 points to MTFL's five); its samples carry no attributes.
    """

    list: str
    format: str = "pts"
    scheme: str = ""             # "" : data.scheme
    crop: str = "landmarks"      # on the points as reduced to data.scheme, with data.crop's rule


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the data is and how it is read.

    Relative list paths resolve against the data root: `--data-root`, else `root`, else `$FLD_DATA`
    (`$FLD_DATA/<dataset>` for a named dataset), else for a named dataset the user cache
    (`~/.cache/fld_tf/<dataset>`), else the current folder (`fld_tf.data.download.find_root`).
    `dataset` names a dataset this toolkit can download (`fld_tf.data.download.DATASETS`); null or
    "" for a folder of your own, which is then used as it is.
    """

    root: Optional[str] = None
    dataset: Optional[str] = "mtfl"
    download: bool = True        # fetch the named dataset when it is missing
    scheme: str = "mtfl5"
    train_list: str = "training.txt"  # a list, or with train_format tfrecord: a folder of shards or a glob
    train_format: str = "mtfl"   # a list format (fld_tf.data.readers.FORMATS) or tfrecord
    train_crop: str = "auto"
    val_fraction: float = 0.05   # held out of the training list, for model selection
    limit: int = 0               # use only the first N training samples (0: all)
    eval_lists: Tuple[EvalListConfig, ...] = (
        EvalListConfig("aflw_test", "testing.txt", "mtfl", "image"),
        EvalListConfig("cuhk_test", "cuhk/testImageList.txt", "cuhk", "box"),
    )
    on_bad: str = "error"        # error | skip
    batch_size: int = 64         # per replica; the global batch is batch_size x replicas
    cache: bool = True
    shuffle_buffer: int = 4096
    seed: int = 0
    deterministic: bool = False
    crop: CropConfig = CropConfig()  # unset values: the scheme's measured ones
    augment: AugmentConfig = AugmentConfig()
    # Draw training samples by their class of this attribute (e.g. "pose"): class frequency f
    # becomes f ** (1 - resample_power) (normalised), so 1 samples every class equally often, 0
    # leaves the list's mix; rejection sampling from the cached stream (`fld_tf.pipeline`).
    # "" or a scheme without it: off. Unlike `train.balance_attribute` (loss weights), rare faces
    # are seen more often under fresh augmentation: MTFL's profiles, 3.3% of its training faces,
    # become 13% of the draws (-0.13 pp AFLW at 32 epochs, BENCHMARKS.md "Session 10").
    resample_attribute: str = "pose"
    resample_power: float = 0.5
    extra_train: Tuple[ExtraListConfig, ...] = ()

    def __post_init__(self):
        from fld_tf.schemes import SCHEMES

        if self.scheme not in SCHEMES:
            close = difflib.get_close_matches(str(self.scheme), list(SCHEMES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"data.scheme: unknown point scheme {self.scheme!r} "
                              f"(known: {', '.join(sorted(SCHEMES))}){hint}")
        for i, extra in enumerate(self.extra_train):
            if extra.scheme and extra.scheme != self.scheme:
                if extra.scheme not in SCHEMES:
                    raise ConfigError(f"data.extra_train[{i}].scheme: unknown point scheme {extra.scheme!r} "
                                      f"(known: {', '.join(sorted(SCHEMES))})")
                if self.scheme != "mtfl5":
                    raise ConfigError(f"data.extra_train[{i}].scheme: {extra.scheme} points can be reduced "
                                      f"to mtfl5 only (its subset5), not to data.scheme {self.scheme}")
        if not 0 <= self.resample_power <= 1:
            raise ConfigError(f"data.resample_power must be in [0, 1], got {self.resample_power!r}")
        if self.on_bad not in ON_BAD:
            raise ConfigError(f"data.on_bad must be one of {', '.join(ON_BAD)}, got {self.on_bad!r}")
        # Frozen: the normalised fields are set once, here, as dataclasses' own __init__ does.
        object.__setattr__(self, "dataset", self.dataset or None)
        object.__setattr__(self, "crop", self.crop.resolved(self.scheme))

    def crop_warning(self) -> Optional[str]:
        """Why the landmark crop rule looks copied from another scheme (None when it does not).

        The landmark rule scales the points' extent, and the extent depends on the scheme: 68
        points include the jaw, about twice the 5-point extent, so MTFL's 2.87 makes a 68-point
        face fill half the crop.
        """
        from fld_tf.schemes import SCHEMES

        own = SCHEMES[self.scheme].crop
        rule = self.crop.landmark_rule()
        if own is None or rule == CropConfig.for_scheme(self.scheme).landmark_rule():
            return None
        for name, scheme in SCHEMES.items():
            if scheme.crop is not None and CropConfig.for_scheme(name).landmark_rule() == rule:
                return (f"data.crop: landmark_scale {self.crop.landmark_scale:g}, landmark_shift "
                        f"{list(self.crop.landmark_shift)} are the values measured for scheme {name!r}, "
                        f"but data.scheme is {self.scheme!r} (measured: {own.landmark_scale:g}, "
                        f"{list(own.landmark_shift)}). The landmark rule scales the points' extent, "
                        "which differs between schemes, so faces would fill the crop differently "
                        "from what the scheme was measured for; leave data.crop out to get the "
                        f"values measured for {self.scheme!r}")
        return None


HEATMAP_STRIDES = (8, 4)  # model.heatmap_stride: fld_tf.model.HEATMAP_TAPS has a tap for each
HEADS = ("heatmap", "simcc", "spatial", "gap")  # model.head: fld_tf.model builds each


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    backbone: str = "mobilenet_v2"
    alpha: float = 0.5
    input_size: int = 96
    # heatmap (soft-argmax at heatmap_stride) | simcc (x and y bin classification on the same
    # features, then the expected bin centre) | spatial (conv + flatten) | gap
    head: str = "heatmap"
    head_channels: int = 64
    dropout: float = 0.1
    bn_momentum: float = 0.99    # Keras' 0.999 lags the weights in short from-scratch runs
    attribute_head: bool = True  # auxiliary attribute outputs (TCDCN); not exported
    flip_test: bool = True       # evaluate and export the average with the mirrored image's points
    # Heatmap head: train each map's spread towards this standard deviation, in heatmap cells
    # (DSNT's variance regulariser; 0: off), with this weight. Sharper maps lose less to int8.
    # The simcc head uses it for each 1-D distribution, in bins.
    # 0.6 cells: -0.07 pp int8 and no int8 drift at 32 epochs (BENCHMARKS.md, "Levers at the default budget").
    heatmap_sigma: float = 0.6
    heatmap_sigma_weight: float = 0.5
    # 4 or 8: 4 is one more top-down step (a 24x24 map at 96 px), -0.57 pp on AFLW at 32 epochs for
    # 7% more time per training step; simcc's too
    heatmap_stride: int = 4
    simcc_split: float = 2.0     # simcc head: bins per input pixel along x and y (RTMPose: 2)

    def __post_init__(self):
        if self.head not in HEADS:
            raise ConfigError(f"model.head: unknown {self.head!r}; known: {', '.join(HEADS)}")
        bins = self.input_size * self.simcc_split
        if self.simcc_split <= 0 or (self.head == "simcc" and abs(bins - round(bins)) > 1e-6):
            raise ConfigError(f"model.simcc_split must be positive and give a whole number of bins "
                              f"(model.input_size {self.input_size} x it), got {self.simcc_split!r}")
        if self.heatmap_stride not in HEATMAP_STRIDES:
            raise ConfigError(f"model.heatmap_stride must be one of {', '.join(map(str, HEATMAP_STRIDES))}, "
                              f"got {self.heatmap_stride!r}")
        if self.head == "heatmap" and self.input_size % self.heatmap_stride:
            # Each heatmap cell must stand for a whole number of input pixels.
            raise ConfigError(f"model.input_size must be a multiple of model.heatmap_stride "
                              f"({self.heatmap_stride}) for the heatmap head, got {self.input_size!r}")

    @property
    def simcc_bins(self) -> int:
        """Bins along each of x and y of the simcc head."""
        return round(self.input_size * self.simcc_split)


# `train.mixed_precision` -> Keras dtype policy (float32 variables, this compute dtype).
MIXED_PRECISION = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    # 26: about 25 minutes on a 2-core CPU; 32 scored 0.12 pp better on AFLW for 23% more time
    # (BENCHMARKS.md, "Session 15").
    epochs: int = 26
    steps_per_epoch: int = 0     # 0: one pass over the training list
    learning_rate: float = 2e-3  # for one replica's batch; see lr_scaling
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    loss: str = "wing"           # wing | l1 | l2
    wing_w: float = 10.0
    wing_epsilon: float = 2.0
    attribute_weight: float = 0.1
    hard_fraction: float = 0.7   # keep the hardest fraction of each batch (MTCNN: 0.7); 1 disables
    # Weight each sample's loss by its class of this attribute: inverse class frequency to
    # balance_power, mean 1 (PFLD's attribute weighting); "" (default) or a scheme without it: off.
    # Measured with "pose" and 0.5: profiles gained, frontal faces lost more (BENCHMARKS.md).
    balance_attribute: str = ""
    balance_power: float = 0.5
    strategy: str = "default"    # default | mirrored | multiworker (fld_tf/distribute.py)
    lr_scaling: str = "linear"   # linear: learning_rate x replicas (Goyal et al. 2017) | none
    # false | float16 (with loss scaling) | bfloat16 (no scaling needed: float32's exponent range);
    # the backbone computes in it, the head and outputs stay float32. true (older configs): float16.
    mixed_precision: Union[bool, str] = False
    jit_compile: bool = False
    verbose: int = 1
    # Knowledge distillation (fld_tf/distill.py): a finished run (or model file) whose deployed
    # points, flip averaging included, are blended into the landmark target with this weight.
    # With `teacher_recipe`, 0 turns distillation off: the teacher stage only starts this run.
    distill_teacher: str = ""
    distill_weight: float = 0.5
    # Start from a finished run's (or model file's) weights: every layer whose name and shapes
    # match is copied (a new scheme's output layer is not), the rest start afresh.
    init_weights: str = ""
    # A recipe (a shipped one's name or a YAML file) trained first, in `<run dir>/teacher`, on this
    # run's data; this run then distils it (`distill_teacher`, unless `distill_weight` is 0) and,
    # unless `init_weights` names another, starts from its weights: a two-stage recipe in one
    # command (`fld_tf.train`).
    teacher_recipe: str = ""

    def __post_init__(self):
        if not 0 <= self.distill_weight <= 1:
            raise ConfigError(f"train.distill_weight must be in [0, 1], got {self.distill_weight!r}")
        if self.distill_weight == 0 and self.distill_teacher:
            raise ConfigError("train.distill_weight 0 distils nothing from train.distill_teacher; to start "
                              "from its weights set train.init_weights instead")
        value = "float16" if self.mixed_precision is True else self.mixed_precision
        if value is not False and value not in MIXED_PRECISION:
            raise ConfigError(f"train.mixed_precision must be false, {' or '.join(MIXED_PRECISION)}, "
                              f"got {self.mixed_precision!r}")
        object.__setattr__(self, "mixed_precision", value)

    @property
    def dtype_policy(self) -> str:
        """The Keras dtype policy training builds the model under."""
        return MIXED_PRECISION[self.mixed_precision] if self.mixed_precision else "float32"


@dataclasses.dataclass(frozen=True)
class ExportConfig:
    variants: Tuple[str, ...] = ("float32", "int8")
    representative_samples: int = 200
    representative_augment: bool = True  # calibrate on augmented crops (see export.quantize)
    qat_epochs: int = 2
    qat_learning_rate: float = 1e-4
    target: str = "android-arm64"


@dataclasses.dataclass(frozen=True)
class Config:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    export: ExportConfig = ExportConfig()


def _build(cls, values: Any, where: str, path: str):
    """Builds dataclass `cls` from plain YAML values, rejecting unknown keys."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: {path or 'config'} must be a mapping, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {path + close[0]!r}?" if close else ""
            raise ConfigError(f"{where}: unknown key {path + str(key)!r}{hint}")
        kwargs[key] = _coerce(hints[key], value, where, f"{path}{key}")
    try:
        return cls(**kwargs)
    except ConfigError as e:  # from a section's own checks (`DataConfig.__post_init__`)
        raise ConfigError(f"{where}: {e}") from None


def section_from_dict(cls, values: Dict, where: str, path: str = ""):
    """One config section (e.g. `CropConfig`) from plain values, checked as a YAML file's are;
    keys that are not the section's fields are ignored."""
    names = {f.name for f in dataclasses.fields(cls)}
    return _build(cls, {k: v for k, v in values.items() if k in names}, where, path)


def _coerce(hint, value, where: str, key: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, key + ".")
    if origin is typing.Union:  # Optional[X], or one of several types (the first that fits)
        members = [a for a in args if a is not type(None)]
        if value is None and len(members) < len(args):
            return None
        if len(members) == 1:
            return _coerce(members[0], value, where, key)
        for member in members:
            try:
                return _coerce(member, value, where, key)
            except ConfigError:
                pass
        names = " or ".join(getattr(m, "__name__", str(m)) for m in members)
        raise ConfigError(f"{where}: {key} must be {names}, got {value!r}")
    if origin in (tuple, Tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: {key} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, where, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{where}: {key} must have {len(args)} values, got {value!r}")
        return tuple(_coerce(a, v, where, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    raise ConfigError(f"{where}: {key} must be {getattr(hint, '__name__', hint)}, got {value!r}")


def to_dict(cfg) -> Dict:
    """The config as plain YAML/JSON types."""
    def plain(v):
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v
    return plain(dataclasses.asdict(cfg))


def _set(tree: Dict, dotted: str, value: Any) -> None:
    node = tree
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {dotted!r}: {part!r} is not a section")
    node[parts[-1]] = value


def load_config(path: Optional[str] = None, overrides: Sequence[str] = ()) -> Config:
    """Reads a YAML config (defaults when `path` is None) and applies `key.sub=value` overrides.

    Raises:
      ConfigError: unreadable file, unknown key (with a close match) or a value of the wrong type.
    """
    tree = to_dict(Config())
    # Crop values not set by the file or an override come from the final data.scheme.
    tree["data"]["crop"] = to_dict(CropConfig())
    where = "defaults"
    if path:
        where = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                loaded = yaml.safe_load(f) or {}
        except OSError as e:
            raise ConfigError(f"{where}: cannot read config: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{where}: not valid YAML: {e}") from None
        _merge(tree, loaded, where, "")
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected key=value, e.g. train.epochs=5")
        key, raw = item.split("=", 1)
        # `key=` clears a text option (e.g. -o train.distill_teacher=), as YAML's '' would.
        _set(tree, key.strip(), yaml.safe_load(raw) if raw.strip() else "")
    if overrides:
        where = f"{where} + overrides"
    cfg = _build(Config, tree, where, "")
    warning = cfg.data.crop_warning()
    if warning:
        print(f"warning: {where}: {warning}", file=sys.stderr)
    return cfg


def _merge(tree: Dict, loaded: Any, where: str, path: str) -> None:
    if not isinstance(loaded, dict):
        raise ConfigError(f"{where}: {path or 'config'} must be a mapping")
    for key, value in loaded.items():
        if isinstance(value, dict) and isinstance(tree.get(key), dict):
            _merge(tree[key], value, where, f"{path}{key}.")
        else:
            tree[key] = value


def save_config(cfg: Config, path: str) -> None:
    """Writes the resolved config as YAML, atomically."""
    from fld_tf.io import write_text
    write_text(path, yaml.safe_dump(to_dict(cfg), sort_keys=False))
