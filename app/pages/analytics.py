"""Analytics: did posts go out, on time, did people click, and how did each post do?"""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from components.heatmap import heatmap, legend
from components.networks import network_badge
from state.analytics import AnalyticsState as S
from state.best_times import BestTimesState as B

SELECT_STYLE = {"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1), "color": rx.color("gray", 12), "max_width": "100%"}


def _stat(label: str, key: str, hint: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(S.summary.get(key, "—"), size="7", as_="p"),
            rx.text(hint, size="1", color_scheme="gray"),
            spacing="1",
        ),
        min_width="150px",
        flex="1",
    )


def _caption(name: str) -> rx.Component:
    """The table's accessible name; the card's heading already shows it to sighted readers."""
    return rx.el.caption(name, style={
        "position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden",
        "clip": "rect(0 0 0 0)", "white_space": "nowrap"})


def _chart() -> rx.Component:
    return rx.card(
        rx.heading("Posts per day", size="4", as_="h2", margin_bottom="8px"),
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="published", name="Published", stack_id="a", fill="#30a46c"),
            rx.recharts.bar(data_key="failed", name="Failed", stack_id="a", fill="#e5484d"),
            data=S.per_day,
            height=260,
            width="100%",
        ),
        width="100%",
    )


def _networks() -> rx.Component:
    def row(n: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.cell(network_badge(n["network"])),
            rx.table.cell(n["published"]),
            rx.table.cell(n["failed"]),
            rx.table.cell(n["waiting"]),
            rx.table.cell(n["on_time"]),
            rx.table.cell(n["median"]),
            rx.table.cell(n["attempts"]),
        )

    return rx.card(
        rx.heading("By network", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.per_network.length() > 0,
            rx.table.root(
                _caption("By network"),
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Network", "Published", "Failed", "Waiting", "On time", "Median delay", "Attempts")])),
                rx.table.body(rx.foreach(S.per_network, row)),
                width="100%",
            ),
            rx.text("Nothing published in this period yet.", color_scheme="gray"),
        ),
        width="100%",
        overflow_x="auto",
    )


def _links() -> rx.Component:
    return rx.card(
        rx.heading("Most clicked short links", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.top_links.length() > 0,
            rx.vstack(rx.foreach(S.top_links, lambda link: rx.hstack(
                rx.code("/l/", link["code"]),
                rx.text(link["destination"], size="2", color_scheme="gray", trim="both",
                        style={"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"},
                        flex="1", min_width="0"),
                rx.badge(link["clicks"].to_string(), " clicks"),
                width="100%", align="center",
            )), width="100%"),
            rx.text("No clicks yet. Shorten links in the composer to count them.", color_scheme="gray"),
        ),
        width="100%",
    )


LIST_STYLE = {"margin": "0", "padding": "0", "list_style": "none"}
ITEM_STYLE = {"padding": "10px 0", "border_top": f"1px solid {rx.color('gray', 4)}"}


def _counts(x: rx.Var) -> rx.Component:
    return rx.text(rx.text.strong(x["likes"]), " ", x["likes_word"], " · ", rx.text.strong(x["reposts"]), " ",
                   x["reposts_word"], " · ", rx.text.strong(x["replies"]), " ", x["replies_word"], size="2")


def _post_item(p: rx.Var) -> rx.Component:
    """A top post on a phone: the table's columns would not fit, so each post is a short block."""
    return rx.el.li(rx.vstack(
        rx.link(p["excerpt"], href=p["href"], size="2", weight="medium", style={"overflow_wrap": "anywhere"}),
        rx.flex(network_badge(p["network"]), rx.text(p["channel"], " · ", p["published"], size="1",
                                                     color_scheme="gray"),
                spacing="2", align="center", wrap="wrap"),
        _counts(p),
        spacing="1",
    ), style=ITEM_STYLE)


def _network_item(e: rx.Var) -> rx.Component:
    return rx.el.li(rx.flex(
        network_badge(e["network"]),
        rx.cond(e["reports"] != "", _counts(e), rx.text(e["note"], size="2", color_scheme="gray")),
        spacing="2", align="center", wrap="wrap",
    ), style=ITEM_STYLE)


def _engagement() -> rx.Component:
    """Totals per network; a network that reports nothing says so rather than showing zeros."""
    def row(e: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(network_badge(e["network"])),
            rx.cond(
                e["reports"] != "",
                rx.fragment(
                    rx.table.cell(e["likes"]), rx.table.cell(e["reposts"]), rx.table.cell(e["replies"]),
                    rx.table.cell(e["impressions"]),
                    rx.table.cell(rx.text(e["note"], size="1", color_scheme="gray")),
                ),
                rx.table.cell(rx.text(e["note"], size="2", color_scheme="gray"), col_span=5),
            ),
        )

    return rx.card(
        rx.heading("Engagement by network", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.engagement.length() > 0,
            rx.fragment(
                rx.tablet_and_desktop(rx.table.root(
                    _caption("Engagement by network"),
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Network", "Likes", "Reposts", "Replies", "Views", "Measured")])),
                    rx.table.body(rx.foreach(S.engagement, row)),
                    width="100%",
                )),
                rx.mobile_only(rx.el.ul(rx.foreach(S.engagement, _network_item),
                                        aria_label="Engagement by network", style=LIST_STYLE)),
            ),
            rx.text("Likes, reposts and replies per network appear once posts are published.",
                    color_scheme="gray"),
        ),
        width="100%",
    )


def _top_posts() -> rx.Component:
    def row(p: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(
                rx.link(p["excerpt"], href=p["href"], size="2", weight="medium",
                        style={"overflow_wrap": "anywhere"}),
                min_width="180px", max_width="360px",
            ),
            rx.table.cell(rx.vstack(network_badge(p["network"]), rx.text(p["channel"], size="1",
                                                                         color_scheme="gray"),
                                    spacing="1")),
            rx.table.cell(rx.text(p["published"], size="2", white_space="nowrap")),
            rx.table.cell(p["likes"]),
            rx.table.cell(p["reposts"]),
            rx.table.cell(p["replies"]),
        )

    return rx.card(
        rx.heading("Top posts", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.top_posts.length() > 0,
            rx.fragment(
                rx.tablet_and_desktop(rx.table.root(
                    _caption("Top posts"),
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Post", "Channel", "Published", "Likes", "Reposts", "Replies")])),
                    rx.table.body(rx.foreach(S.top_posts, row)),
                    width="100%",
                )),
                rx.mobile_only(rx.el.ul(rx.foreach(S.top_posts, _post_item), aria_label="Top posts",
                                        style=LIST_STYLE)),
            ),
            rx.text("No numbers yet. Likes, reposts and replies are read from Mastodon, X and Bluesky "
                    "after a post goes out.", color_scheme="gray"),
        ),
        width="100%",
        overflow_x="auto",
    )


def _use_times_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Use these times?"),
            rx.alert_dialog.description(
                "The queue of ", rx.text.strong(B.confirm_label), " will post at these times each week, "
                "in place of its current slots: ",
                rx.foreach(B.suggestions, lambda s, i: rx.text.span(rx.cond(i > 0, ", ", ""), s["label"])),
                ". Posts already scheduled keep their times."),
            rx.hstack(
                rx.button("Keep my slots", variant="soft", color_scheme="gray", on_click=B.cancel_confirm),
                rx.button("Use these times", on_click=B.use_times),
                spacing="3", justify="end", margin_top="16px", wrap="wrap",
            ),
            max_width="440px",
        ),
        open=B.confirm_id != "",
        on_open_change=B.dialog_open_change,
    )


def _suggestions() -> rx.Component:
    return rx.vstack(
        rx.text("Suggested queue slots", size="2", weight="medium"),
        rx.cond(
            B.suggestions.length() > 0,
            rx.flex(rx.foreach(B.suggestions, lambda s: rx.badge(s["label"], size="2", variant="soft")),
                    gap="6px", wrap="wrap"),
            rx.text("No hour has enough posts for a score yet.", size="2", color_scheme="gray"),
        ),
        rx.cond(
            B.can_use_times,
            rx.button("Use these times", rx.icon("calendar-clock", size=16), on_click=B.ask_use_times,
                      variant="soft"),
            rx.cond(B.channel == "",
                    rx.text("Choose a channel to use these times for its queue.", size="1",
                            color_scheme="gray"),
                    rx.fragment()),
        ),
        spacing="2",
        width="100%",
    )


def _best_times() -> rx.Component:
    """When posts drew the most engagement; honest about a sample too small to say."""
    picker = rx.hstack(
        rx.el.label(rx.text("Channel", size="2"), html_for="best-times-channel"),
        rx.el.select(
            rx.el.option("All channels", value=""),
            rx.foreach(B.channel_options, lambda c: rx.el.option(c["name"], value=c["id"])),
            id="best-times-channel", value=B.channel, on_change=B.pick_channel, style=SELECT_STYLE,
        ),
        align="center", spacing="2", min_width="0",
    )
    return rx.card(
        rx.vstack(
            rx.flex(rx.heading("Best time to post", size="4", as_="h2"), picker,
                    justify="between", align="center", wrap="wrap", gap="8px", width="100%"),
            rx.cond(B.error != "", rx.callout(B.error, icon="triangle-alert", color_scheme="red"),
                    rx.fragment()),
            rx.cond(
                B.enough,
                rx.vstack(heatmap(B.rows, B.hours, "Engagement per post by weekday and hour"), legend(),
                          _suggestions(), spacing="3", width="100%"),
                rx.callout(
                    rx.text(rx.text.strong("Not enough data yet: "), B.sample, ". Scores appear once "
                            "likes, reposts and replies have been read back for enough posts (Mastodon, X "
                            "and Bluesky report them); keep posting at different times to learn more."),
                    icon="hourglass", color_scheme="gray", width="100%",
                ),
            ),
            rx.text(B.zone_note, size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        _use_times_dialog(),
        width="100%",
        min_width="0",
    )


def analytics_page() -> rx.Component:
    range_picker = rx.hstack(
        rx.el.label(rx.text("Period", size="2"), html_for="analytics-days"),
        rx.el.select(
            rx.el.option("Last 7 days", value="7"), rx.el.option("Last 30 days", value="30"),
            rx.el.option("Last 90 days", value="90"), rx.el.option("Last year", value="365"),
            id="analytics-days", value=S.days, on_change=S.set_days, style=SELECT_STYLE,
        ),
        align="center",
        spacing="2",
    )
    return workspace_page(
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red"), rx.fragment()),
        rx.flex(
            _stat("Published", "published", "posts that went out"),
            _stat("On time", "on_time", "within a minute of schedule"),
            _stat("Slowest 5 %", "p95", "delay at the 95th percentile"),
            _stat("Failed", "failed", "see each post for the reason"),
            _stat("Link clicks", "clicks", "on Quillcast short links"),
            wrap="wrap",
            gap="12px",
            width="100%",
        ),
        _chart(),
        _networks(),
        rx.flex(
            _stat("Likes", "likes", "latest count of each post"),
            _stat("Reposts", "reposts", "boosts, retweets, reposts"),
            _stat("Replies", "replies", "on the networks that count them"),
            wrap="wrap",
            gap="12px",
            width="100%",
        ),
        _best_times(),
        _top_posts(),
        _engagement(),
        _links(),
        title="Analytics",
        actions=range_picker,
    )
