"""fld_tf.plots: files are written whole, and points land on the right pixels in the right colour."""
import os

import cv2
import numpy as np
import pytest

from fld_tf import plots
from fld_tf.schemes import SCHEMES


def test_draw_points_changes_exactly_the_disc():
    image = np.full((20, 30, 3), 7, np.uint8)
    out = plots.draw_points(image, np.array([[10.0, 5.0], [np.nan, 3.0]]), (255, 0, 0), radius=2)
    changed = np.any(out != image, axis=-1)
    yy, xx = np.mgrid[:20, :30]
    # Integer centre, radius 2: the 13 pixels with dx^2 + dy^2 <= 4; the NaN point draws nothing.
    np.testing.assert_array_equal(changed, (xx - 10) ** 2 + (yy - 5) ** 2 <= 4)
    assert np.all(out[changed] == [255, 0, 0])  # RGB in, RGB out
    assert np.all(image == 7)  # the input is not drawn on


def test_draw_points_subpixel_centre_and_grey_input():
    image = np.zeros((9, 10), np.uint8)
    out = plots.draw_points(image, np.array([[4.5, 4.0]]), (0, 255, 0), radius=1)
    assert out.shape == (9, 10, 3)
    changed = np.any(out != 0, axis=-1)
    # Centre halfway between columns 4 and 5: the disc covers both and stays within r + 0.5 of
    # (4.5, 4) (OpenCV's 1/16-pixel rasteriser is not exactly symmetric, so no more is asserted).
    yy, xx = np.mgrid[:9, :10]
    assert changed[4, 4] and changed[4, 5] and changed.sum() >= 4
    assert not np.any(changed & ((xx - 4.5) ** 2 + (yy - 4) ** 2 > 1.5 ** 2))
    with pytest.raises(ValueError, match="uint8"):
        plots.draw_points(image.astype(np.float32), np.zeros((1, 2)))


def _no_temporaries(folder):
    return [f for f in os.listdir(folder) if f.endswith(".tmp")] == []


def test_contact_sheet_size_and_file(tmp_path):
    images = [np.full((32, 32, 3), 100, np.uint8), np.zeros((16, 32), np.uint8),
              np.zeros((40, 20, 3), np.uint8)]
    points = [np.array([[5.0, 5.0]]), None, np.array([[10.0, 20.0]])]
    path = tmp_path / "sheet.png"
    sheet = plots.contact_sheet(images, points, str(path), cols=2, tile_size=64)
    assert sheet.shape == (128, 128, 3)  # 3 tiles, 2 per row -> 2 rows
    read = cv2.imread(str(path))
    assert read is not None and read.shape == (128, 128, 3)
    np.testing.assert_array_equal(read[..., ::-1], sheet)
    # Image 2 is 40 x 20 scaled by 64 / 40 = 1.6; point (10, 20) -> (10.5 * 1.6 - .5, 20.5 * 1.6 - .5)
    # = (16.3, 32.3) in tile 3 (row 1, column 0): green there, black where the image ends (x >= 32).
    assert tuple(read[64 + 32, 16]) == (0, 255, 0)
    assert tuple(read[64 + 32, 40]) == (0, 0, 0)
    assert _no_temporaries(tmp_path)
    with pytest.raises(ValueError, match="3 images but 2"):
        plots.contact_sheet(images, points[:2], str(tmp_path / "bad.png"))


@pytest.mark.parametrize("x", [3.25, 5.6])
def test_points_scale_about_pixel_corners(tmp_path, x):
    # 16 px image in a 64 px tile (scale 4): pixel centre p maps to (p + 0.5) * 4 - 0.5, so
    # (x, 9) -> (4 x + 1.5, 37.5). The disc's centroid is its centre to within OpenCV's rounding.
    sheet = plots.contact_sheet([np.zeros((16, 16, 3), np.uint8)], [np.array([[x, 9.0]])],
                                str(tmp_path / "s.png"), tile_size=64, radius=3)
    ys, xs = np.nonzero(sheet[..., 1] == 255)
    assert abs(xs.mean() - (4 * x + 1.5)) < 0.25 and abs(ys.mean() - 37.5) < 0.25


def test_prediction_grid_colours_and_label(tmp_path):
    # 32 x 32 grey crop in a 64 tile: scale 2, so pixel p maps to 2 p + 0.5; p = x.75 lands on 2x + 2.
    gt = np.array([[7.75, 15.75], [17.75, 15.75], [12.75, 19.75], [8.75, 24.75], [16.75, 24.75]])
    pred = gt + [0.0, 3.0]
    path = tmp_path / "grid.png"
    sheet = plots.prediction_grid([np.full((32, 32, 3), 128, np.uint8)] * 2,
                                  np.stack([pred, gt]), np.stack([gt, gt]), str(path),
                                  cols=8, tile_size=64)
    assert sheet.shape == (64, 128, 3)  # 2 tiles: cols clipped to 2
    read = cv2.imread(str(path))  # BGR
    assert tuple(read[32, 16]) == (0, 0, 255)       # ground truth of face 0 (16, 32): red
    assert tuple(read[32 + 6, 16]) == (0, 255, 0)   # prediction 3 px lower -> 6 tile px: green
    assert tuple(read[32, 64 + 16]) == (0, 255, 0)  # face 1: prediction drawn over ground truth
    # The label is white (anti-aliased) text in the top-left corner of every tile, on grey 128.
    for x0 in (0, 64):
        assert np.any(np.all(read[:16, x0:x0 + 64] > 200, axis=-1))
    assert _no_temporaries(tmp_path)


def test_prediction_grid_needs_a_known_scheme(tmp_path):
    points = np.zeros((1, 7, 2))
    with pytest.raises(ValueError, match="7 points"):
        plots.prediction_grid([np.zeros((8, 8, 3), np.uint8)], points, points,
                              str(tmp_path / "x.png"))
    gt = np.array([[[0, 0], [4, 0], [2, 2], [1, 4], [3, 4]]], float)
    plots.prediction_grid([np.zeros((8, 8, 3), np.uint8)], gt, gt, str(tmp_path / "y.png"),
                          scheme=SCHEMES["mtfl5"])
    assert (tmp_path / "y.png").exists()


def test_plot_ced_writes_png(tmp_path):
    path = tmp_path / "ced.png"
    rng = np.random.default_rng(0)
    plots.plot_ced({"float32": rng.gamma(2, 0.02, 50), "int8": rng.gamma(2, 0.025, 50)}, str(path))
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 300
    assert _no_temporaries(tmp_path)
    with pytest.raises(ValueError, match="empty"):
        plots.plot_ced({"none": []}, str(tmp_path / "bad.png"))
    assert not (tmp_path / "bad.png").exists() and _no_temporaries(tmp_path)
