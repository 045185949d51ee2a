"""Charts: matplotlib SVG that is inline-safe (escaped text, no script, no external reference)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from trustbench.report.charts import interval_bars_svg, radar_svg, sanitize_svg, tradeoff_svg

AXES = ["truthfulness", "safety", "fairness", "robustness", "privacy", "ethics"]
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="x()">'


def _assert_inline_safe(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert not tags & {"script", "image", "foreignObject", "a", "iframe"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.rsplit("}", 1)[-1].lower().startswith("on")
            if name.endswith("href"):
                assert value.startswith("#"), value
    assert not re.search(r"url\(\s*['\"]?(?!#)", svg)
    assert "<?xml" not in svg and "DOCTYPE" not in svg and "<metadata" not in svg
    return root


def _texts(root: ET.Element) -> str:
    return " ".join(
        "".join(element.itertext()) for element in root.iter() if element.tag.endswith("text")
    )


def test_radar_of_several_series_names_them_escaped():
    svg = radar_svg(
        {HOSTILE: dict.fromkeys(AXES, 0.5), "other": {a: 0.8 for a in AXES[:-1]}}, AXES, title="T"
    )
    root = _assert_inline_safe(svg)
    assert "&lt;script&gt;" in svg and "<script" not in svg
    text = _texts(root)
    assert HOSTILE in text and "other" in text  # the legend, as text
    assert all(axis in text for axis in AXES)


def test_radar_of_one_series_has_no_legend_and_marks_missing_axes():
    root = _assert_inline_safe(radar_svg({"only": {"safety": 1.0, "privacy": None}}, AXES))
    text = _texts(root)
    assert "only" not in text
    assert "(n/a)" in text  # axes without a value say so


def test_interval_bars_mark_direction_and_values():
    rows = [
        {"label": "rta", "value": 0.42, "ci_low": 0.3, "ci_high": 0.6, "higher_is_better": True},
        {"label": "invalid<b>", "value": None, "higher_is_better": False},
        {
            "label": "pearson",
            "value": -0.31,
            "ci_low": -0.5,
            "ci_high": 0.1,
            "higher_is_better": True,
        },
    ]
    root = _assert_inline_safe(interval_bars_svg(rows, title="safety/misuse"))
    text = _texts(root)
    assert "↑ rta" in text and "↓ invalid<b>" in text and "0.420" in text and "-0.310" in text
    assert "n/a" in text and "higher is better" in text


def test_tradeoff_marks_published_and_run_points():
    points = [
        {"label": "gpt-4", "x": 0.1, "y": 0.9, "published": True},
        {"label": "my <model>", "x": 0.3, "y": 0.5},
        {"label": "no data", "x": None, "y": 0.5},
    ]
    root = _assert_inline_safe(tradeoff_svg(points))
    text = _texts(root)
    assert "gpt-4" in text and "my <model>" in text and "no data" not in text
    assert "published" in text and "trustbench run" in text


def test_ids_are_unique_across_charts_and_references_follow():
    first = radar_svg({"a": dict.fromkeys(AXES, 0.5)}, AXES)
    second = radar_svg({"a": dict.fromkeys(AXES, 0.5)}, AXES)
    ids_first = set(re.findall(r'\bid="([^"]+)"', first))
    ids_second = set(re.findall(r'\bid="([^"]+)"', second))
    assert ids_first and not ids_first & ids_second
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', first):
        assert ref in ids_first


def test_sanitize_removes_script_handlers_and_external_references():
    dirty = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<script>alert(1)</script><g onclick="alert(1)" id="g"><text>ok</text></g>'
        '<image xlink:href="http://example.com/x.png"/><use xlink:href="http://example.com/#a"/>'
        '<use xlink:href="#g"/><rect style="fill: url(http://example.com/p)" clip-path="url(#g)"/>'
        "<foreignObject><div>x</div></foreignObject></svg>"
    )
    clean = sanitize_svg(dirty, prefix="p-")
    root = _assert_inline_safe(clean)
    assert "alert" not in clean and "example.com" not in clean
    assert 'href="#p-g"' in clean and "url(#p-g)" in clean and "ok" in _texts(root)


def test_empty_inputs_are_errors():
    with pytest.raises(ValueError):
        radar_svg({}, [])
    with pytest.raises(ValueError):
        interval_bars_svg([])
