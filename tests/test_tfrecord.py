"""TFRecord shards: `pack` round trip, the in-graph crop twin, list/record parity, sharding, training."""
import csv
import json
import math
import os
import subprocess
import sys

import fld_tf  # noqa: F401
import numpy as np
import pytest
import tensorflow as tf

from fld_tf import geometry, pipeline, warp
from fld_tf.config import load_config
from fld_tf.data import tfrecord
from fld_tf.data.__main__ import main as data_main
from fld_tf.data.readers import image_size, read_list
from fld_tf.schemes import get_scheme

MTFL5 = get_scheme("mtfl5")
PINNED_VAL = [2, 4, 5, 11, 12, 14, 16, 17, 23, 28]  # is_val(0..31, fraction 0.25, seed 0)
LISTS = {"mtfl": ("training.txt", 40, 4), "cuhk": ("cuhk/trainImageList.txt", 20, 3)}


@pytest.fixture(scope="module")
def packed(mtfl_root, tmp_path_factory):
    """`{format: (list path, shard folder)}`: 40 MTFL faces in 4 shards (landmarks and attributes, no
    box) and 20 CUHK faces in 3 unequal shards (with boxes)."""
    folder = tmp_path_factory.mktemp("packed")
    for name in ("lfw_5590", "net_7876"):
        os.symlink(os.path.join(mtfl_root, name), folder / name)
    out = {}
    for fmt, (name, count, shards) in LISTS.items():
        with open(os.path.join(mtfl_root, name)) as src:
            (folder / f"{fmt}.txt").write_text("".join(next(src) for _ in range(count)))
        shard_dir = str(folder / f"{fmt}_records")
        assert data_main(["pack", str(folder / f"{fmt}.txt"), "--format", fmt, "--out", shard_dir,
                          "--shards", str(shards)]) == 0
        out[fmt] = (str(folder / f"{fmt}.txt"), shard_dir)
    return out


def _records(shard_dir):
    files = tfrecord.find_shards(shard_dir)
    rows = [tfrecord.parse(r, 5, 4) for r in tf.data.TFRecordDataset(files)]
    return sorted(({k: v.numpy() for k, v in r.items()} for r in rows), key=lambda r: r["index"])


@pytest.mark.parametrize("fmt", list(LISTS))
def test_pack_round_trip(packed, fmt):
    list_path, shard_dir = packed[fmt]
    samples = read_list(list_path, fmt).samples
    manifest = json.load(open(os.path.join(shard_dir, tfrecord.MANIFEST)))
    count, shards = LISTS[fmt][1:]
    assert manifest["records"] == count and len(tfrecord.find_shards(shard_dir)) == shards
    assert sorted(c["count"] for c in manifest["shards"].values())[-1] == math.ceil(count / shards)
    records = _records(shard_dir)
    assert [r["index"] for r in records] == list(range(count))
    for s, r in zip(samples, records):
        assert r["image"] == open(s.image_path, "rb").read()  # the file's bytes, not re-encoded
        np.testing.assert_array_equal(r["points"], s.points)
        assert bool(r["has_box"]) == (s.box is not None)
        np.testing.assert_array_equal(r["box"], s.box if s.box is not None else np.zeros(4))
        want = np.full(4, -1) if s.attributes is None else s.attributes
        np.testing.assert_array_equal(r["attributes"], want)
        assert tuple(r["size"]) == image_size(s.image_path)
        assert (r["scheme"], r["path"], r["source"]) == (b"mtfl5", s.image_path.encode(), s.source.encode())
    # The manifest's round-robin layout gives the same indices as reading the shards.
    assert sorted(tfrecord.record_indices(tfrecord.find_shards(shard_dir))) == list(range(count))


@pytest.mark.parametrize("fmt,sources", [("mtfl", ("auto", "landmarks", "image")),
                                         ("cuhk", ("auto", "box", "landmarks", "image"))])
def test_in_graph_crop_square_equals_geometry(packed, fmt, sources):
    cfg = load_config(None)
    samples = read_list(packed[fmt][0], fmt).samples
    for s, r in zip(samples, _records(packed[fmt][1])):
        for source in sources:
            got = warp.crop_square(source, cfg.data.crop, r["points"], r["box"], r["has_box"], r["size"])
            want = geometry.crop_square(source, cfg.data.crop, s.points, s.box, image_size(s.image_path))
            np.testing.assert_array_equal(got.numpy(), want, err_msg=f"{s.source} {source}")


@pytest.mark.parametrize("fmt,crop", [("mtfl", "landmarks"), ("cuhk", "auto")])
def test_record_pipeline_equals_list_pipeline(packed, fmt, crop):
    """Eval batches from shards and from the list are identical (the interleave of round-robin
    shards restores list order)."""
    cfg = load_config(None)
    samples = read_list(packed[fmt][0], fmt).samples
    arrays = pipeline.sample_arrays(samples, cfg.data.crop, crop, 4)
    from_list = pipeline.build_dataset(cfg.data, MTFL5, 64, arrays, training=False, batch_size=64)
    from_records = pipeline.build_record_dataset(cfg.data, MTFL5, 64, tfrecord.find_shards(packed[fmt][1]),
                                                 training=False, crop_source=crop, batch_size=64)
    (x1, y1), (x2, y2) = next(iter(from_list)), next(iter(from_records))
    np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    for key in ("landmarks", "attributes"):
        np.testing.assert_array_equal(y1[key].numpy(), y2[key].numpy())


def test_split_is_stable_and_counted(packed):
    files = tfrecord.find_shards(packed["mtfl"][1])
    cfg = load_config(None, ["data.val_fraction=0.25", "data.limit=32"]).data
    n_train, n_val = pipeline.record_split_counts(cfg, files)

    def images(split):
        ds = pipeline.build_record_dataset(cfg, MTFL5, 32, files, training=False, split=split, batch_size=8)
        return {x.numpy().tobytes() for x, _ in ds.unbatch()}

    train, val, everything = images("train"), images("val"), images("all")
    assert len(everything) == 32 and train | val == everything and not train & val
    assert (len(train), len(val)) == (n_train, n_val) and 2 <= n_val <= 14
    # FarmHash fingerprints are stable: the hold-out of a given seed never changes.
    assert np.flatnonzero(tfrecord.is_val(np.arange(32), 0.25, 0).numpy()).tolist() == PINNED_VAL


def test_workers_read_disjoint_shards(packed):
    """`AutoShardPolicy.FILE` finds the shard files through the whole pipeline (training included)
    and gives each of 2 workers its own records."""
    from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

    cfg = load_config(None, ["data.deterministic=true"]).data
    files = tfrecord.find_shards(packed["mtfl"][1])
    build = lambda training: pipeline.build_record_dataset(  # noqa: E731
        cfg, MTFL5, 32, files, training=training, crop_source="landmarks", batch_size=2)
    seen = []
    for worker in range(2):
        images, _ = next(iter(_AutoShardDataset(build(True), 2, worker)))  # would raise if unshardable
        assert images.shape == (2, 32, 32, 3)
        eval_ds = _AutoShardDataset(build(False), 2, worker).unbatch()
        seen.append({x.numpy().tobytes() for x, _ in eval_ds})
    assert len(seen[0]) == len(seen[1]) == 20 and not seen[0] & seen[1]


def test_pack_cli_rejects_bad_input(packed, tmp_path, capsys):
    list_path, shard_dir = packed["mtfl"]
    assert data_main(["pack", list_path, "--format", "mtfl", "--out", shard_dir, "--shards", "2"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert data_main(["pack", list_path, "--format", "mtfl", "--out", str(tmp_path / "a"), "--shards", "41"]) == 2
    assert "--shards must be between 1 and the 40 records" in capsys.readouterr().err
    # An unreadable image fails the pack half-way and leaves no folder behind.
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "broken.jpg").write_bytes(b"not an image")
    bad = tmp_path / "bad.txt"
    bad.write_text(open(list_path).read() + "junk/broken.jpg" + " 1" * 14 + "\n")
    os.symlink(os.path.join(os.path.dirname(list_path), "lfw_5590"), tmp_path / "lfw_5590")
    os.symlink(os.path.join(os.path.dirname(list_path), "net_7876"), tmp_path / "net_7876")
    assert data_main(["pack", str(bad), "--format", "mtfl", "--out", str(tmp_path / "b"), "--shards", "2"]) == 2
    assert "broken.jpg" in capsys.readouterr().err and not os.path.exists(tmp_path / "b")
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".b.")]  # no temporary left


def test_training_from_shards(mtfl_root, packed, tmp_path):
    run_dir = str(tmp_path / "run")
    result = subprocess.run(
        [sys.executable, "-m", "fld_tf.train", "--run-dir", run_dir, "--data-root", mtfl_root,
         "-o", f"data.train_list={packed['mtfl'][1]}/*.tfrecord", "-o", "data.train_format=tfrecord",
         "-o", "data.val_fraction=0.2", "-o", "data.batch_size=8", "-o", "model.input_size=64",
         "-o", "model.alpha=0.35", "-o", "train.epochs=1", "-o", "train.steps_per_epoch=3",
         "-o", "train.verbose=2", "-o", "data.eval_lists=[]", "-o", "data.shuffle_buffer=64"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    files = tfrecord.find_shards(packed["mtfl"][1])
    split = pipeline.record_split_counts(load_config(None, ["data.val_fraction=0.2"]).data, files)
    assert (metrics["train_samples"], metrics["val_samples"]) == split and metrics["optimizer_steps"] == 3
    with open(os.path.join(run_dir, "history.csv")) as f:
        row = next(csv.DictReader(f))
    assert math.isfinite(float(row["loss"])) and math.isfinite(float(row["val_loss"]))
    assert os.path.exists(os.path.join(run_dir, "model.keras"))


def test_export_calibrates_and_fine_tunes_from_shards(mtfl_root, packed):
    """A run trained on shards exports: calibration images and QAT read the same shards."""
    from export import quantize
    from fld_tf.model import build_model, landmark_model

    overrides = [f"data.train_list={packed['mtfl'][1]}", "data.train_format=tfrecord",
                 "data.val_fraction=0.2", "data.batch_size=4", "data.shuffle_buffer=16",
                 "model.input_size=64", "model.alpha=0.35", "model.attribute_head=false",
                 "export.representative_samples=12", "export.qat_epochs=1",
                 "train.steps_per_epoch=2", "train.verbose=0"]
    cfg = load_config(None, overrides)
    images = quantize.representative_images(cfg, MTFL5, mtfl_root)
    assert images.shape == (12, 64, 64, 3) and images.dtype == np.float32
    assert 0 <= images.min() < 60 and 200 < images.max() <= 255 and np.all(images == np.round(images))
    np.testing.assert_array_equal(images, quantize.representative_images(cfg, MTFL5, mtfl_root))  # seeded
    plain = quantize.representative_images(load_config(None, overrides + ["export.representative_augment=false"]),
                                           MTFL5, mtfl_root)
    assert plain.shape == images.shape and np.abs(plain - images).mean() > 5

    model = landmark_model(build_model(cfg.model, MTFL5))
    qat = quantize.quantization_aware(model, images)
    history = quantize.fine_tune(qat, cfg, MTFL5, mtfl_root)
    assert len(history["loss"]) == 1 and math.isfinite(history["loss"][0])
