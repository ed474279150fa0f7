#!/usr/bin/env python3
"""Draws the plots of BENCHMARKS.md from the series clocker-bench writes.

P4, P6 and P8 write ``p4.json``, ``p6.json`` and ``p8.json`` into
``target/bench/series`` as they run; this draws, into ``--out``:

- ``fanout-lag.png``: lag p50 and p99 against client count, SSE and WebSocket
  (P6, both at 10 Hz) and WebSocket at 20 Hz (P4), with the 50 ms p99 target;
- ``fanout-memory.png``: resident memory per connection against client count,
  with P4's 20 KiB target and P6's (SSE at most 1.5x WebSocket's);
- ``timer-lateness.png``: lateness p50, p99 and max against timers due per
  second (P8), with the targets at 100k a second.

With ``--markdown FILE`` it also writes the "Plots" section of BENCHMARKS.md:
each picture and a line read off its data. ``bench/run.sh`` runs it after the
benchmarks; by hand (the venv from ``bash scripts/python-env.sh bench``)::

    .venv/bin/python bench/plot.py --series target/bench/series --out bench/plots

The same series give the same bytes: fixed size and fonts (matplotlib's own
DejaVu Sans), no timestamp or software version in the PNG.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

SIZE = (8.0, 5.0)  # inches
WIDE = (10.0, 5.0)  # the fan-out plots, legend beside the axes
DPI = 110
SSE = "#1f77b4"  # blue
WS10 = "#ff7f0e"  # orange
WS20 = "#2ca02c"  # green
TARGET = "#d62728"  # red
CAPTION = "#555555"


def style() -> None:
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.titlesize": 11,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.fontsize": 8,
            "svg.hashsalt": "clocker-bench",
            "path.simplify": False,
        }
    )


def load(series: Path, name: str) -> dict | None:
    path = series / f"{name}.json"
    if not path.is_file():
        print(f"plot: {path} is missing; its plots are skipped", file=sys.stderr)
        return None
    return json.loads(path.read_text())


def thousands(x: float, _pos: object = None) -> str:
    return f"{x:,.0f}"


def ms_label(x: float, _pos: object = None) -> str:
    if x >= 1000:
        return f"{x / 1000:g} s"
    return f"{x:g} ms"


def client_axis(ax, counts: list[int]) -> None:
    """Log x through exactly the client counts measured."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("clients (connections held open, log scale)")
    if counts:
        ax.set_xlim(min(counts) / 1.3, max(counts) * 1.3)


def finish(fig, caption: str, path: Path) -> None:
    # About 17 characters of 7 pt text to the inch.
    lines = textwrap.wrap(caption, width=int(fig.get_figwidth() * 17)) or [""]
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color=CAPTION, ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.015 + 0.025 * len(lines), 1, 1))
    # No "Software" (matplotlib's version) and no time in the file: the same
    # series give the same bytes.
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    print(f"plot: wrote {path}", file=sys.stderr)


def fanout_lines(p4: dict | None, p6: dict | None) -> list[tuple[str, str, list[dict]]]:
    """(label, colour, levels) of each fan-out measured."""
    lines = []
    if p6 is not None:
        hz = p6["rate_hz"]
        lines.append((f"SSE, {hz:g} Hz (P6)", SSE, p6["sse"]))
        if p6["websocket"]:
            lines.append((f"WebSocket, {hz:g} Hz (P6)", WS10, p6["websocket"]))
    if p4 is not None:
        lines.append((f"WebSocket, {p4['rate_hz']:g} Hz (P4)", WS20, p4["levels"]))
    return lines


def legend_beside(ax, handles=None) -> None:
    kwargs = {"handles": handles} if handles is not None else {}
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def fanout_lag(p4, p6, caption: str, path: Path) -> str:
    lines = fanout_lines(p4, p6)
    target = (p6 or p4)["lag_p99_target_ms"]
    fig, ax = plt.subplots(figsize=WIDE)
    counts = sorted({level["clients"] for _, _, levels in lines for level in levels})
    handles = []
    for label, colour, levels in lines:
        clients = [level["clients"] for level in levels]
        ax.plot(clients, [lv["lag_ms"]["p99"] for lv in levels], "-o", color=colour, markersize=5)
        ax.plot(clients, [lv["lag_ms"]["p50"] for lv in levels], "--s", color=colour,
                markersize=4, alpha=0.8)
        handles.append(Line2D([], [], color=colour, linewidth=4, label=label))
    ax.axhline(target, color=TARGET, linestyle=":", linewidth=1.5)
    handles += [
        Line2D([], [], color="black", linestyle="-", marker="o", markersize=5, label="p99 (solid)"),
        Line2D([], [], color="black", linestyle="--", marker="s", markersize=4, label="p50 (dashed)"),
        Line2D([], [], color=TARGET, linestyle=":", linewidth=1.5,
               label=f"target: p99 ≤ {target:g} ms\n(P4 at 10k clients, P6 at every count)"),
    ]
    client_axis(ax, counts)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(ms_label))
    ax.yaxis.set_minor_locator(NullLocator())
    low, high = ax.get_ylim()
    ax.set_ylim(low, max(high, target * 1.5))
    ax.set_ylabel("lag: received − sent (ms, log scale)")
    ax.set_title("Fan-out lag against client count: SSE and WebSocket")
    legend_beside(ax, handles)
    finish(fig, caption, path)

    readings = []
    for label, _, levels in lines:
        over = [lv["clients"] for lv in levels if lv["lag_ms"]["p99"] > target]
        last = levels[-1]
        readings.append(
            f"{label} {last['lag_ms']['p99']:.0f} ms at {last['clients']:,} clients"
            + (f" (over {target:g} ms at {', '.join(f'{n:,}' for n in over)} clients)" if over
               else f" (within {target:g} ms at every count)")
        )
    return "Lag p99: " + "; ".join(readings) + "."


def fanout_memory(p4, p6, caption: str, path: Path) -> str:
    lines = fanout_lines(p4, p6)
    fig, ax = plt.subplots(figsize=WIDE)
    counts = sorted({level["clients"] for _, _, levels in lines for level in levels})
    points = [
        (n, level["clients"], level["rss_per_connection_kib"])
        for n, (_, _, levels) in enumerate(lines)
        for level in levels
    ]
    for n, (label, colour, levels) in enumerate(lines):
        clients = [level["clients"] for level in levels]
        kib = [level["rss_per_connection_kib"] for level in levels]
        ax.plot(clients, kib, "-o", color=colour, label=label, markersize=5)
        for x, y in zip(clients, kib):
            # Each value above its point, unless another line's point is
            # close above it (WebSocket's two lines nearly coincide): below.
            below = any(m != n and cx == x and abs(cy - y) < 3 and (cy, m) > (y, n)
                        for m, cx, cy in points)
            ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points",
                        xytext=(0, -12 if below else 6), ha="center", fontsize=7, color=colour)
    if p6 is not None and p6["websocket"]:
        ratio = p6["memory_ratio_target"]
        ws = p6["websocket"]
        ax.plot([lv["clients"] for lv in ws], [ratio * lv["rss_per_connection_kib"] for lv in ws],
                ":", color=WS10, linewidth=1.5,
                label=f"P6 target: SSE ≤ {ratio:g} ×\nWebSocket's (10 Hz)")
    if p4 is not None:
        ax.axhline(p4["rss_per_connection_target_kib"], color=TARGET, linestyle=":", linewidth=1.5,
                   label=f"P4 target: WebSocket ≤\n{p4['rss_per_connection_target_kib']:g} KiB per connection")
    client_axis(ax, counts)
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.1)
    ax.set_ylabel("server memory per connection (KiB)")
    ax.set_title("Fan-out memory per connection against client count: SSE and WebSocket")
    ax.text(0.01, 0.98, "(VmRSS loaded − VmRSS idle) ÷ clients; kernel socket buffers not included",
            transform=ax.transAxes, fontsize=7, color=CAPTION, va="top")
    legend_beside(ax)
    finish(fig, caption, path)

    readings = []
    for label, _, levels in lines:
        kib = [level["rss_per_connection_kib"] for level in levels]
        span = f"{min(kib):.1f}" if f"{min(kib):.1f}" == f"{max(kib):.1f}" else f"{min(kib):.1f}–{max(kib):.1f}"
        readings.append(f"{label} {span} KiB")
    text = "Per connection: " + ", ".join(readings)
    if p6 is not None and p6["websocket"]:
        sse = p6["sse"][-1]["rss_per_connection_kib"]
        ws = p6["websocket"][-1]["rss_per_connection_kib"]
        if ws > 0:
            text += (f"; SSE ÷ WebSocket at {p6['sse'][-1]['clients']:,} clients "
                     f"{sse / ws:.2f}× (target ≤ {p6['memory_ratio_target']:g}×)")
    return text + "."


def timer_lateness(p8, caption: str, path: Path) -> str:
    loads = p8["loads"]
    rates = [load["per_second"] for load in loads]
    fig, ax = plt.subplots(figsize=SIZE)
    for key, marker, colour, label in (
        ("max", "-^", "#9467bd", "max"),
        ("p99", "-o", SSE, "p99"),
        ("p50", "--s", WS20, "p50"),
    ):
        ax.plot(rates, [load["lateness_ms"][key] for load in loads], marker, color=colour,
                label=label, markersize=5)
    target_due = p8["target_due"] / p8["window_s"]
    ax.axhline(p8["lateness_max_target_ms"], color=TARGET, linestyle="--", linewidth=1.2,
               label=f"target at {target_due:,.0f}/s: max ≤ {p8['lateness_max_target_ms']:g} ms")
    ax.axhline(p8["lateness_p99_target_ms"], color=TARGET, linestyle=":", linewidth=1.5,
               label=f"target at {target_due:,.0f}/s: p99 ≤ {p8['lateness_p99_target_ms']:g} ms")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(rates))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(min(rates) / 1.3, max(rates) * 1.3)
    ax.set_xlabel(f"load: timers falling due per second (evenly over {p8['window_s']:g} s, log scale)")
    # Lateness is in whole milliseconds and often 0: linear up to 1 ms.
    ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(ms_label))
    ax.set_ylabel("lateness: fired − due (ms, whole ms; log scale above 1 ms)")
    ax.set_title("Timer lateness against load (P8)")
    ax.legend(loc="upper left")
    finish(fig, caption, path)

    p99_target = p8["lateness_p99_target_ms"]
    within = [load["per_second"] for load in loads if load["lateness_ms"]["p99"] <= p99_target]
    under_10 = [load["per_second"] for load in loads if load["lateness_ms"]["max"] <= p8["lateness_max_target_ms"]]
    last = loads[-1]
    text = (f"At {last['per_second']:,.0f} due/s p99 {ms_label(last['lateness_ms']['p99'])}, "
            f"max {ms_label(last['lateness_ms']['max'])}")
    text += f"; p99 ≤ {p99_target:g} ms up to {max(within):,.0f}/s" if within else f"; p99 over {p99_target:g} ms at every load"
    if under_10:
        text += f", max ≤ {p8['lateness_max_target_ms']:g} ms up to {max(under_10):,.0f}/s"
    return text + "."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=Path, default=Path("target/bench/series"),
                        help="where clocker-bench wrote p4.json, p6.json, p8.json")
    parser.add_argument("--out", type=Path, default=Path("bench/plots"), help="where the PNGs go")
    parser.add_argument("--caption", default="", help="a line under each plot (commit, date, machine)")
    parser.add_argument("--markdown", type=Path, help="write BENCHMARKS.md's Plots section here")
    parser.add_argument("--all", action="store_true",
                        help="fail unless p4.json, p6.json and p8.json are all there")
    parser.add_argument("--link-dir", default="bench/plots",
                        help="the PNGs' directory as BENCHMARKS.md links them")
    args = parser.parse_args()

    style()
    args.out.mkdir(parents=True, exist_ok=True)
    p4, p6, p8 = (load(args.series, name) for name in ("p4", "p6", "p8"))
    if args.all and None in (p4, p6, p8):
        print(f"plot: --all: a series is missing in {args.series}", file=sys.stderr)
        return 1
    drawn = []
    if p4 is not None or p6 is not None:
        drawn.append(("fanout-lag.png", "Fan-out lag against client count",
                      fanout_lag(p4, p6, args.caption, args.out / "fanout-lag.png")))
        drawn.append(("fanout-memory.png", "Fan-out memory per connection against client count",
                      fanout_memory(p4, p6, args.caption, args.out / "fanout-memory.png")))
    if p8 is not None:
        drawn.append(("timer-lateness.png", "Timer lateness against load",
                      timer_lateness(p8, args.caption, args.out / "timer-lateness.png")))
    if not drawn:
        print(f"plot: no series in {args.series}", file=sys.stderr)
        return 1
    if args.markdown is not None:
        section = ["## Plots", ""]
        for name, title, reading in drawn:
            section += [f"![{title}]({args.link_dir}/{name})", "", reading, ""]
        args.markdown.write_text("\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
