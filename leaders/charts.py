"""Charts of the leader pages as inline SVG, drawn on the server by pygal.

No external file and no script: pygal's tooltips script (loaded from a CDN by default) is
switched off and the configuration it writes into the SVG as an inline script is taken out, so
the SVG reads as it is in any browser (the WeChat one included), under a strict Content
Security Policy, and prints.
"""

import re

import pygal
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="sans-serif",
    colors=("#2f6f4f", "#d08c2c", "#4a78b5", "#b5484a", "#7a5ea8", "#5a9e9a", "#8a8a8a", "#c7a23a"),
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    value_font_size=14,
    title_font_size=16,
)


def _config(chart_class, title: str, **options):
    chart = chart_class(
        title=title,
        style=STYLE,
        disable_xml_declaration=True,
        explicit_size=False,
        width=640,
        height=360,
        **{"legend_at_bottom": True, "print_values": True, **options},
    )
    chart.config.js = []
    return chart


#: pygal writes its configuration as an inline script for its tooltips, which are off.
CONFIG_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def render(chart, name: str) -> str:
    """The chart as inline SVG markup: no XML declaration and no script at all, so it reads
    under a Content Security Policy that allows no inline script. ``name`` is its accessible
    name (a chart without a title of its own would be called "Pygal")."""
    # pygal writes the SVG with an XML library, which escapes every label and value.
    svg = CONFIG_SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace("<title>Pygal</title>", format_html("<title>{}</title>", name), 1)
    return mark_safe(svg)  # nosec B308 B703


def stages_chart(title: str, rows: list[tuple[str, int]]) -> str:
    """A horizontal bar per stage, in the order of ``rows`` from the top: (label, count).
    The page's heading names it (``title`` is its accessible name only)."""
    rows = list(reversed(rows))  # pygal draws the first bar at the bottom
    chart = _config(pygal.HorizontalBar, None, show_legend=False, truncate_label=-1)
    chart.x_labels = [label for label, _count in rows]
    chart.add(title, [count for _label, count in rows])
    return render(chart, title)


def funds_chart(title: str, series: dict[str, list[float]], labels: list[str]) -> str:
    """Grouped bars per funding source: ``series`` maps planned/arrived/spent labels to
    values (in 10,000 yuan), in the order of ``labels``."""
    chart = _config(
        pygal.Bar,
        None,
        x_label_rotation=20,
        print_values=False,
        legend_at_bottom_columns=len(series),
        truncate_label=-1,
        margin_bottom=20,
    )
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return render(chart, title)


#: The milestone timeline's geometry (SVG user units): labels on the left, the dates' track
#: on the right, one row per milestone.
LABEL_WIDTH, TRACK_WIDTH, ROW_HEIGHT, TOP, RIGHT = 96, 250, 28, 30, 14
STATE_COLOURS = {"done": "#2f6f4f", "late": "#d08c2c", "overdue": "#b5484a", "pending": "#8a8a8a"}


def timeline_chart(
    rows: list[dict], *, today_at: float, labels: dict[str, str], ticks: list[tuple[float, str]]
) -> str:
    """Milestones planned against actual, as one inline SVG (no script): a hollow dot on the
    planned date, a filled one on the actual date (green on time, amber late), a red bar from
    the plan to today for what is overdue, and a line for today. ``rows`` come from
    ``views.milestone_timeline`` (positions 0–100 along the track), as ``ticks`` (position,
    label: the months on the axis); ``labels`` name it and today. Drawn narrow, so that on a
    phone its text stays at its size."""

    def x(position: float) -> float:
        return round(LABEL_WIDTH + position * TRACK_WIDTH / 100, 1)

    height = TOP + ROW_HEIGHT * len(rows) + 22
    axis = height - 16
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
            'aria-label="{}" class="timeline-chart">',
            LABEL_WIDTH + TRACK_WIDTH + RIGHT,
            height,
            labels["title"],
        ),
        format_html(
            '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#999"/>',
            LABEL_WIDTH,
            axis,
            LABEL_WIDTH + TRACK_WIDTH,
        ),
    ]
    for position, label in ticks:
        parts.append(
            format_html(
                '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#999"/>'
                '<text x="{0}" y="{3}" font-size="10" text-anchor="middle" fill="#555">{4}</text>',
                x(position),
                axis,
                axis + 4,
                axis + 14,
                label,
            )
        )
    parts.append(
        format_html(
            '<line x1="{0}" y1="16" x2="{0}" y2="{1}" stroke="#4a78b5" stroke-dasharray="4 3"/>'
            '<text x="{0}" y="12" font-size="11" text-anchor="middle" fill="#4a78b5">{2}</text>',
            x(today_at),
            axis,
            labels["today"],
        )
    )
    for index, row in enumerate(rows):
        y = TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2
        colour = STATE_COLOURS[row["state"]]
        parts.append(
            format_html(
                '<text x="2" y="{}" font-size="11" dominant-baseline="middle">{}</text>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>',
                y,
                row["label"],
                LABEL_WIDTH,
                y,
                LABEL_WIDTH + TRACK_WIDTH,
                y,
            )
        )
        if row["state"] == "overdue" and row["planned_at"] is not None:
            parts.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="4"/>',
                    x(row["planned_at"]),
                    y,
                    x(today_at),
                    y,
                    colour,
                )
            )
        if row["planned_at"] is not None:
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="6" fill="#fff" stroke="{}" stroke-width="2">'
                    "<title>{}</title></circle>",
                    x(row["planned_at"]),
                    y,
                    "#8a8a8a",
                    row["planned_title"],
                )
            )
        if row["actual_at"] is not None:
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="5" fill="{}"><title>{}</title></circle>',
                    x(row["actual_at"]),
                    y,
                    colour,
                    row["actual_title"],
                )
            )
    parts.append(mark_safe("</svg>"))  # nosec B308
    # Every part went through format_html.
    return mark_safe("".join(parts))  # nosec B308 B703
