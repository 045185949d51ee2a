"""Charts for the HTML reports: matplotlib figures rendered to safe, self-contained inline SVG.

Public functions (each returns one ``<svg>`` element as a string, ready to put in an HTML page):

``radar_svg(series: dict[str, dict[str, float | None]], axes: list[str], title: str | None = None)``
    One polygon per series (a model or a run) over ``axes`` (e.g. the six TrustLLM dimensions);
    values are 0..1, a missing value (None or absent) leaves a gap. A legend appears when
    there are several series.

``interval_bars_svg(rows: list[dict], title: str | None = None)``
    One horizontal bar per metric with its 95% confidence interval as a whisker. A row has
    ``label``, ``value`` (None: drawn as "n/a"), ``ci_low``, ``ci_high`` (optional) and
    ``higher_is_better``; the label carries the direction (↑ higher / ↓ lower is better).

``tradeoff_svg(points: list[dict], title: str | None = None)``
    The over-refusal / under-refusal trade-off: x is the refusal rate on safe prompts
    (exaggerated safety; lower is better), y the refusal rate on harmful prompts (jailbreak,
    misuse; higher is better). A point has ``label``, ``x``, ``y`` (0..1) and optionally
    ``published`` (True for published leaderboard numbers, drawn hollow).

Every string from a run (model names, task names) is written as SVG ``<text>`` (``svg.fonttype
= 'none'``), XML-escaped; after rendering, the SVG is parsed and rebuilt from an allow-list of
elements and attributes, so it carries no script, event handler, external reference or
``<image>``, and its ids are made unique per chart so that several charts share a page safely.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# What matplotlib's SVG backend writes for lines, patches, markers and text; nothing else survives.
_ELEMENTS = {
    "svg", "g", "defs", "style", "path", "use", "clipPath", "rect", "circle", "ellipse",
    "line", "polyline", "polygon", "text", "tspan", "title", "desc",
}  # fmt: skip
_ATTRIBUTES = {
    "id", "class", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry",
    "width", "height", "viewBox", "version", "points", "transform", "style", "clip-path",
    "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "opacity",
    "fill-opacity", "stroke-opacity", "font-family", "font-size", "font-weight", "font-style",
    "text-anchor", "dominant-baseline", "type", "href", "preserveAspectRatio",
}  # fmt: skip
_URL = re.compile(r"url\(\s*['\"]?(?P<ref>[^)'\"]*)['\"]?\s*\)")
_ids = itertools.count(1)

COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#4b5563"]


def _rc() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",  # text stays text: selectable, escaped, small
        "svg.hashsalt": "trustbench",  # stable ids: the same data gives the same SVG
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.edgecolor": "#9ca3af",
        "axes.labelcolor": "#374151",
        "xtick.color": "#4b5563",
        "ytick.color": "#4b5563",
    }


def _figure(width: float, height: float, polar: bool = False) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot(projection="polar" if polar else None)
    return figure, axes


def _render(figure: Any, label: str, prefix: str | None = None) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_rc()):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",  # legends and long axis labels are never cut off
            pad_inches=0.08,
        )
    return sanitize_svg(buffer.getvalue(), label=label, prefix=prefix)


def sanitize_svg(source: str, label: str = "chart", prefix: str | None = None) -> str:
    """Rebuild an SVG document from an allow-list; return the ``<svg>`` element alone.

    Drops the XML declaration, DOCTYPE and metadata, every element or attribute not on the list
    (so no ``<script>``, ``<foreignObject>``, ``<image>``, ``<a>``, ``on*`` handler), every
    reference that does not point inside the same SVG, and CSS that could fetch anything. Ids
    get a per-chart prefix so that two charts on one page never share one.
    """
    root = ET.fromstring(source)  # noqa: S314 - our own matplotlib output, no entities
    prefix = prefix or f"c{next(_ids)}-"
    renamed: dict[str, str] = {}
    for element in root.iter():
        if "id" in element.attrib:
            renamed[element.attrib["id"]] = prefix + element.attrib["id"]

    def local_ref(value: str) -> str | None:
        value = value.strip()
        if value.startswith("#") and value[1:] in renamed:
            return "#" + renamed[value[1:]]
        return None

    def clean(element: ET.Element) -> ET.Element | None:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag not in _ELEMENTS:
            return None
        out = ET.Element(f"{{{SVG_NS}}}{tag}")
        for name, value in element.attrib.items():
            plain = name.rsplit("}", 1)[-1]
            if plain not in _ATTRIBUTES:
                continue
            if plain == "id":
                value = renamed[value]
            elif plain == "href":
                ref = local_ref(value)
                if ref is None:
                    continue
                value = ref
            elif "url(" in value:
                value = _URL.sub(lambda m: f"url({local_ref(m['ref']) or '#none'})", value)
            if plain in {"style", "href"} or "url(" in value:
                lowered = value.lower()
                if "javascript:" in lowered or "expression(" in lowered or "@import" in lowered:
                    continue
            out.set(f"{{{XLINK_NS}}}href" if plain == "href" else plain, value)
        if tag == "style":
            css = element.text or ""
            if "@import" in css or re.search(r"url\(\s*['\"]?(?!#)", css):
                return None
            out.text = css
        else:
            out.text = element.text
        out.tail = element.tail
        for child in element:
            kept = clean(child)
            if kept is not None:
                out.append(kept)
        return out

    cleaned = clean(root)
    assert cleaned is not None  # the root is an <svg>
    cleaned.set("role", "img")
    cleaned.set("aria-label", label)
    cleaned.set("class", "chart")
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(cleaned, encoding="unicode")


def _number(value: Any) -> float:
    """A finite float, or NaN for None / missing / non-finite (matplotlib leaves a gap)."""
    if value is None:
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def radar_svg(
    series: Mapping[str, Mapping[str, float | None]],
    axes: Sequence[str],
    title: str | None = None,
    prefix: str | None = None,
) -> str:
    """A radar (spider) chart of one or several series over ``axes``, values 0..1 (``prefix``
    starts its ids, as for :func:`interval_bars_svg`)."""
    if not axes:
        raise ValueError("radar_svg needs at least one axis")
    figure, ax = _figure(4.6, 4.2 + 0.22 * math.ceil(len(series) / 2), polar=True)
    angles = [2 * math.pi * i / len(axes) for i in range(len(axes))]
    for index, (name, values) in enumerate(series.items()):
        points = [_number(values.get(axis)) for axis in axes]
        color = COLORS[index % len(COLORS)]
        ax.plot([*angles, angles[0]], [*points, points[0]], color=color, linewidth=1.8, label=name)
        ax.scatter(angles, points, color=color, s=14, zorder=3)
        if all(not math.isnan(p) for p in points):
            ax.fill([*angles, angles[0]], [*points, points[0]], color=color, alpha=0.12)
    ax.set_xticks(angles)
    labels = [
        axis
        if any(not math.isnan(_number(v.get(axis))) for v in series.values())
        else f"{axis}\n(n/a)"
        for axis in axes
    ]
    ax.set_xticklabels(labels, fontsize=9)
    ax.set_ylim(0, 1)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0.25", "0.5", "0.75", "1"], fontsize=7, color="#6b7280")
    ax.set_rlabel_position(90)
    ax.grid(color="#d1d5db", linewidth=0.6)
    ax.spines["polar"].set_color("#d1d5db")
    if title:
        ax.set_title(title, fontsize=10, pad=16)
    if len(series) > 1:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    figure.tight_layout()
    return _render(figure, title or "radar chart", prefix)


def _direction(higher_is_better: bool | None) -> str:
    if higher_is_better is None:
        return ""
    return "↑" if higher_is_better else "↓"


def interval_bars_svg(
    rows: Sequence[Mapping[str, Any]], title: str | None = None, prefix: str | None = None
) -> str:
    """Horizontal bars, one per metric, with the CI as a whisker and the direction marked.

    ``prefix`` starts the chart's ids (default: a counter of this process, unique per page)."""
    if not rows:
        raise ValueError("interval_bars_svg needs at least one row")
    values = [_number(row.get("value")) for row in rows]
    lows = [_number(row.get("ci_low")) for row in rows]
    highs = [_number(row.get("ci_high")) for row in rows]
    finite = [v for v in [*values, *lows, *highs] if not math.isnan(v)]
    unit = all(0 <= v <= 1 for v in finite)
    low_end = 0.0 if unit else min([0.0, *finite])
    high_end = 1.0 if unit else max([1.0, *finite]) * 1.05
    figure, ax = _figure(6.4, 0.42 * len(rows) + 0.75)
    positions = list(range(len(rows)))[::-1]
    for y, row, value, lo, hi in zip(positions, rows, values, lows, highs, strict=True):
        better = row.get("higher_is_better")
        color = "#2563eb" if better is not False else "#d97706"
        if math.isnan(value):
            ax.text(0, y, "  n/a (no value)", va="center", fontsize=8, color="#6b7280")
            continue
        ax.barh(y, value, left=0, height=0.55, color=color, alpha=0.78)
        if not (math.isnan(lo) or math.isnan(hi)):
            ax.errorbar(
                value, y, xerr=[[max(value - lo, 0)], [max(hi - value, 0)]],
                fmt="none", ecolor="#111827", elinewidth=1.1, capsize=3,
            )  # fmt: skip
        text_at = hi if not math.isnan(hi) else value
        ax.text(
            min(text_at, high_end) + (high_end - low_end) * 0.015, y, f"{value:.3f}",
            va="center", fontsize=8, color="#111827",
        )  # fmt: skip
    if low_end < 0:
        ax.axvline(0, color="#6b7280", linewidth=0.8)
    ax.set_yticks(positions)
    ax.set_yticklabels(
        [
            f"{_direction(row.get('higher_is_better'))} {row.get('label', '')}".strip()
            for row in rows
        ],
        fontsize=8,
    )
    ax.set_xlim(low_end, high_end + (high_end - low_end) * 0.12)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("value with 95% CI   ·   ↑ higher is better   ↓ lower is better", fontsize=7)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    figure.tight_layout()
    return _render(figure, title or "metric values with confidence intervals", prefix)


def tradeoff_svg(points: Sequence[Mapping[str, Any]], title: str | None = None) -> str:
    """Scatter of refusal on safe prompts (x) against refusal on harmful prompts (y)."""
    figure, ax = _figure(5.6, 4.4)
    ax.axvspan(0, 0.5, ymin=0.5, ymax=1, color="#dcfce7", alpha=0.5, zorder=0)
    ax.text(0.02, 0.98, "refuses harm, helps on safe prompts", fontsize=7, color="#166534",
            va="top")  # fmt: skip
    published_seen = run_seen = False
    for point in points:
        x, y = _number(point.get("x")), _number(point.get("y"))
        if math.isnan(x) or math.isnan(y):
            continue
        published = bool(point.get("published"))
        kwargs: dict[str, Any] = (
            {"facecolors": "none", "edgecolors": "#6b7280", "marker": "o"}
            if published
            else {"color": "#2563eb", "marker": "D"}
        )
        label = None
        if published and not published_seen:
            label, published_seen = "published (TrustLLM)", True
        elif not published and not run_seen:
            label, run_seen = "trustbench run", True
        ax.scatter([x], [y], s=36, zorder=3, label=label, **kwargs)
        ax.annotate(
            str(point.get("label", "")), (x, y), xytext=(4, 3), textcoords="offset points",
            fontsize=7, color="#374151" if published else "#1d4ed8",
        )  # fmt: skip
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("refusal on safe prompts (exaggerated safety) ↓ lower is better", fontsize=8)
    ax.set_ylabel("refusal on harmful prompts (jailbreak, misuse) ↑ higher is better", fontsize=8)
    ax.grid(color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    if published_seen and run_seen:
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    figure.tight_layout()
    return _render(figure, title or "refusal trade-off")


__all__ = ["interval_bars_svg", "radar_svg", "sanitize_svg", "tradeoff_svg"]
