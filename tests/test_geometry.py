"""Crop rule and coordinate mapping: numpy definitions vs hand-computed values and the TF twins."""
import fld_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from fld_tf import geometry, warp
from fld_tf.config import CropConfig


def test_square_from_points_hand_computed():
    points = np.array([[10, 20], [30, 20], [20, 40]], np.float32)  # extent 20 x 20, centre (20, 30)
    sq = geometry.square_from_points(points, scale=3.0, shift=(0.1, -0.2))
    np.testing.assert_allclose(sq, [20 + 2, 30 - 4, 60])


def test_square_from_box_hand_computed():
    sq = geometry.square_from_box(np.array([10, 20, 50, 70]), scale=1.5, shift=(0.0, 0.25))
    # width 40, centre (30, 45) moved down by 0.25 * 40
    np.testing.assert_allclose(sq, [30, 55, 60])


def test_square_from_image_covers_pixel_edges():
    np.testing.assert_allclose(geometry.square_from_image(150, 100), [74.5, 49.5, 150])


def test_crop_square_auto_prefers_box_and_rejects_unknown():
    cfg = CropConfig.for_scheme("mtfl5")
    pts = np.array([[0, 0], [10, 10]], np.float32)
    box = np.array([0, 0, 10, 10], np.float32)
    np.testing.assert_allclose(geometry.crop_square("auto", cfg, pts, box),
                               geometry.square_from_box(box, cfg.box_scale, cfg.box_shift))
    np.testing.assert_allclose(geometry.crop_square("auto", cfg, pts, None),
                               geometry.square_from_points(pts, cfg.landmark_scale, cfg.landmark_shift))
    with pytest.raises(ValueError, match="needs a face box"):
        geometry.crop_square("box", cfg, pts, None)
    with pytest.raises(ValueError, match="unknown crop source 'face'"):
        geometry.crop_square("face", cfg, pts, None)


def test_whole_image_square_is_identity_on_same_size():
    sq = geometry.square_from_image(96, 96)
    m = geometry.sampling_matrix(sq, 96)
    np.testing.assert_allclose(m, np.eye(3), atol=1e-12)
    # Pixel (0, 0) centre -> 0.5 / 96; the image corner -0.5 -> 0.
    np.testing.assert_allclose(geometry.encode(np.array([[0.0, 0.0], [-0.5, -0.5]]), sq, 96),
                               [[0.5 / 96, 0.5 / 96], [0, 0]], atol=1e-7)


@pytest.mark.parametrize("angle,mirror", [(0.0, False), (0.4, False), (-0.3, True)])
def test_encode_decode_round_trip(angle, mirror):
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 200, (7, 2))
    sq = np.array([100, 90, 120], np.float32)
    n = geometry.encode(points, sq, 64, angle, mirror)
    np.testing.assert_allclose(geometry.decode(n, sq, 64, angle, mirror), points, atol=1e-3)


def test_mirror_flips_x_about_the_crop_centre():
    sq = np.array([50, 50, 100], np.float32)
    p = np.array([[30.0, 20.0]])
    a = geometry.encode(p, sq, 32)
    b = geometry.encode(p, sq, 32, mirror=True)
    np.testing.assert_allclose(b[0], [1 - a[0, 0], a[0, 1]], atol=1e-6)


@pytest.mark.parametrize("angle,mirror", [(0.0, False), (0.5, True), (-0.25, False)])
def test_tf_sampling_matrix_matches_numpy(angle, mirror):
    sq = np.array([80.5, 60.25, 77.0], np.float32)
    got = warp.sampling_matrix(tf.constant(sq), 48, tf.constant(angle), tf.constant(mirror)).numpy()
    np.testing.assert_allclose(got, geometry.sampling_matrix(sq, 48, angle, mirror), atol=1e-4)


@pytest.mark.parametrize("angle,mirror", [(0.0, False), (0.3, False), (-0.5, True)])
def test_point_lands_on_the_same_pixel_as_the_image(angle, mirror):
    """A bright dot warped with the image ends where `encode` puts its coordinates."""
    image = np.zeros((120, 140, 3), np.float32)
    dot = np.array([83.0, 47.0])
    image[47, 83] = 255.0
    sq = np.array([70, 60, 90], np.float32)
    size = 90  # 1:1 scale so the dot stays one pixel bright
    m = warp.sampling_matrix(tf.constant(sq), size, tf.constant(angle), tf.constant(mirror))
    out = warp.warp(tf.constant(image), m, size).numpy()[..., 0]
    v, u = np.unravel_index(np.argmax(out), out.shape)
    # Bilinear spreads the dot over <= 4 pixels: its weighted centre is the mapped point.
    win = out[max(v - 2, 0):v + 3, max(u - 2, 0):u + 3]
    vv, uu = np.mgrid[max(v - 2, 0):v + 3, max(u - 2, 0):u + 3]
    centre = np.array([(uu * win).sum(), (vv * win).sum()]) / win.sum()
    expected = geometry.encode(dot[None], sq, size, angle, mirror)[0] * size - 0.5
    # The centroid of a bilinearly resampled dot drifts by up to ~0.1 px under rotation; a wrong
    # pixel-centre convention would be off by 0.5 px or more.
    np.testing.assert_allclose(centre, expected, atol=0.1)
    tf_points = warp.to_crop(tf.constant(dot[None], tf.float32), m, size).numpy()
    np.testing.assert_allclose(tf_points[0] * size - 0.5, expected, atol=1e-3)


def test_warp_is_bilinear_with_black_outside():
    image = (np.arange(16, dtype=np.float32).reshape(4, 4, 1)) * 10
    m = np.eye(3, dtype=np.float32)
    m[0, 2] = 0.5  # sample half-way between columns
    out = warp.warp(tf.constant(image), tf.constant(m), 4).numpy()[..., 0]
    np.testing.assert_allclose(out[0], [5, 15, 25, 15])  # last: half of 30 and half of black
    np.testing.assert_array_equal(geometry.to_uint8(np.array([0.49, 0.5, 254.6, 300, -3])),
                                  [0, 1, 255, 255, 0])
