"""The accuracy/latency frontier figure (matplotlib, Agg), drawn from `frontier.py`'s summary.

x is host ms per face, y the AFLW NME %: lower-left is better. Marker area is proportional to
the file size; integer models are filled, float models hollow. Peers without a measured time
are horizontal dashed lines at their NME. The variants of one network (files `NAME.VARIANT.tflite`
side by side) are joined by a light line of their colour, so a float model and its int8 twin read as one.
"""
from typing import Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")  # no display on benchmark machines; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from fld_tf.io import atomic_path  # noqa: E402

OURS, PEER = "tab:blue", "tab:orange"
LINE_COLORS = ("tab:red", "tab:green", "tab:purple", "tab:brown")
AREA_PER_KB = 0.4        # marker area in pt^2 per KB: 1 MB is a disc of about 23 pt
SIZE_KEYS_KB = (500, 1000, 2000)
FIGSIZE, DPI = (8.0, 5.6), 110   # 880 x 616 px: readable at README width
# Label offsets (points) tried in turn: right, left, above, below, then the diagonals.
PLACES = ((1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
          (0, -1, "center", "top"), (1, 1, "left", "bottom"), (1, -1, "left", "top"),
          (-1, 1, "right", "bottom"), (-1, -1, "right", "top"))
DISTANCES = (0, 20, 40, 60)  # extra offsets (points) tried when every place near the marker is taken


def _points(summary: Dict) -> List[Dict]:
    """Every timed model, ours then peers, as {label, text, ms, nme, kb, integer, color}."""
    points = []
    for m in summary["models"]:
        points.append(dict(label=m["label"], ms=m["ms"], nme=m["nme_percent"], kb=m["kb"],
                           integer=m["integer"], color=OURS,
                           text=f"{m['label']}: {m['nme_percent']:.2f}%"))  # ms and size: the axes and the marker
    for p in summary["peers"]:
        if p.get("ms") is not None:
            points.append(dict(label=p["name"], ms=p["ms"], nme=p["nme_percent"], kb=p["kb"],
                               integer=p["integer"], color=PEER,
                               text=f"{p['label']}: {p['nme_percent']:.2f}%\n{p['plot_note']}"))
    return points


def _twins(summary: Dict) -> List[List[Dict]]:
    """Our models grouped by network: the same file path but for its `.VARIANT.tflite` ending;
    only groups of two or more, each in order of latency."""
    groups: Dict[str, List[Dict]] = {}
    for m in summary["models"]:
        suffix = f".{m['dtype']}.tflite"
        if m["file"].endswith(suffix):
            groups.setdefault(m["file"][:-len(suffix)], []).append(m)
    return [sorted(g, key=lambda m: m["ms"]) for g in groups.values() if len(g) > 1]


def _limits(points: List[Dict], lines: List[Dict]) -> Tuple[Tuple[float, float], Tuple[float, float]]:
    """Axes ranges with room for labels: x from 0, y around every point and line."""
    x_max = max(p["ms"] for p in points)
    ys = [p["nme"] for p in points] + [line["nme_percent"] for line in lines]
    pad = max(0.25, 0.15 * (max(ys) - min(ys)))
    return (0.0, 1.5 * x_max), (min(ys) - pad, max(ys) + pad)


def _clash(box: Bbox, taken: List[Bbox], frame: Bbox) -> float:
    """Area of `box` over what is drawn already, plus ten times its area outside the axes."""
    area = sum(b.width * b.height for b in (Bbox.intersection(box, t) for t in taken) if b is not None)
    inside = Bbox.intersection(box, frame)
    outside = box.width * box.height - (inside.width * inside.height if inside is not None else 0)
    return area + 10 * outside


def _label_points(ax, points: List[Dict], taken: List[Bbox], radii: List[float]) -> None:
    """Puts each point's text at the first of `PLACES` (near, then farther with a leader line)
    that stays inside the axes and clear of the markers, the lines and the labels placed before
    it; failing that, where it clashes least."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for point, radius in zip(points, radii):
        best = None  # (clash, offset, alignment, far, box)
        for extra in DISTANCES:
            gap = radius * 72 / ax.figure.dpi + 4 + extra  # points beyond the marker's edge
            for dx, dy, ha, va in PLACES:
                text = ax.annotate(point["text"], (point["ms"], point["nme"]), xytext=(dx * gap, dy * gap),
                                   textcoords="offset points", ha=ha, va=va, fontsize=8)
                box = text.get_window_extent(renderer).expanded(1.02, 1.05)  # measured without the leader
                text.remove()
                score = _clash(box, taken, frame)
                if best is None or score < best[0]:
                    best = (score, (dx * gap, dy * gap), (ha, va), extra > 0, box)
                if score == 0:
                    break
            if best[0] == 0:
                break
        _, offset, (ha, va), far, box = best
        ax.annotate(point["text"], (point["ms"], point["nme"]), xytext=offset, textcoords="offset points",
                    ha=ha, va=va, fontsize=8, color="0.15",
                    arrowprops=dict(arrowstyle="-", color="0.6", lw=0.7, shrinkB=radius * 72 / ax.figure.dpi)
                    if far else None)
        taken.append(box)


def _legend(fig) -> None:
    """dtype (filled or hollow) and marker area keys, below the axes."""
    handles = [Line2D([], [], marker="o", ls="", color=OURS, markersize=9, label="int8 (integer): filled"),
               Line2D([], [], marker="o", ls="", color=OURS, markerfacecolor="white", markeredgewidth=2,
                      markersize=9, label="float32: hollow")]
    for kb in SIZE_KEYS_KB:
        handles.append(Line2D([], [], marker="o", ls="", color="0.55", markerfacecolor="none",
                              markersize=(AREA_PER_KB * kb) ** 0.5, label=f"{kb / 1000:g} MB file"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False,
               handlelength=3.6, handleheight=3.4, handletextpad=0.4, columnspacing=1.4, borderaxespad=0.6)


def plot_frontier(summary: Dict, path: str) -> Dict[str, Tuple[float, float, float]]:
    """Writes the frontier PNG.

    Args:
      summary: `frontier.py`'s JSON: `models` and `peers` (see `frontier.measure`), `date`,
        `machine`, `threads`, `list`, and an optional `note` for the title.
      path: output `.png`, written atomically.

    Returns:
      label (ours) or peer name -> `(x, y, radius)` of its marker in PNG pixels, y from the top
      (the centre lies in pixel row `int(y)`, column `int(x)`).
    """
    points = _points(summary)
    lines = [p for p in summary["peers"] if p.get("ms") is None]
    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_axes((0.09, 0.2, 0.88, 0.7))  # fixed: PNG pixels follow from the transform
    try:
        xlim, ylim = _limits(points, lines)
        ax.set(xlim=xlim, ylim=ylim, xlabel=f"host latency, ms per face (LiteRT, {summary['threads']} thread)",
               ylabel=f"AFLW test NME, % ({summary['list']['count']:,} faces)")
        ax.grid(alpha=0.3)
        ax.text(0.01, 0.02, "lower-left is better", transform=ax.transAxes, fontsize=8, color="0.4")
        machine = summary["machine"]
        note = f" ({summary['note']})" if summary.get("note") else ""
        ax.set_title(f"Accuracy against host latency, {summary['date']}\n{machine['cpu']}, "
                     f"{machine['cores']} cores{note}", fontsize=10)
        fig.canvas.draw()
        taken = []
        for line, color in zip(lines, LINE_COLORS):
            ax.axhline(line["nme_percent"], color=color, ls="--", lw=1.2)
            text = ax.text(xlim[1], line["nme_percent"], f"{line['label']} {line['nme_percent']:.2f}% "
                           f"({line['plot_note']}) ", ha="right", va="bottom", fontsize=8, color=color)
            taken.append(text.get_window_extent(fig.canvas.get_renderer()))
            _, y = ax.transData.transform((0, line["nme_percent"]))
            taken.append(Bbox.from_extents(ax.bbox.x0, y - 1, ax.bbox.x1, y + 1))  # no label across it
        for twins in _twins(summary):
            ax.plot([m["ms"] for m in twins], [m["nme_percent"] for m in twins], color=OURS, alpha=0.35, lw=1.5,
                    zorder=2)  # light: not a leader line
        radii, marks = [], {}
        for p in points:
            ax.scatter([p["ms"]], [p["nme"]], s=AREA_PER_KB * p["kb"], marker="o", zorder=3,
                       facecolors=p["color"] if p["integer"] else "white", edgecolors=p["color"], linewidths=2)
            x, y = ax.transData.transform((p["ms"], p["nme"]))
            radius = (AREA_PER_KB * p["kb"]) ** 0.5 / 2 * DPI / 72
            radii.append(radius)
            taken.append(Bbox.from_bounds(x - radius, y - radius, 2 * radius, 2 * radius))
            marks[p["label"]] = (float(x), float(fig.bbox.height - y), float(radius))
        _label_points(ax, points, taken, radii)
        _legend(fig)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    return marks
