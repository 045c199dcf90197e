"""tf.data pipeline: augmentation geometry, flip relabelling, determinism, eval crop on real data."""
import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from fld_tf import augment, geometry, pipeline
from fld_tf.config import AugmentConfig, load_config
from fld_tf.data.sample import Sample
from fld_tf.schemes import get_scheme

MTFL5 = get_scheme("mtfl5")


def _dot_image(points, size=180):
    image = np.zeros((size, size, 3), np.uint8)
    for i, (x, y) in enumerate(points.round().astype(int)):
        image[y - 1:y + 2, x - 1:x + 2] = 255
    return image


def test_random_crop_moves_points_with_pixels():
    """Each landmark's bright 3x3 dot is found where the augmented coordinates say."""
    points = np.array([[76, 80], [104, 80], [90, 92], [79, 104], [101, 104]], np.float32)
    image = _dot_image(points)
    aug = AugmentConfig(rotation_deg=30, scale=0.2, shift=0.1, flip=0.5)
    for seed in range(8):
        out, crop = augment.random_crop(tf.constant(image), tf.constant(points), tf.constant([seed, 3]),
                                        aug, 90, 90.0, tf.constant(MTFL5.flip_indices))
        out, uv = out.numpy()[..., 0], crop.numpy() * 90 - 0.5
        inside = [(u, v) for u, v in uv if 0 <= round(u) < 90 and 0 <= round(v) < 90]
        assert len(inside) >= 3
        for u, v in inside:
            assert out[int(round(v)), int(round(u))] > 100, (seed, u, v)
        # Image-left stays image-left: after a flip the relabelled "left eye" is still left.
        assert uv[0, 0] < uv[1, 0] and uv[3, 0] < uv[4, 0]


def test_flip_relabels_by_scheme():
    points = np.array([[76, 80], [104, 80], [90, 92], [79, 104], [101, 104]], np.float32)
    aug = AugmentConfig(rotation_deg=0, scale=0, shift=0, flip=1.0)  # always mirror
    _, crop = augment.random_crop(tf.zeros([180, 180, 3], tf.uint8), tf.constant(points),
                                  tf.constant([1, 2]), aug, 90, 90.0, tf.constant(MTFL5.flip_indices))
    # Context centre 89.5, face side 90 -> u = -(x - 89.5) + 44.5 before relabelling.
    u = -(points[:, 0] - 89.5) + 44.5
    expected_u = u[MTFL5.flip_indices]
    np.testing.assert_allclose(crop.numpy()[:, 0] * 90 - 0.5, expected_u, atol=1e-3)


def test_photometric_keeps_range_and_occlusion_paints_a_rectangle():
    image = tf.fill([32, 32, 3], 128.0)
    out = augment.random_photometric(image, tf.constant([5, 6]), AugmentConfig()).numpy()
    assert out.min() >= 0 and out.max() <= 255
    occluded = augment.occlude(tf.zeros([32, 32, 3]), tf.constant([1, 1], tf.int64), 0.5).numpy()
    rows, cols = np.nonzero(occluded[..., 0] != 0)
    assert rows.size > 0
    # One axis-aligned rectangle: the painted pixels fill their bounding box exactly.
    assert rows.size == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)


def test_gaussian_blur_preserves_mean_and_smooths():
    image = np.zeros((15, 15, 3), np.float32)
    image[7, 7] = 1.0
    out = augment.gaussian_blur(tf.constant(image), tf.constant(1.0)).numpy()
    np.testing.assert_allclose(out.sum(axis=(0, 1)), [1, 1, 1], atol=1e-5)
    assert out[7, 7, 0] < 0.2 and out[7, 8, 0] > 0.05


def _real_samples(mtfl_root, n=24):
    import os
    samples = []
    with open(os.path.join(mtfl_root, "testing.txt")) as f:
        for i, line in zip(range(n), f):
            t = line.split()
            v = np.array(t[1:11], np.float32)
            samples.append(Sample(os.path.join(mtfl_root, t[0]), np.stack([v[:5], v[5:]], 1) - 1))
    return samples


def test_eval_pipeline_on_real_crops_matches_numpy_geometry(mtfl_root):
    cfg = load_config(None)
    samples = _real_samples(mtfl_root)
    arrays = pipeline.sample_arrays(samples, cfg.data.crop, "image", 0)
    np.testing.assert_allclose(arrays["square"][0], [74.5, 74.5, 150])  # AFLW crops are 150x150
    ds = pipeline.build_dataset(cfg.data, MTFL5, 96, arrays, training=False, batch_size=8)
    images, targets = next(iter(ds))
    assert images.shape == (8, 96, 96, 3)
    assert np.all(images.numpy() == np.round(images.numpy()))  # uint8 values, as on a phone
    expected = geometry.encode(samples[0].points, arrays["square"][0], 96).reshape(-1)
    np.testing.assert_allclose(targets["landmarks"].numpy()[0], expected, atol=1e-5)


def test_training_pipeline_is_deterministic_with_seed(mtfl_root):
    cfg = load_config(None, ["data.deterministic=true", "data.seed=3", "data.shuffle_buffer=16"])
    arrays = pipeline.sample_arrays(_real_samples(mtfl_root, 16), cfg.data.crop, "landmarks", 0)

    def first_batch():
        ds = pipeline.build_dataset(cfg.data, MTFL5, 64, arrays, training=True, batch_size=4)
        x, y = next(iter(ds))
        return x.numpy(), y["landmarks"].numpy()

    (x1, y1), (x2, y2) = first_batch(), first_batch()
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert x1.shape == (4, 64, 64, 3) and y1.shape == (4, 10)
    assert np.all((y1 > -0.2) & (y1 < 1.2))


def test_balance_adds_each_samples_class_weight(mtfl_root):
    cfg = load_config(None, ["data.deterministic=true", "data.shuffle_buffer=16"])
    import os
    from fld_tf.data.readers import read_list
    samples = read_list(os.path.join(mtfl_root, "testing.txt"), "mtfl").samples[:16]
    arrays = pipeline.sample_arrays(samples, cfg.data.crop, "landmarks", 4)
    table = np.array([1.0, 5.0, 6.0, 7.0, 8.0, 9.0], np.float32)  # unknown, pose 0..4
    ds = pipeline.build_dataset(cfg.data, MTFL5, 64, arrays, training=True, batch_size=16,
                                balance=(3, table))
    x, y, weight = next(iter(ds))
    pose = y["attributes"].numpy()[:, 3]
    np.testing.assert_array_equal(weight.numpy(), table[pose + 1])
    assert len(set(pose)) > 1  # the first 16 MTFL images hold several poses


def test_resample_draws_classes_at_their_acceptance_rates(mtfl_root):
    import os
    from fld_tf.data.readers import read_list
    cfg = load_config(None, ["data.deterministic=true", "data.shuffle_buffer=64"])
    samples = read_list(os.path.join(mtfl_root, "testing.txt"), "mtfl").samples[:64]
    arrays = pipeline.sample_arrays(samples, cfg.data.crop, "landmarks", 4)
    listed = np.bincount(arrays["attributes"][:, 3] + 1, minlength=6) / 64
    rare, common = int(np.argmax(listed == listed[listed > 0].min())), int(np.argmax(listed))
    accept = np.zeros(7, np.float32)  # rows: unknown, pose 0..4, above
    accept[[rare, common]] = [1.0, 0.25]  # every other class dropped
    ds = pipeline.build_dataset(cfg.data, MTFL5, 32, arrays, training=True, batch_size=64,
                                resample=(3, accept))
    pose = np.concatenate([y["attributes"].numpy()[:, 3] + 1 for _, y in ds.take(20)])
    assert set(pose) == {rare, common}
    # Kept in proportion listed share x acceptance.
    expected = listed[rare] / (listed[rare] + 0.25 * listed[common])
    assert abs(np.mean(pose == rare) - expected) < 0.05, (np.mean(pose == rare), expected)


def test_a_list_beside_a_linked_data_root_reaches_the_graph(tmp_path):
    """`<root>/../faces` where the root is a symbolic link: the OS follows the link, TensorFlow
    cleans the path lexically first (to `<root's parent>/faces`); samples carry the resolved path,
    so the checked image is the one decoded."""
    import cv2

    points = np.array([[76, 80], [104, 80], [90, 92], [79, 104], [101, 104]], np.float32)
    image = _dot_image(points)
    faces = tmp_path / "real" / "faces"
    faces.mkdir(parents=True)
    (tmp_path / "real" / "mtfl").mkdir()
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "mtfl").symlink_to(tmp_path / "real" / "mtfl")
    assert cv2.imwrite(str(faces / "a.png"), image[..., ::-1])
    (faces / "a.pts").write_text("version: 1\nn_points: 5\n{\n"
                                 + "".join(f"{x} {y}\n" for x, y in points) + "}\n")
    cfg = load_config(None)
    root = str(tmp_path / "link" / "mtfl")
    samples = pipeline.read_samples(cfg.data, root, "../faces", "pts", MTFL5)
    arrays = pipeline.sample_arrays(samples, cfg.data.crop, "landmarks")
    assert not (tmp_path / "link" / "faces").exists()  # where the lexical path points
    decoded = pipeline.decode_image(tf.constant(arrays["path"][0])).numpy()
    np.testing.assert_array_equal(decoded, image)
    np.testing.assert_array_equal(pipeline.decode_image(samples[0].image_path).numpy(), image)
