"""The overview's bar charts for the roster: Chinese axis titles and tooltips, labels that read
horizontally, integer ticks, and the bar a tile's number counts drawn darker than the rest."""

from __future__ import annotations

COUNTED = "#c0392b"  # the bar the tile's number counts
OTHER = "#9aa5b1"  # bars drawn for comparison
BAR = "#4c78a8"  # every bar, when all of them are counted


def bars(rows: list[dict], category: str, count: str, *, title: str, counted: str | None = None,
         order: list[str] | None = None, horizontal: bool = False, stack: str | None = None,
         stack_order: list[str] | None = None):
    """Bars of ``count`` per ``category`` (both keys of ``rows``), titled ``title``.

    ``counted``: the one category the tile's number counts (darker, the others grey);
    ``order``: the categories' order (default: largest first); ``horizontal``: bars left to
    right, for many or long labels (counties); ``stack``: a third key whose values split each
    bar (in ``stack_order``, with a legend).
    """
    import altair as alt
    import pandas as pd

    sort = order or ("-x" if horizontal else "-y")
    # every label shown and upright; the vertical axis's title upright too, above the axis
    upright = {"titleAngle": 0, "titleAlign": "right", "titleBaseline": "bottom", "titleX": 0,
               "titleY": -6}
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
    if stack:
        encoding["color"] = alt.Color(f"{stack}:N", sort=stack_order,
                                      scale=alt.Scale(domain=stack_order, range=[COUNTED, BAR]),
                                      legend=alt.Legend(title=None, orient="top"))
        encoding["order"] = alt.Order(f"{stack}:N", sort="descending")
        tooltip.append(alt.Tooltip(f"{stack}:N", title=stack))
    elif counted is not None:
        encoding["color"] = alt.condition(alt.datum[category] == counted, alt.value(COUNTED),
                                          alt.value(OTHER))
    else:
        encoding["color"] = alt.value(BAR)
    tooltip.append(alt.Tooltip(f"{count}:Q", title=count, format=","))
    # the height is the plot's own (fit-x: only the width fits the tile), a band per county
    height = 26 * len({r[category] for r in rows}) if horizontal else 160
    return (alt.Chart(pd.DataFrame(rows), title=alt.Title(title, anchor="start", fontSize=13, offset=14))
            .mark_bar().encode(tooltip=tooltip, **encoding)
            .properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")))
