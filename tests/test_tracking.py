"""fld_tf.tracking: One-Euro numbers by hand, speeds in face sizes, the settings' round trip through a
model card, and the tracker's rules (the twins of OneEuroFilter.java and FaceTracker.java)."""
import numpy as np
import pytest

from fld_tf import tracking
from fld_tf.config import CropConfig
from fld_tf.detect import FaceDetector
from fld_tf.tracking import TRACKING, FaceTracker, OneEuroFilter, TrackingConfig

ALPHA_1HZ = 0.3858695450950375  # dt = 0.1 s, 1 Hz: tau = 1 / (2 pi), alpha = 1 / (1 + tau / dt)


def test_one_euro_filter_hand_computed():
    assert tracking.alpha(1.0, 0.1) == pytest.approx(ALPHA_1HZ, abs=1e-15)
    f = OneEuroFilter(1.0, 0.0, 1.0)
    assert f(np.array([0.0]), 0.0)[0] == 0.0               # the first sample passes
    assert f(np.array([1.0]), 0.1)[0] == pytest.approx(ALPHA_1HZ, abs=1e-6)
    assert f(np.array([1.0]), 0.2)[0] == pytest.approx(1 - (1 - ALPHA_1HZ) ** 2, abs=1e-6)  # 0.622844
    assert f(np.array([5.0]), 0.2)[0] == pytest.approx(0.622843784358224, abs=1e-6)  # same time: unchanged
    # beta = 1, three 1-D points: a rise, a still one, a fall. dxHat = alpha * (10, 0, -10) /s; one speed
    # for all, the RMS: 3.858695 * sqrt(2/3) = 3.150612; cutoff 4.150612 Hz, alpha = 1 / (1 + 0.0383446 / 0.1).
    g = OneEuroFilter(1.0, 1.0, 1.0)
    g(np.array([0.0, 3.0, 0.0]), 0.0)
    np.testing.assert_allclose(g(np.array([1.0, 3.0, -1.0]), 0.1), [0.7228309323688848, 3.0, -0.7228309323688848],
                               atol=1e-6)
    # (K, 2) points: the speed of a point is its velocity's length. Two points, one moving (10, 0)/s:
    # RMS = 3.858695 / sqrt(2) = 2.728510; cutoff 3.728510 Hz, alpha = 0.700840.
    h = OneEuroFilter(1.0, 1.0, 1.0)
    h(np.zeros((2, 2)), 0.0)
    np.testing.assert_allclose(h(np.array([[1.0, 0.0], [0.0, 0.0]]), 0.1), [[0.7008398993695872, 0.0], [0.0, 0.0]], atol=1e-6)
    g.reset()
    assert g(np.array([9.0]), 0.3)[0] == 9.0
    with pytest.raises(ValueError, match="reset"):
        g(np.array([1.0, 2.0]), 0.4)
    with pytest.raises(ValueError):
        OneEuroFilter(0.0, 0.0, 1.0)


def test_speed_is_measured_in_face_sizes():
    # scale 2 (a face twice as large): the same pixel step is half the speed. dxHat = 3.858695 px/s,
    # cutoff = 1 + 1 * 3.858695 / 2 = 2.929348 Hz, alpha = 1 / (1 + 1 / (2 pi 2.929348) / 0.1) = 0.647957.
    f = OneEuroFilter(1.0, 1.0, 1.0)
    f(np.array([0.0]), 0.0, scale=2.0)
    assert f(np.array([1.0]), 0.1, scale=2.0)[0] == pytest.approx(0.6479571695923358, abs=1e-6)
    # A face and its 4x enlargement moving alike (in face sizes) are filtered alike.
    small, large = OneEuroFilter(1.0, 5.0, 1.0), OneEuroFilter(1.0, 5.0, 1.0)
    path = np.cumsum(np.r_[0, np.full(9, 3.0)])  # px of the small face, 30 fps
    out_small = [small(np.array([x]), i / 30, scale=50.0)[0] for i, x in enumerate(path)]
    out_large = [large(np.array([4 * x]), i / 30, scale=200.0)[0] for i, x in enumerate(path)]
    np.testing.assert_allclose(np.array(out_large), 4 * np.array(out_small), rtol=1e-5)


def test_settings_round_trip_through_a_card_and_default_when_absent():
    card = {"model_file": "m.tflite", "tracking": TRACKING.to_dict()}
    assert tracking.tracking_of(card) == TRACKING
    assert card["tracking"]["beta_speed_unit"] == "crop square sides per second"
    assert card["tracking"]["speed"] == "rms_over_points"
    assert tracking.tracking_of({"model_file": "old.tflite"}) is TRACKING  # cards made before the key
    mine = TrackingConfig(min_cutoff_hz=2.0, beta=3.0, d_cutoff_hz=4.0, redetect_every=7)
    assert tracking.tracking_of({"tracking": mine.to_dict()}) == mine
    with pytest.raises(ValueError, match="m.tflite: tracking: .*min_cutoff_hz > 0"):
        tracking.tracking_of({"model_file": "m.tflite", "tracking": {**TRACKING.to_dict(), "min_cutoff_hz": 0}})
    with pytest.raises(ValueError, match="redetect_every >= 1"):
        TrackingConfig(redetect_every=0)


def test_build_card_carries_the_tracking_settings():
    from fld_tf import model_card
    from fld_tf.config import load_config
    from fld_tf.schemes import get_scheme

    cfg = load_config(None, [])
    io = {"input": {"shape": [1, 96, 96, 3], "dtype": "uint8"}, "output": {"shape": [1, 10], "dtype": "float32"}}
    card = model_card.build_card(cfg, get_scheme("mtfl5"), "m", "int8", io, {}, "run")
    assert card["tracking"] == TRACKING.to_dict()
    assert tracking.tracking_of(card) == TRACKING


BOX = np.array([10, 20, 110, 140], np.float32)
POINTS = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], np.float32)  # square side 114.8


def test_tracker_follows_face_tracker_java():
    t = FaceTracker(CropConfig.for_scheme("mtfl5"), FaceDetector.square, TrackingConfig(redetect_every=3))
    assert t.needs_detection()
    first = t.choose_crop(BOX, True)
    np.testing.assert_array_equal(first, FaceDetector.square(BOX))
    assert t.update(POINTS, first) and not t.needs_detection()
    second = t.choose_crop(None, False)              # frame 1: from frame 0's landmarks
    # extent 40: centre (50, 60) + (0.024, 0.043) x 40, side 2.87 x 40
    np.testing.assert_allclose(second, [50.96, 61.72, 114.8], atol=1e-3)
    assert t.update(POINTS, second) and not t.needs_detection()
    t.update(POINTS, t.choose_crop(None, False))     # frame 2: tracked
    assert t.needs_detection()                       # frame 3: detect again
    elsewhere = np.array([400, 20, 500, 140], np.float32)
    np.testing.assert_array_equal(t.choose_crop(elsewhere, True), FaceDetector.square(elsewhere))
    assert t.tracked is None                         # a face elsewhere restarts from its box
    collapsed = np.array([[60, 80], [61, 80], [60, 81], [61, 81], [60.5, 80.5]], np.float32)
    assert not t.update(collapsed, first) and t.needs_detection()
    assert t.choose_crop(None, True) is None         # detector ran and found nothing


def test_plausible_step_limits():
    old = np.array([100, 100, 100], np.float32)
    assert tracking.plausible_step(old, np.array([134, 100, 149], np.float32))      # 0.34 side, 1.49x
    assert not tracking.plausible_step(old, np.array([136, 100, 100], np.float32))  # 0.36 side
    assert not tracking.plausible_step(old, np.array([100, 100, 150], np.float32))  # 1.5x
    assert not tracking.plausible_step(old, np.array([100, 100, 66], np.float32))   # 1 / 1.515
    assert tracking.plausible_step(old, np.array([136, 100, 100], np.float32), TrackingConfig(max_shift=0.37))
