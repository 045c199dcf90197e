"""Parity report output: `parity.json` (everything), `parity.md` (tables for people), the CED plot,
console lines."""
from __future__ import annotations

import os
import sys
from typing import Dict, List

from fld_tf.io import write_json, write_text


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _input(io: Dict) -> str:
    q = io["input"].get("quantization")
    return io["input"]["dtype"] + (f" (scale {q['scale']:.6g}, zp {q['zero_point']})" if q else "")


def variant_table(results: Dict) -> List[str]:
    head = ["variant", "file", "KB", "input", "NME %", "fail %", "AUC@10", "vs float32 mean/max %",
            "XNNPACK-ref pp", "ms 1t / 4t", "float ops"]
    lines = [_row(head), _row(["---"] * len(head))]
    for variant, r in results.items():
        m, vs, ref = r["metrics"], r.get("vs_float32"), r.get("reference")
        auc = next((v for k, v in m.items() if k.startswith("auc_at_")), float("nan"))
        lines.append(_row([
            variant, r["file"], f"{r['bytes'] / 1024:.1f}", _input(r["io"]), f"{m['nme_percent']:.3f}",
            f"{m['failure_rate_percent']:.2f}", f"{auc:.4f}",
            f"{vs['mean_percent']:.3f} / {vs['max_percent']:.3f}" if vs else "-",
            f"{ref['nme_diff_pp']:+.4f} ({ref['images']} img, {ref['identical_fraction']:.0%} identical)"
            if ref else "-",
            " / ".join(f"{v:.2f}" for v in r["latency_ms"].values()),
            len(r["float_ops"]) if "float_ops" in r else "-"]))
    return lines


def point_table(results: Dict) -> List[str]:
    names = list(next(iter(results.values()))["metrics"]["per_point_nme_percent"])
    lines = [_row(["variant"] + names), _row(["---"] * (len(names) + 1))]
    for variant, r in results.items():
        per_point = r["metrics"]["per_point_nme_percent"]
        lines.append(_row([variant] + [f"{per_point[n]:.3f}" for n in names]))
    return lines


def selective_lines(result: Dict) -> List[str]:
    """Which layers were kept in float, and what that cost against plain full-integer int8."""
    s, plain = result["selective"], result["selective"]["plain_int8"]
    layers = [f"`{name}` ({rmse:g})" for name, rmse in zip(s["float_layers"], s["rmse_per_scale"])]
    latency = ", ".join(f"{t} thread(s) {plain['latency_ms'][t]:.2f} -> {ms:.2f} ms"
                        for t, ms in result["latency_ms"].items() if t in plain["latency_ms"])
    return [f"Plain int8 failed: {'; '.join(s['plain_int8_failures'])}.", "",
            f"Kept in float, worst RMSE/scale first: {', '.join(layers)}.", "",
            f"With the weightless ops that feed them: {', '.join(f'`{n}`' for n in s['float_inputs']) or 'none'}.",
            "",
            f"- NME: {plain['nme_percent']:.3f}% -> {result['metrics']['nme_percent']:.3f}%",
            f"- size: {plain['bytes'] / 1024:.1f} KB -> {result['bytes'] / 1024:.1f} KB",
            f"- latency: {latency}"]


def card_check_lines(results: Dict) -> List[str]:
    """What the behavioural card checks measured, per variant."""
    head = ["variant", "faces", "flip miss (crop widths)", "tolerance", "NME as card %", "BGR %", "[0, 1] %",
            "[-1, 1] %"]
    lines = [_row(head), _row(["---"] * len(head))]
    for variant, r in results.items():
        c = r.get("card_checks")
        if not c:
            continue
        nme = c["nme_percent"]
        lines.append(_row([variant, c["faces"], f"{c['flip_asymmetry']:.2g}", f"{c['flip_tolerance']:.2g}"]
                          + [f"{nme[k]:.2f}" if k in nme else "-" for k in ("card", "BGR", "[0, 1]", "[-1, 1]")]))
    return lines


def markdown(summary: Dict) -> str:
    lst, results = summary["list"], summary["variants"]
    lines = [f"# Parity: {lst['name']} ({lst['count']} faces, {lst['path']}, crop {lst['crop']})", "",
             f"Target: `{summary['target']['name']}`. Every model run in LiteRT (XNNPACK) with the "
             "pre-processing its model card describes. NME in % of the inter-ocular distance.", ""]
    lines += variant_table(results) + ["", "## Per-point NME (%)", ""] + point_table(results)
    lines += ["", "## Does each model do what its card says?", "",
              "Probed on the first test crops (`export/card_checks.py`): the mirrored crop's points mapped "
              "back against the crop's own, and the NME when fed BGR or other pixel ranges.", ""]
    lines += card_check_lines(results)
    for variant, r in results.items():
        if r.get("selective"):
            lines += ["", f"## {variant}: selective quantisation", ""] + selective_lines(r)
        if r.get("float_ops"):
            lines += ["", f"## {variant}: ops with float tensors", ""] + [f"- {op}" for op in r["float_ops"]]
        if r.get("gpu"):
            lines += ["", f"## {variant}: GPU delegate analyzer", "", "```", r["gpu"]["report"], "```"]
    if summary.get("latency_gated") is False:
        lines += ["", f"Latency was timed on {summary['host']}, which the target's int8-vs-float32 latency "
                      f"check does not cover ({', '.join(summary['target']['latency_hosts'])}): reported, "
                      "not gated."]
    failures = summary["failures"]
    lines += ["", "## Result", ""] + ([f"- FAIL {f}" for f in failures] if failures else ["PASS: every check"])
    return "\n".join(lines) + "\n"


def public(summary: Dict) -> Dict:
    """The report without its in-memory parts (keys starting with `_`)."""
    return {k: v for k, v in summary.items() if not k.startswith("_")}


def write(out_dir: str, summary: Dict) -> None:
    """`ced_<list>.png`, `parity.json` and `parity.md` in `out_dir`, each written atomically."""
    from fld_tf import plots  # matplotlib: only when a report is written

    if summary.get("_errors"):
        plots.plot_ced(summary["_errors"], os.path.join(out_dir, f"ced_{summary['list']['name']}.png"))
    write_json(os.path.join(out_dir, "parity.json"), public(summary))
    write_text(os.path.join(out_dir, "parity.md"), markdown(summary))


def finish(summary: Dict) -> int:
    """Prints the table and one line per failure; the exit code (1 if any check failed)."""
    print("\n".join(variant_table(summary["variants"])))
    for failure in summary["failures"]:
        print(f"FAIL {failure}", file=sys.stderr)
    if summary["failures"]:
        return 1
    print(f"parity: every check of target {summary['target']['name']!r} passed")
    return 0
