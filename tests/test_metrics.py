"""Hand-computed checks of fld_tf.metrics; the Keras metric is checked against the numpy one."""
import numpy as np
import pytest

from fld_tf import keras_metrics, metrics
from fld_tf.schemes import SCHEMES, PointScheme, get_scheme

MTFL5 = SCHEMES["mtfl5"]

# Face A: eyes at (0, 0) and (10, 0), so the inter-ocular distance is 10.
FACE_A = np.array([[0, 0], [10, 0], [5, 5], [2, 10], [8, 10]], np.float64)
# Face B: face A doubled and moved, so its inter-ocular distance is 20.
FACE_B = 2 * FACE_A + [30, 40]


def _two_faces():
    """Face A: only the nose is off, by (6, 8) -> 10 px = 1.0 IOD; NME = 1.0 / 5 = 0.2.
    Face B: every point is off by (0.6, 0.8) -> 1 px = 0.05 IOD; NME = 0.05."""
    gt = np.stack([FACE_A, FACE_B])
    pred = gt.copy()
    pred[0, 2] += [6, 8]
    pred[1] += [0.6, 0.8]
    return pred, gt


def test_point_errors_and_nme_by_hand():
    pred, gt = _two_faces()
    np.testing.assert_allclose(metrics.point_errors(pred, gt, MTFL5),
                               [[0, 0, 1.0, 0, 0], [0.05] * 5], atol=1e-12)
    np.testing.assert_allclose(metrics.nme(pred, gt, MTFL5), [0.2, 0.05], atol=1e-12)


def test_nme_normalises_by_ground_truth_not_prediction():
    # Predicted eyes collapse onto (5, 0): each eye is 5 off -> 0.5 IOD; the others are exact.
    # NME = (0.5 + 0.5) / 5 = 0.2. Normalising by the prediction's eye distance (0) would give inf.
    pred = FACE_A.copy()
    pred[:2] = [5, 0]
    np.testing.assert_allclose(metrics.nme(pred[None], FACE_A[None], MTFL5), [0.2])


def test_per_point_error_by_hand():
    pred, gt = _two_faces()
    # Means over faces A and B: (0 + 0.05) / 2 = 0.025, nose (1.0 + 0.05) / 2 = 0.525.
    expected = [0.025, 0.025, 0.525, 0.025, 0.025]
    np.testing.assert_allclose(metrics.per_point_error(pred, gt, MTFL5), expected, atol=1e-12)


def test_group_reference_points():
    # Reference groups average points: (0, 2) -> (0, 0), (1, 3) -> (8, 6); distance 10.
    scheme = PointScheme("g4", ("a", "b", "c", "d"), (), ((0, 2), (1, 3)))
    gt = np.array([[[-1, 0], [8, 3], [1, 0], [8, 9]]], np.float64)
    pred = gt + [[[3, 4], [0, 0], [0, 0], [0, 0]]]  # one point 5 off -> 0.5; NME 0.5 / 4
    np.testing.assert_allclose(metrics.nme(pred, gt, scheme), [0.125])


def test_nme_rejects_bad_shapes_and_zero_distance():
    with pytest.raises(ValueError, match="shape"):
        metrics.nme(np.zeros((2, 5, 2)), np.zeros((2, 4, 2)), MTFL5)
    with pytest.raises(ValueError, match="shape"):
        metrics.nme(np.zeros((5, 2)), np.zeros((5, 2)), MTFL5)
    gt = np.stack([FACE_A, FACE_A])
    gt[1, 1] = gt[1, 0]  # both eyes on one spot
    with pytest.raises(ValueError, match=r"faces \[1\]"):
        metrics.nme(gt, gt, MTFL5)


def test_failure_rate_is_strictly_above_threshold():
    # 0.1 itself is not a failure; 0.1000001 and 0.3 are: 2 of 4.
    assert metrics.failure_rate([0.05, 0.1, 0.1000001, 0.3]) == 0.5
    assert metrics.failure_rate([0.05, 0.1, 0.1000001, 0.3], threshold=0.2) == 0.25
    assert metrics.failure_rate([0.0]) == 0.0
    with pytest.raises(ValueError, match="empty"):
        metrics.failure_rate([])


def test_auc_exact_step_function():
    # F(x) = 0 on [0, .02), 1/3 on [.02, .05), 2/3 on [.05, .1] (0.2 never counts).
    # Area = 1/3 * 0.03 + 2/3 * 0.05 = 0.01 + 0.1/3 = 0.13/3; divided by 0.1 -> 13/30.
    assert metrics.auc([0.02, 0.05, 0.2], 0.1) == pytest.approx(13 / 30, abs=1e-12)
    # Same errors with threshold 0.04: (1/3 * 0.02) / 0.04 = 1/6.
    assert metrics.auc([0.02, 0.05, 0.2], 0.04) == pytest.approx(1 / 6, abs=1e-12)
    assert metrics.auc([0.0, 0.0]) == 1.0
    assert metrics.auc([0.1, 0.5]) == 0.0


def test_auc_matches_integrated_ced():
    errors = np.random.default_rng(0).gamma(2.0, 0.03, size=200)
    x, y = metrics.ced(errors, 0.1, steps=200001)
    trapezoids = np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))
    assert metrics.auc(errors, 0.1) == pytest.approx(trapezoids / 0.1, abs=1e-4)


def test_ced_grid_endpoints_and_monotonic():
    errors = [0.0, 0.02, 0.05, 0.2]
    x, y = metrics.ced(errors, threshold=0.1, steps=11)
    np.testing.assert_allclose(x, np.linspace(0, 0.1, 11))
    # 0.0 counts at x = 0 (<=), 0.02 from x = 0.02, 0.05 from x = 0.05, 0.2 never.
    np.testing.assert_allclose(y, [.25, .25, .5, .5, .5, .75, .75, .75, .75, .75, .75])
    assert np.all(np.diff(y) >= 0)
    with pytest.raises(ValueError):
        metrics.ced(errors, steps=1)


def test_summarize_keys_and_values():
    pred, gt = _two_faces()
    out = metrics.summarize(pred, gt, MTFL5)
    assert set(out) == {"count", "nme_percent", "failure_rate_percent", "threshold_percent",
                        "auc_at_10", "per_point_nme_percent", "failure_rate_percent_at",
                        "nme_percent_by", "per_region_nme_percent"}
    assert out["failure_rate_percent_at"] == pytest.approx({"10": 50.0})
    assert out["nme_percent_by"] == {} and out["per_region_nme_percent"] == {}
    assert out["count"] == 2
    assert out["nme_percent"] == pytest.approx(12.5)           # (0.2 + 0.05) / 2
    assert out["failure_rate_percent"] == pytest.approx(50.0)  # 0.2 > 0.1
    assert out["threshold_percent"] == pytest.approx(10.0)
    assert out["auc_at_10"] == pytest.approx(0.25)             # (0 + (1 - 0.05 / 0.1)) / 2
    assert out["per_point_nme_percent"] == pytest.approx(
        {"left_eye": 2.5, "right_eye": 2.5, "nose_tip": 52.5, "left_mouth": 2.5,
         "right_mouth": 2.5})
    assert all(type(v) in (int, float) for k, v in out.items() if not isinstance(v, dict))
    assert "auc_at_5" in metrics.summarize(pred, gt, MTFL5, threshold=0.05)


def test_summarize_300w_protocol_on_68_points():
    """Outer-corner and pupil NME, failure at 8 and 10 %, per-region error, by hand."""
    scheme = get_scheme("ibug68")
    gt = np.random.default_rng(0).uniform(20, 80, size=(1, 68, 2))
    eye = np.array([[-1, 0], [-0.5, -0.5], [0.5, -0.5], [1, 0], [0.5, 0.5], [-0.5, 0.5]])
    gt[0, 36:42] = eye                                   # image-left eye: outer corner (-1, 0), mean (0, 0)
    gt[0, 42:48] = np.array([8, 0]) + eye               # image-right eye: inner 42 (7, 0), outer 45 (9, 0)
    pred = gt.copy()
    pred[0, 0, 0] += 2.0                                 # a jaw point, 2 px off
    pred[0, 48, 1] += 1.0                                # a mouth corner, 1 px off
    out = metrics.summarize(pred, gt, scheme)
    assert out["nme_percent"] == pytest.approx(100 * (2 / 10 + 1 / 10) / 68)       # outer corners: 10 px
    assert out["nme_percent_by"] == pytest.approx({"pupils": 100 * (2 / 8 + 1 / 8) / 68})  # pupils: 8 px
    assert out["per_region_nme_percent"] == pytest.approx(
        {"jaw": 100 * 0.2 / 17, "brows": 0.0, "nose": 0.0, "eyes": 0.0, "mouth": 100 * 0.1 / 20})
    assert out["failure_rate_percent_at"] == pytest.approx({"8": 0.0, "10": 0.0})
    pred[0, :, 0] += 0.9                                 # every point 0.9 px more: face NME ~9 %
    out = metrics.summarize(pred, gt, scheme)
    assert 8 < out["nme_percent"] < 10
    assert out["failure_rate_percent_at"] == pytest.approx({"8": 100.0, "10": 0.0})


def _random_faces(scheme, n, seed):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(0.1, 0.9, size=(n, scheme.num_points, 2))
    pred = gt + rng.normal(0, 0.03, size=gt.shape)
    return pred, gt


@pytest.mark.parametrize("scheme", [MTFL5, SCHEMES["ibug68"],
                                    PointScheme("g4", ("a", "b", "c", "d"), (), ((0, 2), (1, 3)))])
def test_keras_metric_matches_numpy(scheme):
    pred, gt = _random_faces(scheme, 24, seed=scheme.num_points)
    metric = keras_metrics.NormalizedMeanError(scheme)
    flat = lambda a: a.reshape(len(a), -1).astype(np.float32)  # noqa: E731
    # Two batches of different sizes: the result is the mean over all 24 faces.
    metric.update_state(flat(gt[:10]), flat(pred[:10]))
    metric.update_state(flat(gt[10:]), flat(pred[10:]))
    expected = metrics.nme(pred.astype(np.float32), gt.astype(np.float32), scheme).mean()
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)
    metric.reset_state()
    weights = np.r_[np.ones(5), np.zeros(19)]
    metric.update_state(flat(gt), flat(pred), sample_weight=weights)
    expected = metrics.nme(pred[:5].astype(np.float32), gt[:5].astype(np.float32), scheme).mean()
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)


def test_keras_metric_config_round_trip():
    metric = keras_metrics.NormalizedMeanError(MTFL5, name="val_nme")
    clone = keras_metrics.NormalizedMeanError.from_config(metric.get_config())
    assert clone.scheme is MTFL5 and clone.name == "val_nme"
