"""README "Train on your own data", run as written on 40 + 20 real HELEN photos with no MTFL
anywhere: `$HOME` and `$FLD_DATA` are empty folders. Training is shortened to a few steps
(`QUICK`); everything else runs as the README says, in bash, from a folder of its own. The
commands training and export print are run as printed too."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Train on your own data"
# Appended to the README's commands: a few steps of a small model instead of the full recipe, and
# no selective-int8 search (a 2-step model says nothing about it).
QUICK = {
    "python -m fld_tf.train": " -o train.epochs=1 -o train.steps_per_epoch=2 -o data.batch_size=8"
                              " -o model.input_size=64 -o model.alpha=0.35 -o train.verbose=2",
    "python -m export.tflite": " --selective 0",
}
TRAIN, TEST = 40, 20


def readme_blocks():
    """The bash blocks of the README's own-data section: `(DATA value, [command, ...])` each."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        section = f.read().split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
        assert lines[0].startswith("DATA="), lines[0]
        blocks.append([re.sub(r"\s+", " ", line).strip() for line in lines[1:]])
    return blocks


def _pts_lines(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _stems(folder, count):
    return sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".pts"))[:count]


@pytest.fixture(scope="module")
def clean_env(tmp_path_factory):
    """Empty $HOME and $FLD_DATA and an empty working folder (recipes are named, not linked)."""
    base = tmp_path_factory.mktemp("own")
    home, fld_data, work = base / "home", base / "fld_data", base / "work"
    for folder in (home, fld_data, work):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "FLD_DATA")}
    env.update(HOME=str(home), FLD_DATA=str(fld_data), PYTHONPATH=REPO,
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    return {"env": env, "work": str(work), "home": str(home), "fld_data": str(fld_data), "base": base}


def run_line(line, clean_env, data):
    """One README line in bash, as a user would paste it, `QUICK` options appended."""
    for prefix, extra in QUICK.items():
        if line.startswith(prefix):
            line += extra
    env = dict(clean_env["env"], DATA=data)
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env,
                          cwd=clean_env["work"], timeout=900)


def printed(stdout, label):
    """The command after `label:` in a CLI's closing lines."""
    found = [line.split(":", 1)[1].strip() for line in stdout.splitlines() if line.strip().startswith(label + ":")]
    assert found, f"no {label}: line in\n{stdout}"
    return found


def check_block(commands, clean_env, data, list_name, train_count, test_count):
    """Runs the five commands of a README block and checks what each one did."""
    stats, train, evaluate, export, parity = commands
    result = run_line(stats, clean_env, data)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"samples: {train_count}  skipped: 0" in result.stdout
    assert f"samples: {test_count}  skipped: 0" in result.stdout
    png = re.search(r"--out (\S+)", stats).group(1)
    assert os.path.getsize(os.path.join(clean_env["work"], png)) > 10000

    result = run_line(train, clean_env, data)
    assert result.returncode == 0, result.stderr[-3000:]
    # What training prints next comes from the run's config, and is what the README runs next.
    assert printed(result.stdout, "Evaluate") == [evaluate]
    assert printed(result.stdout, "Export") == [export]
    run_dir = os.path.join(clean_env["work"], re.search(r"--run-dir (\S+)", train).group(1))
    with open(os.path.join(run_dir, "config.yaml")) as f:
        saved = yaml.safe_load(f)["data"]
    assert saved["root"] == data and saved["dataset"] is None and saved["scheme"] == "ibug68"
    assert saved["crop"]["landmark_scale"] == 1.42  # ibug68's measured rule, not MTFL's 2.87

    result = run_line(evaluate, clean_env, data)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith(f"{list_name}: {test_count} faces  NME ")

    result = run_line(export, clean_env, data)
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: a 2-step model may miss a bound
    export_dir = os.path.join(run_dir, "export")
    report = json.load(open(os.path.join(export_dir, "parity.json")))
    assert report["list"]["name"] == list_name and report["list"]["count"] == test_count
    assert set(report["variants"]) == {"float32", "int8"}
    (rerun,) = printed(result.stdout, "Parity")
    for line in (rerun, parity):  # the gate on the custom 68-point list, as printed and as documented
        os.remove(os.path.join(export_dir, "parity.json"))
        result = run_line(line, clean_env, data)
        assert result.returncode in (0, 1), result.stderr[-3000:]
        report = json.load(open(os.path.join(export_dir, "parity.json")))
        assert report["list"]["count"] == test_count and report["variants"]["int8"]["metrics"]["count"] == test_count
        assert not [line for line in result.stderr.splitlines() if line.startswith("error")]
    # Nothing looked for MTFL, downloaded or cached anything.
    assert os.listdir(clean_env["fld_data"]) == []
    assert not os.path.exists(os.path.join(clean_env["home"], ".cache", "fld_tf"))


def test_readme_pts_example(helen_root, clean_env):
    data = clean_env["base"] / "pts_data"
    for split, count in (("trainset", TRAIN), ("testset", TEST)):
        dest = data / "helen68" / split
        dest.mkdir(parents=True)
        for i, stem in enumerate(_stems(os.path.join(helen_root, split), count)):
            shutil.copy(os.path.join(helen_root, split, stem + ".jpg"), dest)
            lines = _pts_lines(os.path.join(helen_root, split, stem + ".pts"))
            if i % 2:  # half of them as the headerless public copies are: the 68 point lines only
                lines = lines[3:-1]
            (dest / (stem + ".pts")).write_text("\n".join(lines) + "\n")
    pts_block = readme_blocks()[0]
    check_block(pts_block, clean_env, str(data), "helen_test", TRAIN, TEST)


def test_readme_csv_example(helen_root, clean_env):
    data = clean_env["base"] / "csv_data"
    (data / "images").mkdir(parents=True)
    header = "path," + ",".join(f"x{i},y{i}" for i in range(68))
    for split, count, name in (("trainset", TRAIN, "train.csv"), ("testset", TEST, "test.csv")):
        rows = [header]
        for stem in _stems(os.path.join(helen_root, split), count):
            shutil.copy(os.path.join(helen_root, split, stem + ".jpg"), data / "images")
            points = np.array([line.split() for line in _pts_lines(os.path.join(helen_root, split, stem + ".pts"))[3:-1]],
                              float) - 1.0  # .pts is 1-based, CSV 0-based
            rows.append(f"images/{stem}.jpg," + ",".join(f"{v:.3f}" for v in points.reshape(-1)))
        (data / name).write_text("\n".join(rows) + "\n")
    csv_block = readme_blocks()[1]
    check_block(csv_block, clean_env, str(data), "test", TRAIN, TEST)
