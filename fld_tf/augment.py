"""Random training augmentation as TF graph ops (no `py_function`): geometry moves image and
points together; photometric changes touch the image only. Every op draws from a stateless seed.
"""
from __future__ import annotations

import math

import tensorflow as tf

from fld_tf import warp


def _uniform(seed, lo, hi, shape=()):
    return tf.random.stateless_uniform(shape, seed=seed, minval=lo, maxval=hi)


def random_crop(image, points, seed, aug, size: int, face_side: float, flip_indices):
    """Rotation, zoom, shift and mirror of the face square, as one resampling.

    Args:
      image: context window `(C, C, 3)` uint8 with the face square of side `face_side` centred.
      points: `(K, 2)` context pixel coordinates.

    Returns:
      `(size, size, 3)` float32 image and `(K, 2)` normalised crop coordinates.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 5)
    centre = (tf.cast(tf.shape(image)[0], tf.float32) - 1.0) / 2.0
    side = face_side * tf.exp(_uniform(seeds[0], -aug.scale, aug.scale))
    shift = _uniform(seeds[1], -aug.shift, aug.shift, [2]) * face_side
    angle = _uniform(seeds[2], -1.0, 1.0) * aug.rotation_deg * math.pi / 180.0
    mirror = _uniform(seeds[3], 0.0, 1.0) < aug.flip
    square = tf.concat([centre + shift, side[None]], axis=0)
    matrix = warp.sampling_matrix(square, size, angle, mirror)
    out = warp.warp(image, matrix, size)
    crop_points = warp.to_crop(points, matrix, size)
    # A mirrored image has its left eye where the right one was: re-label by the scheme's pairs.
    crop_points = tf.cond(mirror, lambda: tf.gather(crop_points, flip_indices), lambda: crop_points)
    return out, crop_points


def random_photometric(image, seed, aug):
    """Brightness, contrast, colour, greyscale, blur and occlusion on a `(S, S, 3)` 0..255 image."""
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64) + 7, 10)
    x = image / 255.0
    if aug.brightness:
        x = tf.image.stateless_random_brightness(x, aug.brightness, seeds[0])
    if aug.contrast:
        x = tf.image.stateless_random_contrast(x, 1 - aug.contrast, 1 + aug.contrast, seeds[1])
    if aug.saturation:
        x = tf.image.stateless_random_saturation(x, 1 - aug.saturation, 1 + aug.saturation, seeds[2])
    if aug.hue:
        x = tf.image.stateless_random_hue(x, aug.hue, seeds[3])
    x = tf.clip_by_value(x, 0.0, 1.0)
    # tf.cond, not tf.where: only the chosen branch runs, and these run on every training image.
    if aug.grayscale:
        x = tf.cond(_uniform(seeds[4], 0.0, 1.0) < aug.grayscale,
                    lambda: tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x)), lambda: x)
    if aug.blur:
        sigma = _uniform(seeds[5], 0.5, 1.5)
        x = tf.cond(_uniform(seeds[6], 0.0, 1.0) < aug.blur, lambda: gaussian_blur(x, sigma), lambda: x)
    if aug.occlusion:
        x = tf.cond(_uniform(seeds[7], 0.0, 1.0) < aug.occlusion,
                    lambda: occlude(x, seeds[8], aug.occlusion_size), lambda: x)
    return x * 255.0


def gaussian_blur(image, sigma, radius: int = 3):
    """Separable Gaussian blur of `(H, W, 3)` with a `(2 * radius + 1)` kernel."""
    t = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-(t ** 2) / (2.0 * sigma ** 2))
    k = k / tf.reduce_sum(k)
    x = image[None]
    kx = tf.tile(tf.reshape(k, [1, -1, 1, 1]), [1, 1, 3, 1])
    ky = tf.tile(tf.reshape(k, [-1, 1, 1, 1]), [1, 1, 3, 1])
    x = tf.nn.depthwise_conv2d(x, kx, [1, 1, 1, 1], "SAME")
    x = tf.nn.depthwise_conv2d(x, ky, [1, 1, 1, 1], "SAME")
    return x[0]


def occlude(image, seed, max_size: float):
    """Paints one random grey rectangle (up to `max_size` of the side) over the image."""
    seeds = tf.random.experimental.stateless_split(seed, 5)
    h = tf.cast(tf.shape(image)[0], tf.float32)
    w = tf.cast(tf.shape(image)[1], tf.float32)
    bh = _uniform(seeds[0], 0.1, max_size) * h
    bw = _uniform(seeds[1], 0.1, max_size) * w
    y0 = _uniform(seeds[2], 0.0, 1.0) * (h - bh)
    x0 = _uniform(seeds[3], 0.0, 1.0) * (w - bw)
    ys = tf.range(h)[:, None]
    xs = tf.range(w)[None, :]
    inside = (ys >= y0) & (ys < y0 + bh) & (xs >= x0) & (xs < x0 + bw)
    grey = _uniform(seeds[4], 0.0, 1.0)
    return tf.where(inside[..., None], grey, image)
