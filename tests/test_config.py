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


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "broken.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(str(bad))
