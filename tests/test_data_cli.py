"""`python -m fld_tf.data stats|show` as a user runs it, on 20 real samples."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args, env=None):
    env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-m", "fld_tf.data", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


@pytest.fixture(scope="module")
def short_list(mtfl_root, tmp_path_factory):
    """The first 10 lines of training.txt (LFW, 250x250) and of testing.txt (AFLW, 150x150), CRLF.

    Line 1's left-eye x is set to -3.0 (1-based, so -4.0): one point outside the image, and that
    sample's inter-ocular distance becomes hypot(146.75 + 4, 112.25 - 107.75) = 150.82 px.
    """
    def first(name):
        with open(os.path.join(mtfl_root, name)) as f:
            return [line.strip() for line in f if line.strip()][:10]

    lines = first("training.txt") + first("testing.txt")
    fields = lines[0].split()
    assert fields[:2] == ["lfw_5590\\Aaron_Eckhart_0001.jpg", "107.250000"]
    lines[0] = " ".join([fields[0], "-3.0"] + fields[2:])
    path = tmp_path_factory.mktemp("lists") / "short.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return str(path)


def _iod(line):
    """Inter-ocular distance of an MTFL line, parsed here independently of the readers."""
    v = [float(f) for f in line.split()[1:11]]
    return float(np.hypot(v[1] - v[0], v[6] - v[5]))


def test_stats(short_list, mtfl_root, tmp_path):
    out = tmp_path / "stats.png"
    run = _run("stats", short_list, "--format", "mtfl", "--image-root", mtfl_root, "--out", str(out))
    assert run.returncode == 0, run.stderr
    with open(short_list) as f:
        lines = [line for line in f if line.strip()]
    iod = np.array([_iod(line) for line in lines])
    assert iod.max() == pytest.approx(150.82, abs=0.005)  # line 1, see short_list
    widths = np.array([250] * 10 + [150] * 10)
    p_iod = np.percentile(iod, [5, 25, 50, 75, 95])
    p_scale = np.percentile(iod / widths, [5, 25, 50, 75, 95])
    assert run.stdout.splitlines() == [
        f"== {short_list} (format mtfl, scheme mtfl5)",
        "samples: 20  skipped: 0  with box: 0  with attributes: 20",
        "image sizes: 2 distinct; width 150..250 (median 200); height 150..250 (median 200); "
        "most common 250x250 (10), 150x150 (10)",
        "inter-ocular distance (px): " + "  ".join(f"p{p} {v:.1f}" for p, v in zip((5, 25, 50, 75, 95), p_iod))
        + f"  (min {iod.min():.1f}, max 150.8)",
        "face scale (iod / image width): " + "  ".join(f"p{p} {v:.3f}" for p, v in zip((5, 25, 50, 75, 95), p_scale)),
        "points outside the image: 1 of 100 (in 1 samples)",
        f"wrote {out}",
    ]
    histogram = cv2.imread(str(out))
    assert histogram.shape == (360, 1200, 3)  # 12 x 3.6 inches at 100 dpi
    assert len(np.unique(histogram.reshape(-1, 3), axis=0)) > 20  # drawn, not blank


def test_stats_summary_stays_short_and_reads_pts_by_data_root(helen_root, tmp_path):
    """A folder of 68-point .pts given relative to --data-root or $FLD_DATA: a fixed number of
    lines however many image sizes there are."""
    helen = helen_root
    run = _run("stats", "testset", "--format", "pts", "--data-root", helen)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"== {os.path.join(helen, 'testset')} (format pts, scheme ibug68)"
    assert lines[1] == "samples: 330  skipped: 0  with box: 0  with attributes: 0"
    assert len(lines) == 6 and lines[2].startswith("image sizes: ") and " distinct; " in lines[2]
    run = _run("stats", "testset", "--format", "pts", env={"FLD_DATA": helen})
    assert run.returncode == 0 and run.stdout.splitlines()[1] == lines[1]
    run = _run("stats", "testset", "--format", "pts", "--out", str(tmp_path / "h.jpg"), env={"FLD_DATA": helen})
    assert (run.returncode, run.stderr) == (2, f"error: --out {tmp_path / 'h.jpg'}: expected a .png file name\n")


def test_show(short_list, mtfl_root, tmp_path):
    sheet_path = tmp_path / "sheet.png"
    run = _run("show", short_list, "--format", "mtfl", "--image-root", mtfl_root, "--out", str(sheet_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"wrote {sheet_path} (640x640, 16 samples)\n"
    sheet = cv2.imread(str(sheet_path))
    assert sheet.shape == (640, 640, 3)  # 16 tiles of 160 px, 4 x 4
    # Tile 0 is line 1, 250 px scaled by 0.64: its right eye (146.75, 112.25) lands at x 93.7, y 71.7,
    # drawn in point 1's colour (BGR 255, 124, 0 on the JET ramp).
    assert sheet[72, 94].tolist() == [255, 124, 0]
    assert sheet[300:320, 300:320].std() > 0  # image content, not an empty tile


def test_show_grid_follows_n(short_list, mtfl_root, tmp_path):
    run = _run("show", short_list, "--format", "mtfl", "--image-root", mtfl_root,
               "--out", str(tmp_path / "six.png"), "--n", "6")
    assert run.returncode == 0, run.stderr
    assert cv2.imread(str(tmp_path / "six.png")).shape == (320, 480, 3)  # 3 columns, 2 rows


def test_bad_list(short_list, mtfl_root, tmp_path):
    with open(short_list, "rb") as f:
        lines = f.read().decode().split("\r\n")
    lines[1] = lines[1].rsplit(" ", 1)[0]  # 14 values
    bad = tmp_path / "bad.txt"
    bad.write_bytes("\r\n".join(lines).encode())
    run = _run("stats", str(bad), "--format", "mtfl", "--image-root", mtfl_root)
    assert run.returncode == 2
    assert run.stderr == f"error: {bad}:2: expected 15 values, got 14\n"
    run = _run("show", str(bad), "--format", "mtfl", "--out", str(tmp_path / "x.png"))
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {bad}:1: image 'lfw_5590/Aaron_Eckhart_0001.jpg' not found under")
    assert not (tmp_path / "x.png").exists()
    run = _run("stats", str(bad), "--format", "mtfl", "--image-root", mtfl_root, "--on-bad", "skip")
    assert run.returncode == 0, run.stderr
    assert "samples: 19  skipped: 1" in run.stdout
    assert f"  skipped {bad}:2: expected 15 values, got 14" in run.stdout


@pytest.mark.parametrize("args, expected", [
    (["stats", "x.txt", "--format", "csv", "--data-root", "{tmp}/absent"],
     "error: {tmp}/absent: data root (--data-root / data.root) is not a folder\n"),
    (["stats", "{tmp}", "--format", "csv"], "error: {tmp}: cannot read list: Is a directory\n"),
    (["show", "missing.txt", "--format", "mtfl", "--out", "{tmp}/s.png", "--data-root", "{tmp}"],
     "error: {tmp}/missing.txt: cannot read list: No such file or directory\n"),
    (["pack", "{tmp}/nowhere", "--format", "pts", "--out", "{tmp}/rec"],
     "error: {tmp}/nowhere: no such folder of .pts files or list of them\n"),
    (["stats", "l.txt", "--format", "mtfl", "--config", "{tmp}/missing.yaml"],
     "error: {tmp}/missing.yaml: cannot read config: No such file or directory\n"),
])
def test_bad_input_is_one_line(tmp_path, args, expected):
    run = _run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert (run.returncode, run.stderr) == (2, expected.replace("{tmp}", str(tmp_path)))
    assert os.listdir(tmp_path) == []  # nothing written
