"""Charts of the leader pages as inline SVG, drawn on the server by pygal.

No external file: pygal's tooltips script (loaded from a CDN by default) is switched off, so
the SVG reads as it is in any browser (the WeChat one included) and prints. pygal still writes
its configuration into the SVG as one inline script of data (``window.pygal.config``), which
runs nothing and loads nothing.
"""

import pygal
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
        legend_at_bottom=True,
        print_values=True,
        **options,
    )
    chart.config.js = []
    return chart


def render(chart) -> str:
    """The chart as inline SVG markup (no XML declaration, no external script)."""
    return mark_safe(chart.render(is_unicode=True))


def stages_chart(title: str, rows: list[tuple[str, int]]) -> str:
    """A horizontal bar per stage: ``rows`` are (label, count)."""
    chart = _config(pygal.HorizontalBar, title, show_legend=False)
    chart.x_labels = [label for label, _count in rows]
    chart.add(title, [count for _label, count in rows])
    return render(chart)


def funds_chart(title: str, series: dict[str, list[float]], labels: list[str]) -> str:
    """Grouped bars per funding source: ``series`` maps planned/arrived/spent labels to
    values (in 10,000 yuan), in the order of ``labels``."""
    chart = _config(pygal.Bar, title, x_label_rotation=30)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return render(chart)
