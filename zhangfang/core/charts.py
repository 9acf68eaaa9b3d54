"""Charts drawn on the server as SVG: bar (vertical and horizontal), funnel and line charts.

Why our own small renderer: the pages must work offline, print, and pass a strict Content
Security Policy, so a chart cannot be a script or pull a stylesheet. The SVG written here uses
presentation attributes only (``fill``, ``stroke``, ``font-size``, ``text-anchor``; CSP allows
them), never a ``style`` attribute, a ``<style>`` element or a script. Every chart:

* scales to the width of its container (``viewBox`` with ``width="100%"``, no fixed height);
* is an image to assistive technology: ``role="img"``, an ``aria-label`` and a ``<title>``, and a
  ``<desc>`` that reads out the figures, so nothing is only in the picture; each bar or point has
  its own ``<title>`` as a tooltip;
* takes its colours from Bootstrap's palette, so it matches the rest of the page;
* escapes every text it is given, so the result is safe markup (``SafeString``).

The numbers may be ``int``, ``Decimal`` or ``float``; they are only turned into ``float`` to place
shapes, and every figure written as text goes through ``value_format`` (by default ``1,234`` for
whole numbers), so a money amount can be shown as ``¥1,234.56``.

Usage::

    from zhangfang.core import charts

    svg = charts.bar_chart(title="各渠道签约客户", labels=["官方网站", "客户推荐"], values=[3, 5],
                           horizontal=True)
    svg = charts.line_chart(title="每月新增客户", labels=months,
                            series=[charts.Series("由潜在客户转化", counts)])
    svg = charts.funnel_chart(title="转化漏斗", stages=[("登记", 40), ("拜访", 20), ("签约", 5)])
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

Number = int | float | Decimal
Formatter = Callable[[Number], str]

#: Bootstrap 5's colours, in the order series and bars use them.
PALETTE: tuple[str, ...] = (
    "#0d6efd",  # blue (primary)
    "#198754",  # green (success)
    "#fd7e14",  # orange
    "#6f42c1",  # purple
    "#20c997",  # teal
    "#dc3545",  # red (danger)
    "#0dcaf0",  # cyan (info)
    "#d63384",  # pink
    "#ffc107",  # yellow (warning)
    "#6610f2",  # indigo
)
TEXT = "#212529"  # body text
MUTED = "#6c757d"  # secondary text (gray-600)
GRID = "#dee2e6"  # border colour (gray-300)
FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Noto Sans CJK SC', "
    "'Microsoft YaHei', sans-serif"
)

NO_DATA = gettext_lazy("暂无数据")


@dataclass(frozen=True)
class Series:
    """One named row of values of a chart; ``None`` is a missing value (a gap in a line)."""

    name: str
    values: Sequence[Number | None]
    colour: str | None = None


# -- helpers ----------------------------------------------------------------------------------


def format_number(value: Number) -> str:
    """``1,234`` for whole numbers, ``1,234.5`` otherwise (at most two decimals)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value.normalize():,f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def text_width(text: str, size: float) -> float:
    """An estimate of the width of ``text`` at font size ``size``: CJK characters are square,
    Latin letters and digits about 0.6 of the size."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in str(text))


def fit_text(text: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` (the full text goes in a title)."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _attrs(attrs: dict[str, object]) -> str:
    # ``font_size`` → ``font-size``, ``class_`` → ``class``; None leaves the attribute out.
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.1f}".rstrip("0").rstrip(".")
        parts.append(f"{name}={quoteattr(str(value))}")
    return " ".join(parts)


def _el(tag: str, content: str = "", **attrs: object) -> str:
    attributes = _attrs(attrs)
    opening = f"<{tag} {attributes}" if attributes else f"<{tag}"
    return f"{opening}>{content}</{tag}>" if content else f"{opening}/>"


def _text(text: str, **attrs: object) -> str:
    attrs.setdefault("fill", TEXT)
    attrs.setdefault("font_size", 12)
    return _el("text", escape(str(text)), **attrs)


def _tooltip(text: str) -> str:
    return f"<title>{escape(str(text))}</title>"


def _nice_scale(maximum: float, *, whole: bool, ticks: int = 4) -> tuple[float, float]:
    """The top of the value axis and the step between grid lines: 1, 2, 2.5 or 5 times a power
    of ten, so the axis reads 0, 5, 10, 15, 20 rather than 0, 4.3, 8.6."""
    if maximum <= 0:
        return (float(ticks), 1.0) if whole else (1.0, 0.25)
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw:
            break
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return step * math.ceil(maximum / step - 1e-9), step


def _svg(*, width: int, height: int, title: str, summary: str, body: str) -> SafeString:
    markup = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {_attrs({"viewBox": f"0 0 {width} {height}"})} '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label={quoteattr(title)} class="zf-chart" font-family={quoteattr(FONT)}>'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>{body}</svg>"
    )
    # Every text that came from outside went through escape()/quoteattr() above.
    return mark_safe(markup)


def _as_float(value: Number | None) -> float | None:
    return None if value is None else float(value)


def _series_list(
    series: Sequence[Series] | None, values: Sequence[Number | None] | None, title: str
) -> list[Series]:
    if series is None:
        series = [Series(title, list(values or []))]
    return [
        Series(s.name, list(s.values), s.colour or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]


def _summary(labels: Sequence[str], series: list[Series], fmt: Formatter) -> str:
    """The figures as a sentence for screen readers: ``官方网站：3；客户推荐：5``."""
    parts = []
    for i, label in enumerate(labels):
        cells = [
            ("" if len(series) == 1 else f"{s.name} ")
            + ("—" if s.values[i] is None else fmt(s.values[i]))
            for s in series
            if i < len(s.values)
        ]
        parts.append(f"{label}：{'，'.join(cells)}")
    return "；".join(parts) if parts else str(NO_DATA)


def _no_data(width: int, height: int) -> str:
    return _text(NO_DATA, x=width / 2, y=height / 2, text_anchor="middle", fill=MUTED, font_size=14)


def _legend(series: list[Series], *, x: float, y: float) -> str:
    """Coloured squares with the series' names, in one row from ``(x, y)``."""
    if len(series) < 2:
        return ""
    parts = []
    for s in series:
        parts.append(_el("rect", x=x, y=y - 9, width=10, height=10, rx=2, fill=s.colour))
        parts.append(_text(s.name, x=x + 14, y=y, font_size=12))
        x += 14 + text_width(s.name, 12) + 18
    return _el("g", "".join(parts), class_="zf-chart-legend")


# -- bar chart --------------------------------------------------------------------------------


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[Number | None] | None = None,
    series: Sequence[Series] | None = None,
    horizontal: bool = False,
    value_label: str = "",
    category_label: str = "",
    value_format: Formatter = format_number,
    width: int = 640,
) -> SafeString:
    """A bar chart of ``values`` (one series) or of several ``series`` side by side.

    Vertical bars (columns) suit time and few categories; ``horizontal=True`` suits long
    category names (channels, people), which then sit at the left in full. ``value_label`` and
    ``category_label`` name the axes. Each bar carries its figure as text and as a tooltip.
    """
    rows = _series_list(series, values, title)
    labels = [str(label) for label in labels]
    summary = _summary(labels, rows, value_format)
    numbers = [float(v) for s in rows for v in s.values if v is not None]
    whole = all(
        isinstance(v, int) or (isinstance(v, Decimal) and v == v.to_integral_value())
        for s in rows
        for v in s.values
        if v is not None
    )
    top, step = _nice_scale(max(numbers, default=0.0), whole=whole)
    ticks = [step * i for i in range(round(top / step) + 1)]
    if horizontal:
        body, height = _horizontal_bars(
            labels, rows, top, ticks, value_format, width, value_label, category_label
        )
    else:
        body, height = _vertical_bars(
            labels, rows, top, ticks, value_format, width, value_label, category_label
        )
    if not labels:
        height = 160
        body = _no_data(width, height)
    return _svg(width=width, height=height, title=title, summary=summary, body=body)


def _vertical_bars(labels, rows, top, ticks, fmt, width, value_label, category_label):
    tick_width = max((text_width(format_number(t), 11) for t in ticks), default=10)
    left = 16 + tick_width + (18 if value_label else 0)
    right = 12
    top_margin = 28 if len(rows) > 1 else 16
    plot_height = 220
    slot = (width - left - right) / max(len(labels), 1)
    rotate = any(text_width(label, 11) > slot - 2 for label in labels)
    label_room = (
        min(max((text_width(lb, 11) for lb in labels), default=0) * 0.7 + 12, 90) if rotate else 22
    )
    bottom = label_room + (20 if category_label else 4)
    height = round(top_margin + plot_height + bottom)
    base = top_margin + plot_height
    parts = [_legend(rows, x=left, y=16)]

    def y_of(value: float) -> float:
        return base - plot_height * value / top

    for tick in ticks:
        y = y_of(tick)
        parts.append(_el("line", x1=left, y1=y, x2=width - right, y2=y, stroke=GRID))
        parts.append(
            _text(
                format_number(tick),
                x=left - 6,
                y=y + 4,
                text_anchor="end",
                fill=MUTED,
                font_size=11,
            )
        )
    parts.append(_el("line", x1=left, y1=base, x2=width - right, y2=base, stroke=MUTED))
    group = slot * 0.72
    bar_width = group / max(len(rows), 1)
    for i, label in enumerate(labels):
        x0 = left + slot * i + (slot - group) / 2
        for j, s in enumerate(rows):
            value = s.values[i] if i < len(s.values) else None
            if value is None:
                continue
            y = y_of(float(value))
            x = x0 + bar_width * j
            name = label if len(rows) == 1 else f"{label} {s.name}"
            bar = _tooltip(f"{name}：{fmt(value)}") + _el(
                "rect", x=x, y=y, width=max(bar_width - 2, 1), height=base - y, rx=2, fill=s.colour
            )
            if bar_width >= 18:
                bar += _text(
                    fmt(value),
                    x=x + (bar_width - 2) / 2,
                    y=y - 4,
                    text_anchor="middle",
                    font_size=10,
                )
            parts.append(_el("g", bar))
        cx = left + slot * i + slot / 2
        if rotate:
            text = fit_text(label, 11, 110)
            parts.append(
                _text(
                    text,
                    x=cx,
                    y=base + 14,
                    text_anchor="end",
                    font_size=11,
                    transform=f"rotate(-35 {cx:.1f} {base + 14:.1f})",
                )
            )
        else:
            parts.append(_text(label, x=cx, y=base + 16, text_anchor="middle", font_size=11))
    if value_label:
        ly = top_margin + plot_height / 2
        parts.append(
            _text(
                value_label,
                x=12,
                y=ly,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
                transform=f"rotate(-90 12 {ly:.1f})",
            )
        )
    if category_label:
        parts.append(
            _text(
                category_label,
                x=left + (width - left - right) / 2,
                y=height - 6,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
            )
        )
    return "".join(parts), height


def _horizontal_bars(labels, rows, top, ticks, fmt, width, value_label, category_label):
    label_width = min(max((text_width(lb, 12) for lb in labels), default=0), width * 0.3)
    left = 12 + label_width + 8
    value_room = max(
        (text_width(fmt(v), 11) for s in rows for v in s.values if v is not None), default=0
    )
    right = 12 + value_room
    top_margin = (30 if len(rows) > 1 else 10) + (16 if category_label else 0)
    bar_height = 18
    row_height = bar_height * len(rows) + 10
    plot_height = row_height * max(len(labels), 1)
    bottom = 24 + (18 if value_label else 0)
    height = round(top_margin + plot_height + bottom)
    plot_width = width - left - right
    parts = [_legend(rows, x=left, y=16)]

    def x_of(value: float) -> float:
        return left + plot_width * value / top

    for tick in ticks:
        x = x_of(tick)
        parts.append(
            _el("line", x1=x, y1=top_margin, x2=x, y2=top_margin + plot_height, stroke=GRID)
        )
        parts.append(
            _text(
                format_number(tick),
                x=x,
                y=top_margin + plot_height + 16,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
            )
        )
    parts.append(
        _el("line", x1=left, y1=top_margin, x2=left, y2=top_margin + plot_height, stroke=MUTED)
    )
    for i, label in enumerate(labels):
        y0 = top_margin + row_height * i + 5
        for j, s in enumerate(rows):
            value = s.values[i] if i < len(s.values) else None
            if value is None:
                continue
            y = y0 + bar_height * j
            end = x_of(float(value))
            name = label if len(rows) == 1 else f"{label} {s.name}"
            parts.append(
                _el(
                    "g",
                    _tooltip(f"{name}：{fmt(value)}")
                    + _el(
                        "rect",
                        x=left,
                        y=y,
                        width=max(end - left, 0),
                        height=bar_height - 3,
                        rx=2,
                        fill=s.colour,
                    )
                    + _text(fmt(value), x=end + 4, y=y + bar_height / 2 + 2, font_size=11),
                )
            )
        parts.append(
            _text(
                fit_text(label, 12, label_width),
                x=left - 8,
                y=y0 + (bar_height * len(rows)) / 2 + 2,
                text_anchor="end",
            )
        )
    if category_label:
        parts.append(_text(category_label, x=12, y=top_margin - 6, fill=MUTED, font_size=11))
    if value_label:
        parts.append(
            _text(
                value_label,
                x=left + plot_width / 2,
                y=height - 6,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
            )
        )
    return "".join(parts), height


# -- funnel chart -----------------------------------------------------------------------------


def funnel_chart(
    *,
    title: str,
    stages: Sequence[tuple[str, Number]],
    value_format: Formatter = format_number,
    width: int = 640,
) -> SafeString:
    """A funnel: one centred bar per stage, as wide as its figure compared with the first
    stage, joined by light bands; each stage shows its figure and its share of the first."""
    stages = [(str(label), value) for label, value in stages]
    first = float(stages[0][1]) if stages else 0.0
    widest = max((float(v) for _, v in stages), default=0.0) or 1.0

    def share(value: Number) -> str:
        if not first:
            return ""
        return f"（{Decimal(float(value) / first * 100).quantize(Decimal('0.1'))}%）"

    summary = "；".join(
        f"{label}：{value_format(value)}{share(value)}" for label, value in stages
    ) or str(NO_DATA)
    if not stages:
        return _svg(
            width=width, height=160, title=title, summary=summary, body=_no_data(width, 160)
        )
    label_width = min(max(text_width(label, 12) for label, _ in stages) + 16, width * 0.3)
    value_room = max(text_width(value_format(v) + share(v), 12) for _, v in stages) + 16
    plot_left = label_width
    plot_width = width - label_width - value_room
    centre = plot_left + plot_width / 2
    row, bar = 46, 32
    height = row * len(stages) + 8
    parts = []
    previous: tuple[float, float] | None = None
    for i, (label, value) in enumerate(stages):
        half = max(plot_width * float(value) / widest / 2, 1.5)
        y = 4 + row * i
        colour = PALETTE[i % len(PALETTE)]
        if previous is not None:
            # The band between two stages: shows what was lost on the way.
            top_half, top_y = previous
            points = (
                f"{centre - top_half:.1f},{top_y:.1f} {centre + top_half:.1f},{top_y:.1f} "
                f"{centre + half:.1f},{y:.1f} {centre - half:.1f},{y:.1f}"
            )
            parts.append(_el("polygon", points=points, fill=GRID, opacity=0.6))
        parts.append(
            _el(
                "g",
                _tooltip(f"{label}：{value_format(value)}{share(value)}")
                + _el("rect", x=centre - half, y=y, width=half * 2, height=bar, rx=3, fill=colour),
            )
        )
        parts.append(_text(fit_text(label, 12, label_width - 12), x=8, y=y + bar / 2 + 4))
        parts.append(
            _text(
                value_format(value) + share(value),
                x=width - value_room + 8,
                y=y + bar / 2 + 4,
                font_weight="bold" if i == len(stages) - 1 else None,
            )
        )
        previous = (half, y + bar)
    return _svg(width=width, height=height, title=title, summary=summary, body="".join(parts))


# -- line chart -------------------------------------------------------------------------------


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_label: str = "",
    category_label: str = "",
    value_format: Formatter = format_number,
    width: int = 640,
) -> SafeString:
    """Lines over categories (usually months), one per series, with a dot and tooltip per
    point; a ``None`` value leaves a gap. Axes are labelled with ``value_label`` (left) and
    ``category_label`` (below)."""
    rows = _series_list(series, None, title)
    labels = [str(label) for label in labels]
    summary = _summary(labels, rows, value_format)
    if not labels:
        return _svg(
            width=width, height=160, title=title, summary=summary, body=_no_data(width, 160)
        )
    numbers = [float(v) for s in rows for v in s.values if v is not None]
    whole = all(isinstance(v, int) for s in rows for v in s.values if v is not None)
    top, step = _nice_scale(max(numbers, default=0.0), whole=whole)
    ticks = [step * i for i in range(round(top / step) + 1)]
    tick_width = max(text_width(format_number(t), 11) for t in ticks)
    left = 16 + tick_width + (18 if value_label else 0)
    right = 20
    top_margin = 30 if len(rows) > 1 else 16
    plot_height = 220
    slot = (width - left - right) / len(labels)
    rotate = any(text_width(label, 11) > slot - 2 for label in labels)
    label_room = 60 if rotate else 22
    height = round(top_margin + plot_height + label_room + (20 if category_label else 4))
    base = top_margin + plot_height
    parts = [_legend(rows, x=left, y=16)]

    def y_of(value: float) -> float:
        return base - plot_height * value / top

    def x_of(index: int) -> float:
        return left + slot * index + slot / 2

    for tick in ticks:
        y = y_of(tick)
        parts.append(_el("line", x1=left, y1=y, x2=width - right, y2=y, stroke=GRID))
        parts.append(
            _text(
                format_number(tick),
                x=left - 6,
                y=y + 4,
                text_anchor="end",
                fill=MUTED,
                font_size=11,
            )
        )
    parts.append(_el("line", x1=left, y1=base, x2=width - right, y2=base, stroke=MUTED))
    for i, label in enumerate(labels):
        cx = x_of(i)
        if rotate:
            parts.append(
                _text(
                    fit_text(label, 11, 70),
                    x=cx,
                    y=base + 14,
                    text_anchor="end",
                    font_size=11,
                    transform=f"rotate(-35 {cx:.1f} {base + 14:.1f})",
                )
            )
        else:
            parts.append(_text(label, x=cx, y=base + 16, text_anchor="middle", font_size=11))
    for s in rows:
        segments: list[list[str]] = [[]]
        dots = []
        for i, value in enumerate(s.values[: len(labels)]):
            if value is None:
                segments.append([])
                continue
            x, y = x_of(i), y_of(float(value))
            segments[-1].append(f"{x:.1f},{y:.1f}")
            name = labels[i] if len(rows) == 1 else f"{labels[i]} {s.name}"
            dots.append(
                _el(
                    "g",
                    _tooltip(f"{name}：{value_format(value)}")
                    + _el("circle", cx=x, cy=y, r=3.5, fill=s.colour, stroke="#ffffff"),
                )
            )
        for points in segments:
            if len(points) > 1:
                parts.append(
                    _el(
                        "polyline",
                        points=" ".join(points),
                        fill="none",
                        stroke=s.colour,
                        stroke_width=2,
                        stroke_linejoin="round",
                    )
                )
        parts.extend(dots)
    if value_label:
        ly = top_margin + plot_height / 2
        parts.append(
            _text(
                value_label,
                x=12,
                y=ly,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
                transform=f"rotate(-90 12 {ly:.1f})",
            )
        )
    if category_label:
        parts.append(
            _text(
                category_label,
                x=left + (width - left - right) / 2,
                y=height - 6,
                text_anchor="middle",
                fill=MUTED,
                font_size=11,
            )
        )
    return _svg(width=width, height=height, title=title, summary=summary, body="".join(parts))
