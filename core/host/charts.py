"""bars(): the bar chart of overview tiles and report sections, the same in every plugin.

Chinese axis titles and tooltips, labels that read horizontally, integer ticks, and the bar a
tile's number counts drawn darker than the rest (see ``MetricResult.chart``). Altair and pandas
are imported when a chart is drawn, not with this module.
"""

from __future__ import annotations

COUNTED = "#c0392b"  # the bar the tile's number counts
OTHER = "#9aa5b1"  # bars drawn for comparison
BAR = "#4c78a8"  # every bar, when all of them are counted
LEVEL_COLOURS = [COUNTED, "#e07b39", BAR, OTHER]  # the highest level darkest, then down the levels


def bars(rows: list[dict], category: str, count: str, *, title: str, counted: str | None = None,
         order: list[str] | None = None, horizontal: bool = False, colour: str | None = None,
         colour_order: list[str] | None = None, grouped: bool = False, palette: list[str] | None = None):
    """Bars of ``count`` per ``category`` (keys of ``rows``), titled ``title`` (what it counts).

    ``counted``: the one category the tile's number counts (darker, the others grey);
    ``order``: the categories' order (default: largest first); ``horizontal``: bars left to
    right, for many or long labels (counties); ``colour``: a third key splitting each bar
    (stacked in ``colour_order``, or side by side with ``grouped``), with a legend above, in
    ``palette`` (default: COUNTED then BAR when grouped, LEVEL_COLOURS when stacked).
    """
    import altair as alt
    import pandas as pd

    sort = order or ("-x" if horizontal else "-y")
    # every label shown and upright; the vertical axis's title upright too, above the axis
    upright = {"titleAngle": 0, "titleAlign": "right", "titleBaseline": "bottom", "titleX": 0, "titleY": -6}
    label_axis = alt.Axis(title=category, labelAngle=0, labelLimit=200, labelOverlap=not horizontal,
                          **(upright if horizontal else {}))
    count_axis = alt.Axis(title=count, format="d", tickMinStep=1, **({} if horizontal else upright))
    if horizontal:
        encoding = {"y": alt.Y(f"{category}:N", sort=sort, axis=label_axis),
                    "x": alt.X(f"{count}:Q", axis=count_axis)}
    else:
        encoding = {"x": alt.X(f"{category}:N", sort=sort, axis=label_axis),
                    "y": alt.Y(f"{count}:Q", axis=count_axis)}
    tooltip = [alt.Tooltip(f"{category}:N", title=category)]
    if colour:
        palette = palette or ([COUNTED, BAR] if grouped else LEVEL_COLOURS)
        domain = colour_order or sorted({r[colour] for r in rows})
        encoding["color"] = alt.Color(f"{colour}:N", sort=domain,
                                      scale=alt.Scale(domain=domain, range=palette[:len(domain)]),
                                      legend=alt.Legend(title=None, orient="top"))
        if grouped:
            if horizontal:
                encoding["yOffset"] = alt.YOffset(f"{colour}:N", sort=domain)
            else:
                encoding["xOffset"] = alt.XOffset(f"{colour}:N", sort=domain)
        else:  # stacked in the legend's order
            rank = {value: i for i, value in enumerate(domain)}
            rows = [{**r, "_rank": rank.get(r[colour], len(rank))} for r in rows]
            encoding["order"] = alt.Order("_rank:Q")
        tooltip.append(alt.Tooltip(f"{colour}:N", title=colour))
    elif counted is not None:
        encoding["color"] = alt.condition(alt.datum[category] == counted, alt.value(COUNTED), alt.value(OTHER))
    else:
        encoding["color"] = alt.value(BAR)
    tooltip.append(alt.Tooltip(f"{count}:Q", title=count, format=","))
    # the height is the plot's own (fit-x: only the width fits the tile), a band per category
    height = 26 * len({r[category] for r in rows}) * (2 if grouped else 1) if horizontal else 160
    return (alt.Chart(pd.DataFrame(rows), title=alt.Title(title, anchor="start", fontSize=13, offset=14))
            .mark_bar().encode(tooltip=tooltip, **encoding)
            .properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))
