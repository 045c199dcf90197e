"""Config loading: every shipped recipe validates; bad keys and values are named."""
import glob
import os

import pytest

from fld_tf.config import Config, ConfigError, load_config, save_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = sorted(glob.glob(os.path.join(REPO, "fld_tf", "configs", "*.yaml")))


def test_recipes_exist():
    assert RECIPES, "fld_tf/configs/*.yaml should hold at least the default recipe"


@pytest.mark.parametrize("path", RECIPES, ids=os.path.basename)
def test_every_recipe_loads(path):
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    assert cfg.model.input_size > 0 and cfg.data.batch_size > 0


def test_default_recipe_is_the_built_in_default():
    """fld_tf/configs/default.yaml documents what `python -m fld_tf.train` runs without --config."""
    assert load_config(os.path.join(REPO, "fld_tf", "configs", "default.yaml")) == Config()


def test_overrides_apply_and_round_trip(tmp_path):
    cfg = load_config(None, ["train.epochs=3", "data.crop.box_shift=[0.1, 0.2]", "model.alpha=0.35"])
    assert cfg.train.epochs == 3 and cfg.data.crop.box_shift == (0.1, 0.2) and cfg.model.alpha == 0.35
    path = tmp_path / "c.yaml"
    save_config(cfg, str(path))
    assert load_config(str(path)) == cfg
    assert oct(os.stat(path).st_mode & 0o777) != "0o600"


def test_unknown_key_names_file_and_close_match(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  epoch: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'train\.epoch'; did you mean 'train\.epochs'"):
        load_config(str(path))


@pytest.mark.parametrize("override,message", [
    ("train.epochs=many", "train.epochs must be int"),
    ("model.attribute_head=1", "must be true or false"),
    ("data.crop.box_shift=[1]", "must have 2 values"),
    ("train.epochs", "expected key=value"),
])
def test_bad_values_are_named(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


@pytest.mark.parametrize("value,stored,policy", [
    ("false", False, "float32"),
    ("float16", "float16", "mixed_float16"),
    ("bfloat16", "bfloat16", "mixed_bfloat16"),
    ("true", "float16", "mixed_float16"),  # older configs and the bare --mixed-precision flag
])
def test_mixed_precision_values(tmp_path, value, stored, policy):
    train = load_config(None, [f"train.mixed_precision={value}"]).train
    assert (train.mixed_precision, train.dtype_policy) == (stored, policy)
    path = tmp_path / "c.yaml"  # what a run's config.yaml holds, and --resume reads back
    save_config(load_config(None, [f"train.mixed_precision={value}"]), str(path))
    assert f"mixed_precision: {str(stored).lower()}\n" in path.read_text()
    assert load_config(str(path)).train.mixed_precision == stored


@pytest.mark.parametrize("value,message", [
    ("bf16", "train.mixed_precision must be false, float16 or bfloat16, got 'bf16'"),
    ("3", "train.mixed_precision must be bool or str, got 3"),
])
def test_bad_mixed_precision_is_named(value, message):
    with pytest.raises(ConfigError, match=f"^defaults \\+ overrides: {message}$"):
        load_config(None, [f"train.mixed_precision={value}"])


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "broken.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(str(bad))


def test_crop_defaults_are_the_schemes_measured_ones(tmp_path):
    from fld_tf.config import CropConfig

    mtfl = load_config(None).data.crop
    assert (mtfl.landmark_scale, mtfl.landmark_shift, mtfl.box_scale, mtfl.box_shift) == \
        (2.87, (0.024, 0.043), 1.61, (0.023, 0.034))
    ibug = load_config(None, ["data.scheme=ibug68"]).data.crop
    assert (ibug.landmark_scale, ibug.landmark_shift) == (1.42, (0.015, -0.045))
    # One value set, the others still the scheme's.
    mixed = load_config(None, ["data.scheme=ibug68", "data.crop.landmark_scale=1.5"]).data.crop
    assert mixed == CropConfig(1.5, (0.015, -0.045), 1.61, (0.023, 0.034))
    # The saved config holds numbers, and reads back the same whatever the scheme defaults become.
    path = tmp_path / "c.yaml"
    save_config(load_config(None, ["data.scheme=ibug68"]), str(path))
    assert "landmark_scale: 1.42" in path.read_text()
    assert load_config(str(path)).data.crop == ibug


def test_another_schemes_crop_constants_are_warned_about(capsys):
    default = os.path.join(REPO, "fld_tf", "configs", "default.yaml")  # explicit MTFL numbers
    load_config(default)
    load_config(None, ["data.scheme=wflw98"])  # wflw98's own values (ibug68's, by measurement)
    assert capsys.readouterr().err == ""
    load_config(default, ["data.scheme=ibug68"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"warning: {default} + overrides: data.crop: ")
    assert ("landmark_scale 2.87, landmark_shift [0.024, 0.043] are the values measured for scheme "
            "'mtfl5', but data.scheme is 'ibug68' (measured: 1.42, [0.015, -0.045])") in err
    assert "scales the points' extent, which differs between schemes" in err


@pytest.mark.parametrize("value", ["null", "''"])
def test_no_dataset_name(value):
    assert load_config(None, [f"data.dataset={value}"]).data.dataset is None
    assert load_config(None).data.dataset == "mtfl"  # the default recipe downloads MTFL


def test_helen68_recipe_needs_no_dataset_and_no_hand_worked_crop():
    cfg = load_config(os.path.join(REPO, "fld_tf", "configs", "mnv2-a050_helen68-96.yaml"))
    assert cfg.data.dataset is None and cfg.data.root is None  # root: --data-root / $FLD_DATA
    assert (cfg.data.scheme, cfg.data.train_list, cfg.data.train_format, cfg.data.train_crop) == \
        ("ibug68", "helen68/trainset", "pts", "landmarks")
    assert [(e.list, e.format, e.crop) for e in cfg.data.eval_lists] == [("helen68/testset", "pts", "landmarks")]
    assert cfg.data.crop.landmark_scale == 1.42 and not cfg.model.attribute_head


@pytest.mark.parametrize("override, message", [
    ("data.scheme=ibug86", r"defaults \+ overrides: data\.scheme: unknown point scheme 'ibug86' "
                           r"\(known: ibug68, mtfl5, wflw98\); did you mean 'ibug68'\?"),
    ("data.on_bad=ignore", r"data\.on_bad must be one of error, skip, got 'ignore'"),
])
def test_bad_data_values_are_named(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


@pytest.mark.parametrize("overrides, message", [
    (["model.head=simc"], "model.head: unknown 'simc'; known: heatmap, simcc, spatial, gap"),
    (["model.simcc_split=0"], "model.simcc_split must be positive and give a whole number of bins "
                              "(model.input_size 96 x it), got 0.0"),
    (["model.head=simcc", "model.simcc_split=1.3"], "model.simcc_split must be positive and give a whole "
                                                    "number of bins (model.input_size 96 x it), got 1.3"),
])
def test_bad_model_head_and_simcc_split_are_named(overrides, message):
    with pytest.raises(ConfigError) as e:
        load_config(None, overrides)
    assert str(e.value) == f"defaults + overrides: {message}"  # named once however many overrides


def test_an_empty_override_clears_a_text_option():
    # The shell hands `-o train.distill_teacher=` over as "...=", which YAML would read as null.
    path = os.path.join(REPO, "fld_tf", "configs", "mnv2-a050_mtfl5-112_release.yaml")
    cfg = load_config(path, ["train.teacher_recipe=", "train.distill_teacher=runs/teacher", "train.distill_weight=0.5"])
    assert cfg.train.teacher_recipe == "" and cfg.train.distill_teacher == "runs/teacher"
    assert load_config(None, ["data.dataset="]).data.dataset is None
    with pytest.raises(ConfigError, match=r"^defaults \+ overrides: train.epochs must be int, got ''$"):
        load_config(None, ["train.epochs="])


def test_simcc_bins_are_input_size_times_split():
    assert load_config(None, ["model.head=simcc"]).model.simcc_bins == 192  # RTMPose's split 2
    assert load_config(None, ["model.head=simcc", "model.simcc_split=1.5", "model.input_size=64"]).model.simcc_bins == 96
    assert load_config(None, ["model.simcc_split=1.3"]).model.head == "heatmap"  # unused by other heads
