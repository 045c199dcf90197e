"""List readers: every format on small files with the real quirks, bad input, and the real lists."""
import os

import cv2
import numpy as np
import pytest

from fld_tf.data.readers import FORMATS, read_list, samples_to_arrays
from fld_tf.data.sample import DataError, Sample

# MTFL line, 1-based: x1..x5 y1..y5 gender smile glasses pose.
MTFL_LINE = "11.5 31.5 21.5 13.5 29.5 21.0 21.0 31.0 41.0 41.0 1 2 2 3"
# The same points, 0-based, (x, y) per point.
POINTS = [[10.5, 20.0], [30.5, 20.0], [20.5, 30.0], [12.5, 40.0], [28.5, 40.0]]


def _image(path, width=100, height=80):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), np.full((height, width, 3), 128, np.uint8))
    return str(path)


def _write(path, lines, newline="\r\n", tail=""):
    """Writes lines byte-exact (CRLF by default), as the real lists are."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write((newline.join(lines) + newline + tail).encode())
    return str(path)


@pytest.fixture
def mtfl_dir(tmp_path):
    _image(tmp_path / "lfw_5590" / "a.jpg")
    _image(tmp_path / "lfw_5590" / "b.jpg")
    return tmp_path


def test_formats_listed():
    assert FORMATS == ("mtfl", "cuhk", "pts", "wflw", "csv")


def test_mtfl_quirks_and_one_based(mtfl_dir):
    # First line without, later lines with a leading space; backslashes; CRLF; a trailing " ".
    path = _write(mtfl_dir / "training.txt",
                  [f"lfw_5590\\a.jpg {MTFL_LINE}", f" lfw_5590\\b.jpg {MTFL_LINE.replace('11.5', '12.0')}"],
                  tail=" ")
    result = read_list(path, "mtfl")
    assert result.skipped == []
    a, b = result.samples
    assert a.image_path == str(mtfl_dir / "lfw_5590" / "a.jpg")
    assert a.points.dtype == np.float32 and a.points.shape == (5, 2)
    np.testing.assert_array_equal(a.points, POINTS)
    assert b.points[0, 0] == 11.0
    assert a.box is None
    # gender 1 smile 2 glasses 2 pose 3 in the file: 1-based codes become 0-based class indices.
    np.testing.assert_array_equal(a.attributes, [0, 1, 1, 2])
    assert a.attributes.dtype == np.int32
    assert a.source == f"{path}:1" and b.source == f"{path}:2"


def test_cuhk_paths_from_parent_folder(mtfl_dir):
    # Lists live in cuhk/, image paths start at the dataset root.
    path = _write(mtfl_dir / "cuhk" / "testImageList.txt",
                  ["lfw_5590\\a.jpg 5 35 8 48 10.5 20.0 30.5 20.0 20.5 30.0 12.5 40.0 28.5 40.0",
                   "lfw_5590/b.jpg 6 36 9 49 11 21 31 21 21 31 13 41 29 41"])
    a, b = read_list(path, "cuhk").samples
    assert a.image_path == str(mtfl_dir / "lfw_5590" / "a.jpg")
    np.testing.assert_array_equal(a.points, POINTS)
    np.testing.assert_array_equal(a.box, [5, 8, 35, 48])  # (left, top, right, bottom)
    assert a.box.dtype == np.float32 and a.attributes is None
    np.testing.assert_array_equal(b.points[4], [29, 41])


def test_image_root_overrides_list_folder(mtfl_dir, tmp_path):
    path = _write(tmp_path / "lists" / "l.txt", [f"lfw_5590\\a.jpg {MTFL_LINE}"])
    assert read_list(path, "mtfl", image_root=str(mtfl_dir)).samples[0].image_path == \
        str(mtfl_dir / "lfw_5590" / "a.jpg")


def test_pts_folder_recursive(tmp_path):
    lines = ["version: 1", "n_points:  68", "{"] + [f"{i + 1} {2 * i + 1}" for i in range(68)] + ["}"]
    _write(tmp_path / "300w" / "sub" / "img1.pts", lines)
    _image(tmp_path / "300w" / "sub" / "img1.png", 200, 200)
    (sample,) = read_list(str(tmp_path / "300w"), "pts").samples
    assert sample.image_path == str(tmp_path / "300w" / "sub" / "img1.png")
    assert sample.points.shape == (68, 2)
    np.testing.assert_array_equal(sample.points[0], [0, 0])
    np.testing.assert_array_equal(sample.points[67], [67, 134])
    assert sample.source.endswith("img1.pts:1")


def test_pts_folder_given_relative_to_the_working_directory(tmp_path, monkeypatch):
    """`../data/300w` from another folder: the image beside each .pts is found once, not joined
    to the folder a second time (`.../300w/../data/300w/img1.jpg`)."""
    lines = [f"{i + 1} {i + 1}" for i in range(68)]
    _write(tmp_path / "data" / "300w" / "img1.pts", lines)
    _image(tmp_path / "data" / "300w" / "img1.jpg", 100, 100)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    (sample,) = read_list(os.path.join("..", "data", "300w"), "pts").samples
    assert sample.image_path == str(tmp_path / "data" / "300w" / "img1.jpg")


def test_wflw(tmp_path):
    _image(tmp_path / "WFLW_images" / "51--Dresses" / "x.jpg", 200, 200)
    coords = " ".join(f"{i}.5 {i / 2}" for i in range(98))
    path = _write(tmp_path / "list_98pt_rect_attr_test.txt",
                  [f"{coords} 1 2 90 95 0 1 0 0 1 0 WFLW_images/51--Dresses/x.jpg"], newline="\n")
    (sample,) = read_list(path, "wflw").samples
    assert sample.points.shape == (98, 2)
    np.testing.assert_array_equal(sample.points[97], [97.5, 48.5])
    np.testing.assert_array_equal(sample.box, [1, 2, 90, 95])
    # pose expression illumination makeup occlusion blur
    np.testing.assert_array_equal(sample.attributes, [0, 1, 0, 0, 1, 0])


def test_csv_with_header(tmp_path):
    _image(tmp_path / "a.jpg")
    path = _write(tmp_path / "l.csv", ["path,x0,y0,x1,y1,x2,y2,x3,y3,x4,y4", "a.jpg, 1,2,3,4,5,6,7,8,9,10", ""])
    (sample,) = read_list(path, "csv").samples
    np.testing.assert_array_equal(sample.points, [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
    assert sample.box is None and sample.attributes is None


@pytest.mark.parametrize("line, message", [
    (f"lfw_5590\\b.jpg {MTFL_LINE[:-2]}", "bad.txt:2: expected 15 values, got 14"),
    (f"lfw_5590\\b.jpg {MTFL_LINE} 7", "bad.txt:2: expected 15 values, got 16"),
    (f"lfw_5590\\b.jpg {MTFL_LINE.replace('31.5', 'abc', 1)}", "bad.txt:2: non-numeric value 'abc' in field 3"),
    (f"lfw_5590\\b.jpg nan {MTFL_LINE[5:]}", "bad.txt:2: non-finite value 'nan' in field 2"),
    (f"lfw_5590\\b.jpg {MTFL_LINE.replace('41.0 41.0', '41.0 inf')}", "bad.txt:2: non-finite value 'inf' in field 11"),
    (f"lfw_5590\\b.jpg {MTFL_LINE[:-1]}2.5", "bad.txt:2: attributes must be integers"),
    (f"lfw_5590\\missing.jpg {MTFL_LINE}", "bad.txt:2: image not found: "),
])
def test_bad_line_names_file_and_line(mtfl_dir, line, message):
    path = _write(mtfl_dir / "bad.txt", [f"lfw_5590\\a.jpg {MTFL_LINE}", line])
    with pytest.raises(DataError) as info:
        read_list(path, "mtfl")
    assert message in str(info.value)


def test_first_image_nowhere(mtfl_dir):
    path = _write(mtfl_dir / "cuhk" / "l.txt", [f"nope.jpg {MTFL_LINE}"])
    with pytest.raises(DataError) as info:
        read_list(path, "mtfl")
    assert str(info.value) == (f"{path}:1: image 'nope.jpg' not found under {mtfl_dir / 'cuhk'} or {mtfl_dir}; "
                               "pass image_root")


def test_far_outside_only_with_check_images(mtfl_dir):
    # The image is 100x80: x may reach 100 + 50% of 100 = 150. 0-based 160 is beyond, 140 is not.
    far = f"lfw_5590\\b.jpg {MTFL_LINE.replace('11.5', '161')}"
    near = f"lfw_5590\\a.jpg {MTFL_LINE.replace('11.5', '141')}"
    path = _write(mtfl_dir / "out.txt", [near, far])
    assert len(read_list(path, "mtfl").samples) == 2
    with pytest.raises(DataError) as info:
        read_list(path, "mtfl", check_images=True)
    assert "out.txt:2: point 0 (160.0, 20.0) is far outside the 100x80 image" in str(info.value)


@pytest.mark.parametrize("lines", [[], ["", "  ", " "]])
def test_empty_list(tmp_path, lines):
    path = _write(tmp_path / "empty.txt", lines)
    with pytest.raises(DataError, match=r"empty\.txt: no records \(empty list\)"):
        read_list(path, "mtfl")


def test_unknown_format_and_scheme_mismatch(mtfl_dir):
    path = _write(mtfl_dir / "l.txt", [f"lfw_5590\\a.jpg {MTFL_LINE}"])
    with pytest.raises(DataError, match=r"l\.txt: unknown list format 'xml'; known: mtfl, cuhk, pts, wflw, csv"):
        read_list(path, "xml")
    with pytest.raises(DataError, match="format 'mtfl' has 5 points, scheme 'ibug68' has 68"):
        read_list(path, "mtfl", scheme="ibug68")
    with pytest.raises(DataError, match=r"missing\.txt: cannot read list"):
        read_list(str(mtfl_dir / "missing.txt"), "mtfl")


def test_pts_errors_name_the_line(tmp_path):
    lines = ["version: 1", "n_points: 68", "{"] + ["1 2"] * 68 + ["}"]
    for name in ("a", "c"):
        _image(tmp_path / f"{name}.jpg")
    _write(tmp_path / "a.pts", lines[:10] + ["3 x"] + lines[11:])
    _write(tmp_path / "b.pts", lines)  # no image beside it
    _write(tmp_path / "c.pts", lines)
    with pytest.raises(DataError, match=r"a\.pts:11: non-numeric value 'x' in field 2"):
        read_list(str(tmp_path), "pts")
    result = read_list(str(tmp_path), "pts", on_bad="skip")
    assert [s.source for s in result.samples] == [f"{tmp_path / 'c.pts'}:1"]
    assert result.skipped == [(f"{tmp_path / 'a.pts'}:11", "non-numeric value 'x' in field 2"),
                              (f"{tmp_path / 'b.pts'}:1", "no image beside it (b{.jpg,.png,.jpeg})")]
    _write(tmp_path / "d" / "d.pts", lines[:1] + ["n_points: 5"] + lines[2:])
    with pytest.raises(DataError, match=r"d\.pts:2: n_points is 5, the scheme has 68 points"):
        read_list(str(tmp_path / "d"), "pts")


def test_skip_mode_counts(mtfl_dir):
    path = _write(mtfl_dir / "mixed.txt", [
        f"lfw_5590\\a.jpg {MTFL_LINE}",
        f"lfw_5590\\a.jpg {MTFL_LINE[:-2]}",
        "",
        f"lfw_5590\\gone.jpg {MTFL_LINE}",
        f" lfw_5590\\b.jpg {MTFL_LINE}",
        f"lfw_5590\\b.jpg x {MTFL_LINE[5:]}",
    ])
    result = read_list(path, "mtfl", on_bad="skip")
    assert [s.source for s in result.samples] == [f"{path}:1", f"{path}:5"]
    assert [source for source, _ in result.skipped] == [f"{path}:2", f"{path}:4", f"{path}:6"]
    assert result.skipped[0][1] == "expected 15 values, got 14"


def test_all_skipped_is_an_error(mtfl_dir):
    path = _write(mtfl_dir / "bad.txt", [f"lfw_5590\\a.jpg {MTFL_LINE[:-2]}"] * 3)
    with pytest.raises(DataError, match=r"bad\.txt: all 3 records were skipped, first: .*bad\.txt:1: expected 15"):
        read_list(path, "mtfl", on_bad="skip")


def test_samples_to_arrays():
    points = np.arange(10, dtype=np.float32).reshape(5, 2)
    arrays = samples_to_arrays([
        Sample("/a.jpg", points, np.array([1, 2, 3, 4], np.float32), None),
        Sample("/b.jpg", points + 1, None, np.array([1, 2, 2, 3], np.int32)),
    ])
    assert arrays["paths"].tolist() == ["/a.jpg", "/b.jpg"]
    assert arrays["points"].shape == (2, 5, 2) and arrays["points"].dtype == np.float32
    assert arrays["points"][1, 4, 1] == 10.0
    np.testing.assert_array_equal(arrays["boxes"][0], [1, 2, 3, 4])
    assert np.isnan(arrays["boxes"][1]).all()
    np.testing.assert_array_equal(arrays["has_box"], [True, False])
    np.testing.assert_array_equal(arrays["attributes"], [[-1, -1, -1, -1], [1, 2, 2, 3]])
    assert arrays["attributes"].dtype == np.int32
    samples = [Sample("/a.jpg", points, None, None), Sample("/b.jpg", points, None, np.array([1, 0, 1, 4], np.int32))]
    np.testing.assert_array_equal(samples_to_arrays(samples, 2)["attributes"], [[-1, -1], [1, 0]])
    np.testing.assert_array_equal(samples_to_arrays(samples, 6)["attributes"],
                                  [[-1] * 6, [1, 0, 1, 4, -1, -1]])


# --- the real lists -------------------------------------------------------------------------------

REAL_LISTS = [("training.txt", "mtfl", 10000), ("testing.txt", "mtfl", 2995),
              ("cuhk/trainImageList.txt", "cuhk", 10000), ("cuhk/testImageList.txt", "cuhk", 3466)]


@pytest.fixture(scope="module")
def real(mtfl_root):
    return {name: read_list(os.path.join(mtfl_root, name), fmt) for name, fmt, _ in REAL_LISTS}


@pytest.mark.parametrize("name, fmt, count", REAL_LISTS)
def test_real_counts(real, name, fmt, count):
    assert len(real[name].samples) == count and real[name].skipped == []


def test_real_first_samples(real, mtfl_root):
    first = real["training.txt"].samples[0]
    assert first.image_path == os.path.join(mtfl_root, "lfw_5590", "Aaron_Eckhart_0001.jpg")
    # File: x 107.25 147.75 126.25 106.25 140.75, y 108.75 113.25 143.75 158.75 162.75 (1-based).
    np.testing.assert_array_equal(first.points, [[106.25, 107.75], [146.75, 112.25], [125.25, 142.75],
                                                 [105.25, 157.75], [139.75, 161.75]])
    np.testing.assert_array_equal(first.attributes, [0, 1, 1, 2])  # file: 1 2 2 3
    aflw = real["testing.txt"].samples[0]
    assert aflw.image_path == os.path.join(mtfl_root, "AFLW", "0001-image20056.jpg")
    np.testing.assert_allclose(aflw.points[0], [55.607985, 42.250454], atol=1e-5)
    cuhk = real["cuhk/testImageList.txt"].samples[0]
    assert cuhk.image_path == os.path.join(mtfl_root, "lfw_5590", "Abbas_Kiarostami_0001.jpg")
    np.testing.assert_array_equal(cuhk.box, [75, 87, 165, 177])
    np.testing.assert_array_equal(cuhk.points[2], [131.25, 127.25])


def test_real_mtfl_is_cuhk_plus_one(real):
    # The same image from both lists: MTFL's 1-based offset removed, the points agree.
    mtfl = {s.image_path: s.points for s in real["training.txt"].samples}
    cuhk = real["cuhk/trainImageList.txt"].samples[16]
    assert cuhk.image_path.endswith("Abner_Martinez_0001.jpg")
    np.testing.assert_allclose(mtfl[cuhk.image_path], cuhk.points, atol=1e-4)
    np.testing.assert_array_equal(cuhk.points[0], [105.25, 115.25])


# --- .pts with and without header, lists of .pts, images checked --------------------------------

def _helen_copy(helen_root, dest, stem, header=True, image=True):
    """A real HELEN photo and its .pts in `dest`; without the 300-W header and braces if asked."""
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(helen_root, "trainset", stem + ".pts")) as f:
        lines = [line.strip() for line in f if line.strip()]
    assert lines[:3] == ["version: 1", "n_points:  68", "{"] and lines[-1] == "}"
    body = lines if header else lines[3:-1]
    with open(os.path.join(dest, stem + ".pts"), "w") as f:
        f.write("\n".join(body) + "\n")
    if image:
        import shutil
        shutil.copy(os.path.join(helen_root, "trainset", stem + ".jpg"), dest)
    return (np.array([line.split() for line in lines[3:-1]], np.float64) - 1.0).astype(np.float32)


def _helen_stems(helen_root, n):
    return sorted(f[:-4] for f in os.listdir(os.path.join(helen_root, "trainset")) if f.endswith(".pts"))[:n]


def test_pts_with_and_without_header_read_alike(helen_root, tmp_path):
    a, b = _helen_stems(helen_root, 2)
    want_a = _helen_copy(helen_root, tmp_path / "set", a, header=True)
    want_b = _helen_copy(helen_root, tmp_path / "set", b, header=False)
    sa, sb = read_list(str(tmp_path / "set"), "pts", check_images=True).samples
    np.testing.assert_array_equal(sa.points, want_a)
    np.testing.assert_array_equal(sb.points, want_b)
    assert sb.image_path == str(tmp_path / "set" / f"{b}.jpg") and sb.source == f"{tmp_path / 'set' / b}.pts:1"
    # The real file's first point, 1-based in the file: 0-based here.
    with open(os.path.join(helen_root, "trainset", a + ".pts")) as f:
        x, y = (float(v) for v in f.read().splitlines()[3].split())
    np.testing.assert_allclose(sa.points[0], [x - 1, y - 1], atol=1e-4)


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:-1], r"\.pts:3: unbalanced '\{' / '\}'"),               # "{" without "}"
    (lambda lines: lines[3:], r"\.pts:69: unbalanced '\{' / '\}'"),               # "}" without "{"
    (lambda lines: lines[3:-2], r"\.pts:1: expected 68 point lines 'x y', got 67"),
    (lambda lines: lines[:1] + ["n_points: 5"] + lines[2:], r"\.pts:2: n_points is 5, the scheme has 68 points"),
    (lambda lines: [], r"\.pts:1: empty \.pts file"),
])
def test_pts_layout_errors_name_the_line(helen_root, tmp_path, edit, message):
    (stem,) = _helen_stems(helen_root, 1)
    _helen_copy(helen_root, tmp_path, stem)
    path = tmp_path / f"{stem}.pts"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    with pytest.raises(DataError, match=message):
        read_list(str(tmp_path), "pts")


def test_pts_list_file_names_a_split(helen_root, tmp_path):
    """A list of .pts (or image) paths, relative to the list: the split is the list, not the folder."""
    stems = _helen_stems(helen_root, 3)
    for stem in stems:
        _helen_copy(helen_root, tmp_path / "all", stem, header=stem != stems[1])
    split = _write(tmp_path / "val.txt", [f"all/{stems[2]}.jpg", "", f"all/{stems[0]}.pts"], newline="\n")
    a, b = read_list(split, "pts", check_images=True).samples
    assert a.image_path == str(tmp_path / "all" / f"{stems[2]}.jpg") and a.source == f"{split}:1"
    assert b.image_path == str(tmp_path / "all" / f"{stems[0]}.jpg") and b.source == f"{split}:3"
    assert len(read_list(str(tmp_path / "all"), "pts").samples) == 3  # the folder still reads whole
    bad = _write(tmp_path / "bad.txt", [f"all/{stems[0]}.pts", "all/missing.pts"], newline="\n")
    with pytest.raises(DataError, match=r"bad\.txt:2: image not found: .*all/missing\.pts"):
        read_list(bad, "pts")
    (tmp_path / "all" / "lonely.jpg").write_bytes(b"")
    orphan = _write(tmp_path / "orphan.txt", ["all/lonely.jpg"], newline="\n")
    with pytest.raises(DataError, match=r"orphan\.txt:1: no \.pts file .*lonely\.pts for this image"):
        read_list(orphan, "pts")
    (tmp_path / "all" / f"{stems[1]}.pts").write_text("1 2\n")
    broken = _write(tmp_path / "broken.txt", [f"all/{stems[1]}.pts"], newline="\n")
    with pytest.raises(DataError, match=rf"broken\.txt:1: .*{stems[1]}\.pts:1: expected 68 point lines"):
        read_list(broken, "pts")
    with pytest.raises(DataError, match=r"nowhere: no such folder of \.pts files or list of them"):
        read_list(str(tmp_path / "nowhere"), "pts")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: no \.pts files in this folder"):
        read_list(str(tmp_path / "empty"), "pts")


@pytest.fixture
def bad_images(mtfl_root, tmp_path):
    """A list of 4 real MTFL photos (copied), then a zero-byte, a truncated and a corrupt one."""
    import shutil
    with open(os.path.join(mtfl_root, "training.txt")) as f:
        lines = [line.strip() for line in f if line.strip()][:4]
    folder = tmp_path / "lfw_5590"
    folder.mkdir()
    names = []
    for line in lines:
        name = line.split()[0].split("\\")[-1]
        shutil.copy(os.path.join(mtfl_root, "lfw_5590", name), folder / name)
        names.append(name)
    data = (folder / names[1]).read_bytes()
    (folder / names[1]).write_bytes(b"")                       # zero bytes
    (folder / names[2]).write_bytes(data[:len(data) // 2])     # cut in the middle of the scan
    corrupt = bytearray(data)
    corrupt[2:40] = b"\x00" * 38                               # header destroyed
    (folder / names[3]).write_bytes(bytes(corrupt))
    path = _write(tmp_path / "list.txt", lines)
    return path, [str(folder / n) for n in names]


def test_bad_images_are_found_before_training(bad_images):
    path, images = bad_images
    assert len(read_list(path, "mtfl").samples) == 4  # without the check the list looks fine
    with pytest.raises(DataError) as info:
        read_list(path, "mtfl", check_images=True)
    assert str(info.value) == f"{path}:2: {images[1]}: empty image file (0 bytes)"
    result = read_list(path, "mtfl", check_images=True, on_bad="skip")
    assert [s.image_path for s in result.samples] == images[:1]
    (l2, r2), (l3, r3), (l4, r4) = result.skipped
    assert (l2, l3, l4) == (f"{path}:2", f"{path}:3", f"{path}:4")
    assert r3.startswith(f"{images[2]}: cannot decode image: image file is truncated")
    assert r4.startswith(f"{images[3]}: cannot decode image: cannot identify image file")


def test_outside_tolerance_just_inside_and_just_outside(mtfl_dir):
    # 100x80 image, OUTSIDE_TOLERANCE 0.5: x may lie in [-50, 150], y in [-40, 120] (0-based).
    from fld_tf.data.readers import OUTSIDE_TOLERANCE
    assert OUTSIDE_TOLERANCE == 0.5
    cases = [("151.1", True), ("151.0", False), ("-49.0", False), ("-49.1", True)]  # 1-based x of point 0
    for x, far in cases:
        path = _write(mtfl_dir / "t.txt", [f"lfw_5590\\a.jpg {MTFL_LINE.replace('11.5', x, 1)}"])
        if not far:
            assert len(read_list(path, "mtfl", check_images=True).samples) == 1, x
            continue
        with pytest.raises(DataError) as info:
            read_list(path, "mtfl", check_images=True)
        x0 = float(x) - 1
        assert str(info.value) == (
            f"{path}:1: point 0 ({x0:.1f}, 20.0) is far outside the 100x80 image {mtfl_dir / 'lfw_5590' / 'a.jpg'} "
            "(more than OUTSIDE_TOLERANCE = 50% of the image size beyond its border: an annotation "
            "error, not a face partly out of frame)")
    # y: 80 x 1.5 = 120 is the last row allowed.
    path = _write(mtfl_dir / "y.txt", [f"lfw_5590\\a.jpg {MTFL_LINE.replace('21.0 21.0 31.0', '121.0 21.0 31.0', 1)}"])
    assert read_list(path, "mtfl", check_images=True).samples[0].points[0, 1] == 120.0
    path = _write(mtfl_dir / "y.txt", [f"lfw_5590\\a.jpg {MTFL_LINE.replace('21.0 21.0 31.0', '121.5 21.0 31.0', 1)}"])
    with pytest.raises(DataError, match=r"point 0 \(10\.5, 120\.5\) is far outside"):
        read_list(path, "mtfl", check_images=True)


def test_far_point_of_a_pts_names_its_own_line(helen_root, tmp_path):
    a, b, c = _helen_stems(helen_root, 3)
    _helen_copy(helen_root, tmp_path / "set", a, header=False)
    _helen_copy(helen_root, tmp_path / "set", b)
    _helen_copy(helen_root, tmp_path / "set", c)
    for stem, line in ((a, 31), (b, 34)):  # point 30: line 31 without the header, 34 with it
        path = tmp_path / "set" / f"{stem}.pts"
        lines = path.read_text().splitlines()
        lines[line - 1] = "-900 10"
        path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"set/{a}\.pts:31: point 30 \(-901\.0, 9\.0\) is far outside"):
        read_list(str(tmp_path / "set"), "pts", check_images=True)
    listed = _write(tmp_path / "l.txt", [f"set/{b}.jpg"], newline="\n")
    with pytest.raises(DataError, match=rf"l\.txt:1: .*set/{b}\.pts:34: point 30 \(-901\.0, 9\.0\) is far"):
        read_list(listed, "pts", check_images=True)
    result = read_list(str(tmp_path / "set"), "pts", check_images=True, on_bad="skip")
    assert [s.image_path for s in result.samples] == [str(tmp_path / "set" / f"{c}.jpg")]
    assert [s for s, _ in result.skipped] == [f"{tmp_path / 'set' / a}.pts:31", f"{tmp_path / 'set' / b}.pts:34"]
