"""AFLW NME against host latency for every 5-point model given, MediaPipe's landmark model timed beside them.

Usage:
  python benchmarks/frontier.py /work/runs/frontier/session4-default.*.tflite NEW.int8.tflite \\
    --data-root ../shared/data/mtfl --label NEW.int8.tflite="wider head" \\
    --peer mediapipe=/work/venv-mp/lib/python3.11/site-packages/mediapipe/modules/face_landmark/face_landmark.tflite \\
    --out docs/frontier.png --json benchmarks/frontier.json
  python benchmarks/frontier.py --replot benchmarks/frontier.json --out docs/frontier.png   # draw only

Models are `.tflite` files with embedded cards, or folders of them; only the 5-point ones (card
scheme mtfl5) are used, others found in a folder are skipped with a note. Each is fed as its card
says (`export.parity`) on MTFL's `testing.txt`, the 2,995 AFLW crops (the whole crop is the face).
Timing: `fld_tf.runtime.latency_ms`, our models and the peers (`peers.py`) taking turns invoke
by invoke, so a busy host slows them alike; each repeat is the median of `--runs` invokes, the
figure is the median of `--repeats` repeats. Writes the JSON (measurements, date, machine,
command) and the PNG (`frontier_plot.py`), each atomically; exits 2 on bad input, 3 if LiteRT
fails (one line `error: ...`, nothing written).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import sys
from typing import Dict, List, Sequence, Tuple

import numpy as np

import peers
from frontier_plot import plot_frontier
from fld_tf import io, metrics, model_card, runtime, tflite_graph
from export import parity
from export.variants import VARIANTS

SCHEME = "mtfl5"
# AFLW-test NME (%) of other projects on the same 2,995 crops, measured on this project's machine
# (BENCHMARKS.md, "Accuracy of the default recipe"; the figures issue 13 compares against). A peer
# given with --peer is timed and drawn as a point, the others as dashed lines (no latency here).
PEER_NME = {
    "mediapipe": dict(label="MediaPipe Face Mesh", nme_percent=5.95,
                      note="its attention mesh, with the best face box chosen on the test itself",
                      plot_note="(attention mesh, best box on the test);\nx: the lighter face_landmark.tflite"),
    "dlib": dict(label="dlib 68-point predictor", nme_percent=7.22, note="no latency measured here",
                 plot_note="no latency measured"),
    "mtcnn": dict(label="mtcnn package", nme_percent=7.46, note="no latency measured here",
                  plot_note="no latency measured"),
}
Model = Tuple[str, str, bytes, model_card.ModelCard]  # (label, path, .tflite bytes, card)


def machine() -> Dict:
    """CPU model name (from /proc/cpuinfo where there is one) and core count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "arch": platform.machine()}


def load_models(paths: Sequence[str], labels: Sequence[str]) -> List[Model]:
    """The mtfl5 models the paths name, labelled by `--label FILE=TEXT` or by their file stem.

    Raises:
      ValueError: a bad `--label`, a label used twice, or no 5-point model (cards are read by
        `model_card.read_model`, whose `CardError` is a ValueError).
    """
    named = {}
    for item in labels:
        path, sep, text = item.partition("=")
        if not sep or not path or not text:
            raise ValueError(f"--label {item}: expected FILE=TEXT")
        named[os.path.abspath(path)] = (path, text)
    models = []
    for path in parity.model_files(paths):
        data, card = model_card.read_model(path)
        if card.scheme.name != SCHEME:
            print(f"note: {path} skipped: scheme {card.scheme.name}, not {SCHEME}", file=sys.stderr)
            continue
        if card.variant not in VARIANTS:
            raise ValueError(f"{path}: card variant {card.variant!r} is not one of {', '.join(VARIANTS)}")
        label = named.pop(os.path.abspath(path), (path, os.path.basename(path)[:-len(".tflite")]))[1]
        models.append((label, path, data, card))
    if named:
        raise ValueError(f"--label {next(iter(named.values()))[0]}: not one of the models given")
    if not models:
        raise ValueError(f"{', '.join(paths)}: no {SCHEME} model")
    seen = [m[0] for m in models]
    twice = next((label for label in seen if seen.count(label) > 1), None)
    if twice:
        raise ValueError(f"two models labelled {twice!r}: name them with --label FILE=TEXT")
    return models


def graph_dtypes(model: bytes) -> Tuple[str, str]:
    """(activations, weights) dtype of the first convolution, read from the flatbuffer; weights
    stored in another type and dequantised at load (MediaPipe's float16) count as that type."""
    graph = tflite_graph.read_graph(model)
    conv = next(op for op in graph.ops if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
    weights = conv.inputs[1]
    source = graph.producer(weights)
    if source is not None and source.name == "DEQUANTIZE":
        weights = source.inputs[0]
    return graph.tensors[conv.inputs[0]].dtype, graph.tensors[weights].dtype


def time_all(inputs: Dict[str, Tuple[bytes, np.ndarray]], threads: int, runs: int,
             repeats: int) -> Dict[str, List[float]]:
    """name -> per-repeat median ms of one invoke, all models interleaved (`runtime.latency_ms`)."""
    times = {name: [] for name in inputs}
    for _ in range(repeats):
        for name, ms in runtime.latency_ms(inputs, threads, runs, warmup=50).items():
            times[name].append(ms)
    return times


def measure(models: Sequence[Model], others: Dict[str, Tuple[str, bytes]], tests: parity.TestSet,
            threads: int, runs: int, repeats: int) -> Dict:
    """`models` (ours: NME on `tests`, ms, KB, dtype, ratio to each peer) and `peers` (every
    `PEER_NME` entry; those in `others` also timed) of the summary."""
    rng = np.random.default_rng(0)
    inputs = {label: (data, peers.random_input(data, rng)) for label, _, data, _ in models}
    inputs.update({name: (data, peers.random_input(data, rng)) for name, (_, data) in others.items()})
    times = time_all(inputs, threads, runs, repeats)
    ms = {name: statistics.median(t) for name, t in times.items()}
    rows = []
    for label, path, data, card in models:
        points = parity.predict_points(data, card, tests)
        nme = 100 * float(metrics.nme(points, tests.points, card.scheme).mean())
        rows.append({"label": label, "file": os.path.abspath(path), "kb": len(data) / 1024,
                     "dtype": card.variant, "integer": VARIANTS[card.variant].integer, "nme_percent": nme,
                     "ms": ms[label], "ms_repeats": times[label],
                     "ratio_to": {name: ms[label] / ms[name] for name in others}})
    peer_rows = []
    for name, facts in PEER_NME.items():
        row = {"name": name, **facts, "ms": None}
        if name in others:
            path, data = others[name]
            activations, weights = graph_dtypes(data)
            row.update(file=os.path.abspath(path), kb=len(data) / 1024, dtype=activations, weights_dtype=weights,
                       integer=activations in ("int8", "uint8"), ms=ms[name], ms_repeats=times[name])
        peer_rows.append(row)
    return {"models": rows, "peers": peer_rows}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python benchmarks/frontier.py", description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", help=".tflite files with embedded cards, or folders of them")
    parser.add_argument("--label", action="append", default=[], metavar="FILE=TEXT",
                        help="name a model's point (default: its file stem; repeatable)")
    peers.add_argument(parser)
    parser.add_argument("--data-root", default=None, help="the MTFL folder (default: $FLD_DATA/mtfl)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N test faces (0: all 2,995)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2000, help="timed invokes per model per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--note", default="", help="what else ran, for the title and the JSON")
    parser.add_argument("--out", default="docs/frontier.png", help="the figure (.png)")
    parser.add_argument("--json", default=None, help="the measurements (.json); default: --out with .json")
    parser.add_argument("--replot", default=None, metavar="JSON", help="draw a summary written before; measure nothing")
    return parser


def check_args(args) -> None:
    """Raises ValueError naming the option at fault."""
    if bool(args.models) == bool(args.replot):
        raise ValueError("give MODELS to measure, or --replot JSON to draw, not both")
    for name in (item.partition("=")[0] for item in args.peer):
        if name not in PEER_NME:
            raise ValueError(f"--peer {name}=...: no AFLW NME known for {name!r} (known: {', '.join(PEER_NME)})")
    for option in ("limit", "runs", "repeats", "threads"):
        if getattr(args, option) < (0 if option == "limit" else 1):
            raise ValueError(f"--{option} {getattr(args, option)}: out of range")
    if not args.out.endswith(".png"):
        raise ValueError(f"--out {args.out}: not a .png")


def read_summary(path: str) -> Dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"--replot {path}: {getattr(e, 'strerror', None) or e}") from None


def run(args, argv: Sequence[str]) -> Dict:
    """Measures what `args` name; returns the summary the JSON holds."""
    models = load_models(args.models, args.label)
    others = peers.read(args.peer)
    test_args = argparse.Namespace(list=None, format=None, crop=None, list_name=None, data_root=args.data_root,
                                   image_root=None, limit=args.limit)  # parity's default: MTFL's AFLW test
    tests = parity.read_tests(test_args, models[0][3].scheme)
    summary = {"date": datetime.date.today().isoformat(), "machine": machine(),
               "command": " ".join(["python benchmarks/frontier.py", *map(shlex.quote, argv)]),
               "list": {"name": tests.name, "path": tests.path, "format": tests.fmt, "crop": tests.crop,
                        "count": len(tests.samples)},
               "note": args.note, "threads": args.threads, "runs": args.runs, "repeats": args.repeats}
    summary.update(measure(models, others, tests, args.threads, args.runs, args.repeats))
    return summary


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        check_args(args)
        summary = read_summary(args.replot) if args.replot else run(args, argv)
    except (FileNotFoundError, ValueError) as e:  # CardError and DataError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # LiteRT could not run a model: one line, nothing written
        print(f"error: LiteRT failed: {' '.join(str(e).split())[:300]}", file=sys.stderr)
        return 3
    if not args.replot:
        io.write_json(args.json or args.out[:-len(".png")] + ".json", summary)
    plot_frontier(summary, args.out)
    for m in summary["models"]:
        ratios = ", ".join(f"{r:.2f}x {name}" for name, r in m["ratio_to"].items())
        print(f"{m['label']}: NME {m['nme_percent']:.2f}%, {m['ms']:.3f} ms ({ratios}), {m['kb']:.0f} KB, {m['dtype']}")
    print(f"wrote {args.out}" + ("" if args.replot else f" and {args.json or args.out[:-4] + '.json'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
