#!/usr/bin/env python3
"""Draws the plots of BENCHMARKS.md from the series clocker-bench writes.

P4, P6 and P8 write ``p4.json``, ``p6.json`` and ``p8.json`` into
``target/bench/series`` as they run; this draws, into ``--out``:

- ``fanout-lag.png``: lag p50 and p99 against client count, one panel for P4
  (WebSocket at 20 Hz: the funnel, Node.js ws, Python websockets) and one for
  P6 (at 10 Hz: the stream and Node.js SSE, the funnel and Node.js ws), with
  the 50 ms p99 target;
- ``fanout-memory.png``: server memory per connection against client count,
  same panels, with the targets (ours at most 1 KiB and a quarter of its
  Node.js peer's);
- ``fanout-cpu.png``: server CPU time per message delivered against client
  count, same panels, with the target (ours at most a third of its Node.js
  peer's at 1k and 5k clients);
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


# One colour per server, the same in every fan-out plot.
SERVER_COLOURS = {
    "funnel": WS20,
    "stream": SSE,
    "node-ws": WS10,
    "node-sse": "#9467bd",  # purple
    "python-websockets": "#8c564b",  # brown
    "bare-ws": "#7f7f7f",  # grey: the floor, one write per delivery and nothing else
}
# The Node.js peer each of ours is judged against (issue 17).
NODE_PEER = {"funnel": "node-ws", "stream": "node-sse"}


def fanout_panels(p4: dict | None, p6: dict | None) -> list[tuple[str, dict]]:
    """(title, benchmark) of each fan-out measured: P4, then P6."""
    panels = []
    if p4 is not None:
        panels.append((f"P4: WebSocket, {p4['rate_hz']:g} Hz", p4))
    if p6 is not None:
        panels.append((f"P6: SSE and WebSocket, {p6['rate_hz']:g} Hz", p6))
    return panels


def measured(server: dict) -> list[dict]:
    return server["levels"]


def colour(server: dict) -> str:
    return SERVER_COLOURS.get(server["key"], "black")


def on_top(server: dict) -> int:
    """Ours drawn over the peers where points coincide."""
    return 3 if server["ours"] else 2


def server_label(server: dict) -> str:
    return server["label"].replace("`", "")


def counts_of(panels) -> list[int]:
    return sorted({lv["clients"] for _, bench in panels for s in bench["servers"] for lv in measured(s)}
                  | {u["clients"] for _, bench in panels for s in bench["servers"] for u in s["unmeasured"]})


def panel_axes(panels, title: str):
    fig, axes = plt.subplots(1, len(panels), figsize=WIDE, sharey=True, squeeze=False)
    fig.suptitle(title, fontsize=11)
    return fig, axes[0]


def server_handles(panels) -> list[Line2D]:
    seen, handles = set(), []
    for _, bench in panels:
        for server in bench["servers"]:
            if server["key"] not in seen:
                seen.add(server["key"])
                handles.append(Line2D([], [], color=colour(server), linewidth=4, label=server_label(server)))
    return handles


def unmeasured_text(panels) -> str:
    missing = [f"{server_label(s)} at {u['clients']:,} clients ({title.split(':')[0]})"
               for title, bench in panels for s in bench["servers"] for u in s["unmeasured"]]
    return f" Not measured: {'; '.join(missing)}." if missing else ""


def legend_beside(ax, handles=None) -> None:
    kwargs = {"handles": handles} if handles is not None else {}
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def fanout_lag(p4, p6, caption: str, path: Path) -> str:
    panels = fanout_panels(p4, p6)
    target = panels[0][1]["lag_p99_target_ms"]
    fig, axes = panel_axes(panels, "Fan-out lag against client count: ours and the peers")
    counts = counts_of(panels)
    for ax, (title, bench) in zip(axes, panels):
        for server in bench["servers"]:
            levels = measured(server)
            clients = [lv["clients"] for lv in levels]
            ax.plot(clients, [lv["lag_ms"]["p99"] for lv in levels], "-o", color=colour(server), markersize=5,
                    zorder=on_top(server))
            ax.plot(clients, [lv["lag_ms"]["p50"] for lv in levels], "--s", color=colour(server),
                    markersize=4, alpha=0.8, zorder=on_top(server))
        ax.axhline(target, color=TARGET, linestyle=":", linewidth=1.5)
        client_axis(ax, counts)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(ms_label))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_title(title, fontsize=9)
    low, high = axes[0].get_ylim()
    axes[0].set_ylim(low, max(high, target * 1.5))
    axes[0].set_ylabel("lag: received − sent (ms, log scale)")
    handles = server_handles(panels) + [
        Line2D([], [], color="black", linestyle="-", marker="o", markersize=5, label="p99 (solid)"),
        Line2D([], [], color="black", linestyle="--", marker="s", markersize=4, label="p50 (dashed)"),
        Line2D([], [], color=TARGET, linestyle=":", linewidth=1.5,
               label=f"target: ours' p99 ≤ {target:g} ms\n(asked at 10k clients)"),
    ]
    legend_beside(axes[-1], handles)
    finish(fig, caption, path)

    readings = []
    for title, bench in panels:
        parts = []
        for server in bench["servers"]:
            levels = measured(server)
            if levels:
                last = levels[-1]
                parts.append(f"{server_label(server)} {last['lag_ms']['p99']:.0f} ms at {last['clients']:,}")
        readings.append(f"{title.split(':')[0]}: " + ", ".join(parts))
    return "Lag p99 at the largest count measured: " + "; ".join(readings) + "." + unmeasured_text(panels)


def fanout_memory(p4, p6, caption: str, path: Path) -> str:
    panels = fanout_panels(p4, p6)
    fig, axes = panel_axes(panels, "Fan-out memory per connection against client count: ours and the peers")
    counts = counts_of(panels)
    absolute = panels[0][1]["rss_per_connection_target_kib"]
    for ax, (title, bench) in zip(axes, panels):
        by_key = {server["key"]: server for server in bench["servers"]}
        for server in bench["servers"]:
            levels = measured(server)
            clients = [lv["clients"] for lv in levels]
            kib = [lv["rss_per_connection_kib"] for lv in levels]
            ax.plot(clients, kib, "-o", color=colour(server), markersize=5, zorder=on_top(server))
            for x, y in zip(clients, kib):
                ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 5),
                            ha="center", fontsize=6, color=colour(server))
            peer = by_key.get(NODE_PEER.get(server["key"], ""))
            if peer is not None and measured(peer):
                ax.plot([lv["clients"] for lv in measured(peer)],
                        [bench["rss_ratio_target"] * lv["rss_per_connection_kib"] for lv in measured(peer)],
                        ":", color=colour(server), linewidth=1.5)
        ax.axhline(absolute, color=TARGET, linestyle=":", linewidth=1.5)
        client_axis(ax, counts)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylim(bottom=0, top=axes[0].get_ylim()[1] * 1.1)
    axes[0].set_ylabel("server memory per connection (KiB)")
    axes[0].text(0.01, 0.98, "(VmRSS loaded − VmRSS idle) ÷ clients;\nkernel socket buffers not included",
                 transform=axes[0].transAxes, fontsize=7, color=CAPTION, va="top")
    ratio = panels[0][1]["rss_ratio_target"]
    handles = server_handles(panels) + [
        Line2D([], [], color="black", linestyle=":", linewidth=1.5,
               label=f"target: ours ≤ {ratio:g} × its Node.js\npeer's (dotted, ours' colour)"),
        Line2D([], [], color=TARGET, linestyle=":", linewidth=1.5, label=f"target: ours ≤ {absolute:g} KiB"),
    ]
    legend_beside(axes[-1], handles)
    finish(fig, caption, path)

    readings = []
    for title, bench in panels:
        parts = []
        for server in bench["servers"]:
            kib = [lv["rss_per_connection_kib"] for lv in measured(server)]
            if kib:
                lo, hi = f"{min(kib):.1f}", f"{max(kib):.1f}"
                parts.append(f"{server_label(server)} {lo if lo == hi else lo + '–' + hi} KiB")
        readings.append(f"{title.split(':')[0]}: " + ", ".join(parts))
    return "Per connection: " + "; ".join(readings) + "." + unmeasured_text(panels)


def fanout_cpu(p4, p6, caption: str, path: Path) -> str:
    panels = fanout_panels(p4, p6)
    fig, axes = panel_axes(panels, "Fan-out server CPU per message delivered against client count")
    counts = counts_of(panels)
    for ax, (title, bench) in zip(axes, panels):
        by_key = {server["key"]: server for server in bench["servers"]}
        for server in bench["servers"]:
            levels = [lv for lv in measured(server) if lv["cpu_per_delivery_us"] > 0]
            ax.plot([lv["clients"] for lv in levels], [lv["cpu_per_delivery_us"] for lv in levels], "-o",
                    color=colour(server), markersize=5, zorder=on_top(server))
            peer = by_key.get(NODE_PEER.get(server["key"], ""))
            if peer is not None:
                judged = [lv for lv in measured(peer) if lv["clients"] in bench["cpu_ratio_counts"]
                          and lv["cpu_per_delivery_us"] > 0]
                ax.plot([lv["clients"] for lv in judged],
                        [bench["cpu_ratio_target"] * lv["cpu_per_delivery_us"] for lv in judged],
                        "_", color=colour(server), markersize=18, markeredgewidth=2)
        client_axis(ax, counts)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g} µs"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("server CPU time per message delivered (µs, log scale)")
    handles = server_handles(panels) + [
        Line2D([], [], color="black", linestyle="none", marker="_", markersize=14, markeredgewidth=2,
               label="target: ours ≤ ⅓ of its Node.js\npeer's (at 1k and 5k clients)"),
    ]
    legend_beside(axes[-1], handles)
    finish(fig, caption, path)

    readings = []
    for title, bench in panels:
        by_key = {server["key"]: server for server in bench["servers"]}
        for key, peer_key in NODE_PEER.items():
            ours, peer = by_key.get(key), by_key.get(peer_key)
            if ours is None or peer is None:
                continue
            theirs = {lv["clients"]: lv["cpu_per_delivery_us"] for lv in measured(peer)}
            parts = [f"{lv['clients']:,}: {lv['cpu_per_delivery_us']:.1f} vs {theirs[lv['clients']]:.1f} µs "
                     f"({lv['cpu_per_delivery_us'] / theirs[lv['clients']]:.2f}×)"
                     for lv in measured(ours) if theirs.get(lv["clients"], 0) > 0]
            if parts:
                readings.append(f"{title.split(':')[0]} {server_label(ours)} vs {server_label(peer)}: "
                                + ", ".join(parts))
    target = panels[0][1]["cpu_ratio_target"]
    return ("CPU per delivery, ours vs its Node.js peer (target ≤ " + f"{target:.2f}× at 1k and 5k): "
            + "; ".join(readings) + "." + unmeasured_text(panels))


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
        drawn.append(("fanout-cpu.png", "Fan-out CPU per message delivered against client count",
                      fanout_cpu(p4, p6, args.caption, args.out / "fanout-cpu.png")))
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
