"""fld_tf.model_card: the typed card reads the on-disk JSON once, refuses what it cannot honour in one
line naming the file and key, round-trips, and keeps the dict-era helpers working. No TensorFlow."""
import copy
import json
import os

import pytest

from fld_tf import detect, model_card
from fld_tf.config import CropConfig, load_config
from fld_tf.model_card import BoxRule, CardError, ModelCard, Quantization
from fld_tf.schemes import get_scheme
from fld_tf.tracking import TRACKING

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(REPO, "fld_tf", "models", "mnv2-a050-mtfl5-112.int8.json")
IO = {"input": {"shape": [1, 64, 64, 3], "dtype": "uint8", "quantization": {"scale": 1.0, "zero_point": 0}},
      "output": {"shape": [1, 136], "dtype": "float32"}}


@pytest.fixture
def card():
    cfg = load_config(None, ["data.scheme=ibug68", "model.input_size=64"])
    return model_card.build_card(cfg, get_scheme("ibug68"), "m", "int8", IO, {"aflw": {"count": 3}}, "runs/x",
                                 {"quantization_debug": {"float_layers": []}})


def test_built_card_is_typed_and_round_trips(card):
    assert card.size == 64 and card.input.dtype == "uint8" and card.input.quantization == Quantization(1.0, 0)
    assert card.output.shape == (1, 136) and card.output.flip_averaged is True
    assert card.scheme is get_scheme("ibug68") and card.crop.rule == CropConfig.for_scheme("ibug68")
    assert card.model_file == "m.int8.tflite" and card.extra == {"quantization_debug": {"float_layers": []},
                                                          "tracking": TRACKING.to_dict()}
    raw = json.loads(json.dumps(card.to_dict()))
    assert ModelCard.from_dict(raw) == card
    # the on-disk layout the Android core parses, plus the new keys
    assert raw["input"] == {"shape": [1, 64, 64, 3], "dtype": "uint8", "color_order": "RGB",
                            "pixel_range": [0, 255], "layout": "NHWC", "normalization": "inside the model",
                            "quantization": {"scale": 1.0, "zero_point": 0}}
    assert raw["output"] == {"name": "landmarks", "shape": [1, 136], "dtype": "float32",
                             "layout": "xy_interleaved", "space": "crop_normalized", "flip_averaged": True}
    assert raw["crop"]["resample"] == "bilinear" and raw["crop"]["landmark_scale"] == CropConfig.for_scheme("ibug68").landmark_scale
    assert raw["scheme"]["subset5"][0] == list(range(36, 42)) and raw["scheme"]["contours"]
    assert raw["quantization_debug"] == {"float_layers": []}


def test_detector_box_rules_travel_in_the_card(card):
    """Haar's rule is `fld_tf.detect`'s measured one (1.22, shift 0.011/0.097 box widths), not the
    CUHK-box rule of `crop.box_scale` (1.61)."""
    assert card.box_rule("haar") == BoxRule(1.22, (0.011, 0.097))
    assert card.to_dict()["crop"]["detectors"]["haar"] == {"box_scale": 1.22, "box_shift": [0.011, 0.097]}
    for name, (scale, shift) in detect.BOX_RULES.items():  # e.g. MediaPipe's BlazeFace on the phone
        assert card.box_rule(name) == BoxRule(scale, tuple(shift))
    assert card.box_rule("yolo") is None


def test_shipped_card_reads_and_its_scheme_is_the_registered_one():
    shipped = model_card.read_card(SHIPPED)
    assert shipped.scheme is get_scheme("mtfl5")
    assert shipped.input.shape == (1, 112, 112, 3)
    assert shipped.crop.detectors == {name: BoxRule(s, d) for name, (s, d) in detect.BOX_RULES.items()}
    assert shipped.metrics["aflw_test"]["count"] == 2995
    assert shipped.training["data"] == "MTFL training.txt + ../helen68/trainset (pts, ibug68 -> mtfl5)"


def test_the_card_names_every_training_list():
    cfg = load_config(None, ["data.dataset=", "data.train_list=faces.csv", "data.extra_train=[{list: more, "
                             "format: csv}, {list: ../helen68/trainset, format: pts, scheme: ibug68}]"])
    assert model_card.training_data(cfg.data) == \
        "own data faces.csv + more (csv) + ../helen68/trainset (pts, ibug68 -> mtfl5)"
    assert model_card.training_data(load_config(None).data) == "MTFL training.txt"


def test_dict_era_helpers_work_on_both(card):
    raw = card.to_dict()
    for c in (card, raw):
        assert model_card.input_size(c) == 64
        assert model_card.scheme_of(c) is get_scheme("ibug68")
        assert model_card.crop_config(c) == CropConfig.for_scheme("ibug68")
    assert card["input"]["dtype"] == "uint8" and card["model_file"] == "m.int8.tflite"
    assert card["quantization_debug"] == {"float_layers": []}


def test_unknown_keys_ride_along(card):
    raw = {**card.to_dict(), "tracking": {"min_cutoff_hz": 1.0}}
    parsed = ModelCard.from_dict(raw)
    assert parsed.extra["tracking"] == {"min_cutoff_hz": 1.0} and parsed.to_dict()["tracking"] == raw["tracking"]


def _edit(path, value):
    def edit(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return edit


# (what is changed, value, the message's tail): each is a card this code cannot honour
BAD = [
    (("format",), "tflite-card", "not an fld-tf model card"),
    (("version",), 2, "card version 2 is not supported"),
    (("crop",), KeyError, "card is missing crop"),
    (("input", "pixel_range"), [0, 1], "input.pixel_range is [0, 1]; only [0, 255] is implemented"),
    (("input", "color_order"), "BGR", "input.color_order is 'BGR'; only 'RGB' is implemented"),
    (("input", "layout"), "NCHW", "input.layout is 'NCHW'; only 'NHWC' is implemented"),
    (("input", "normalization"), "mean/std", "input.normalization is 'mean/std'; only 'inside the model'"),
    (("input", "dtype"), "int8", "input.dtype 'int8' cannot be fed"),
    (("input", "shape"), [1, 3, 64, 64], "input.shape must be [1, S, S, 3], got [1, 3, 64, 64]"),
    (("input", "quantization"), {"scale": 0.0, "zero_point": 0}, "input.quantization {'scale': 0.0"),
    (("input", "quantization"), {"scale": 1.0, "zero_point": 300}, "cannot be fed to a uint8 input"),
    (("output", "shape"), [1, 10], "output.shape [1, 10] does not hold 2 x 68 values"),
    (("output", "layout"), "yx", "output.layout is 'yx'; only 'xy_interleaved' is implemented"),
    (("output", "space"), "image_pixels", "output.space is 'image_pixels'"),
    (("output", "flip_averaged"), "yes", "output.flip_averaged must be bool"),
    (("crop", "rounding"), "round-half-even", "crop.rounding is 'round-half-even'"),
    (("crop", "landmark_scale"), -1.0, "crop.landmark_scale and crop.box_scale must be > 0"),
    (("crop", "box_shift"), KeyError, "card is missing crop.box_shift"),
    (("crop", "detectors"), {"haar": {"box_scale": 1.2, "box_shift": [0.1]}}, "crop.detectors.haar must have"),
    (("scheme", "num_points"), 5, "scheme.num_points 5 but 68 point_names"),
    (("scheme", "nme_indices"), [[36], [99]], "scheme.nme_indices has an index outside 0..67"),
    (("scheme", "flip_indices"), list(range(68)), "scheme.flip_indices does not follow from scheme.flip_pairs"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[".".join(b[0]) + "=" + str(b[1])[:12] for b in BAD])
def test_cards_it_cannot_honour_are_one_line_errors(card, tmp_path, path, value, message):
    raw = copy.deepcopy(card.to_dict())
    _edit(path, value)(raw)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(CardError) as info:
        model_card.read_card(str(bad))
    text = str(info.value)
    assert text.startswith(f"{bad}: ") and message in text and "\n" not in text, text


def test_float_input_with_quantization_is_refused(card, tmp_path):
    raw = card.to_dict()
    raw["input"]["dtype"] = "float32"
    with pytest.raises(CardError, match=r"x\.json: input\.quantization .* cannot be fed to a float32 input"):
        ModelCard.from_dict(raw, "x.json")


def test_write_model_refuses_a_bad_card_and_writes_nothing(card, tmp_path):
    raw = card.to_dict()
    raw["input"]["pixel_range"] = [0, 1]
    with pytest.raises(CardError, match="m.int8.tflite: input.pixel_range"):
        model_card.write_model(str(tmp_path / "m.int8.tflite"), b"TFL3", raw)
    assert os.listdir(tmp_path) == []


def test_the_json_view_is_read_only(card):
    """Edits through `card[...]` would be lost (each read is a fresh view), so they are refused."""
    crop = card["crop"]
    with pytest.raises(TypeError, match="a ModelCard is frozen: edit card.to_dict()"):
        crop["detectors"] = {}
    with pytest.raises(TypeError):
        card["input"].update(dtype="float32")
    assert isinstance(crop, dict) and json.loads(json.dumps(crop)) == card.to_dict()["crop"]
    editable = copy.deepcopy(crop)
    editable["box_scale"] = 2.0  # a copy is a plain dict again
    assert card.crop.rule.box_scale == CropConfig.for_scheme("ibug68").box_scale
