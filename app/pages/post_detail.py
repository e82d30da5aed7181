"""One post: its text, each target's state and attempts, and the actions that fit each state."""

from __future__ import annotations

import reflex as rx

from app.pages import routes
from app.pages.layout import workspace_page
from components.legend import status_badge
from state.post_detail import AttemptView, ImageView, PostDetailState, TargetView


def attempt_item(a: AttemptView) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.flex(
                rx.text("#", a.number, weight="bold", size="2"),
                rx.text(a.when, size="2"),
                rx.badge(a.outcome.replace("_", " "), variant="soft",
                         color_scheme=rx.match(a.outcome, ("published", "green"),
                                               ("already_published", "green"), ("transient_error", "orange"),
                                               ("unknown", "purple"), "red")),
                rx.cond(a.http_status != "", rx.text("HTTP ", a.http_status, size="2", color_scheme="gray"),
                        rx.fragment()),
                spacing="2", wrap="wrap", align="center",
            ),
            rx.cond(a.message != "",
                    rx.text(a.message, size="2", style={"overflow_wrap": "anywhere"}), rx.fragment()),
            spacing="1", width="100%",
        ),
        style={"padding": "8px 0", "border_top": f"1px solid {rx.color('gray', 4)}", "list_style": "none"},
    )


def attempts_list(t: TargetView) -> rx.Component:
    return rx.cond(
        t.attempts.length() > 0,
        rx.el.ol(rx.foreach(t.attempts, attempt_item), aria_label="Publish attempts",
                 style={"width": "100%", "margin": "0", "padding": "0"}),
        rx.text("No publish attempt yet.", size="2", color_scheme="gray"),
    )


def _count(value: rx.Var, one: str, many: str) -> rx.Component:
    return rx.hstack(rx.text(value, weight="bold", size="3"),
                     rx.text(rx.cond(value == "1", one, many), size="2", color_scheme="gray"),
                     spacing="1", align="baseline")


def engagement(t: TargetView) -> rx.Component:
    """The latest counts the metrics sync read from the network, and when."""
    return rx.cond(
        t.measured_at != "",
        rx.flex(
            _count(t.likes, "like", "likes"), _count(t.reposts, "repost", "reposts"),
            _count(t.replies, "reply", "replies"),
            rx.cond(t.impressions != "", _count(t.impressions, "view", "views"), rx.fragment()),
            rx.text("as of ", t.measured_at, size="1", color_scheme="gray"),
            spacing="4", wrap="wrap", align="baseline", aria_label="Engagement",
        ),
        rx.fragment(),
    )


def actions(t: TargetView) -> rx.Component:
    """A target's own actions: the ones its state and the member's role allow (the service says which)."""
    return rx.cond(
        t.can_retry | t.can_resolve,
        rx.hstack(
            rx.cond(t.can_retry,
                    rx.button(rx.icon("rotate-ccw", size=16), "Retry", on_click=PostDetailState.retry(t.id),
                              loading=PostDetailState.busy),
                    rx.fragment()),
            rx.cond(t.can_resolve, rx.fragment(
                rx.button("Publish anyway", on_click=PostDetailState.publish_anyway(t.id),
                          loading=PostDetailState.busy),
                rx.button("Mark as posted", variant="soft", on_click=PostDetailState.mark_posted(t.id),
                          loading=PostDetailState.busy),
            ), rx.fragment()),
            spacing="2", wrap="wrap",
        ),
        rx.fragment(),
    )


def target_card(t: TargetView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(t.channel, size="4", as_="h2"),
                    rx.text(t.network, size="2", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                status_badge(t.status, t.colour),
                width="100%", align="center", spacing="3", wrap="wrap",
            ),
            rx.text(rx.cond(t.status == "published", "Published ", "Scheduled for "), t.when,
                    size="2"),
            rx.cond(t.remote_url != "",
                    rx.link(rx.hstack(rx.icon("external-link", size=14), rx.text("View the post"),
                                      spacing="1", align="center"),
                            href=t.remote_url, is_external=True),
                    rx.fragment()),
            engagement(t),
            rx.cond(t.last_error != "",
                    rx.callout(t.last_error, icon="circle-alert", color_scheme="red", size="1", width="100%"),
                    rx.fragment()),
            rx.cond(t.text != PostDetailState.body,  # only an own text that differs from the post's text
                    rx.text(t.text, size="2", white_space="pre-wrap", style={"overflow_wrap": "anywhere"},
                            color_scheme="gray"),
                    rx.fragment()),
            rx.heading("Attempts", size="3", as_="h3"),
            attempts_list(t),
            actions(t),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def image_item(i: ImageView) -> rx.Component:
    return rx.vstack(
        rx.image(src=i.thumb, alt=i.alt, height="96px", width="auto", border_radius="6px",
                 style={"object_fit": "cover"}),
        # the alt text, shown so the writer can check it; hidden from screen readers, which read the alt
        rx.text(rx.cond(i.alt != "", "Alt: " + i.alt, "No alt text"), size="1", color_scheme="gray",
                max_width="220px", style={"overflow_wrap": "anywhere"}, aria_hidden="true"),
        spacing="1",
    )


def post_actions() -> rx.Component:
    """What the whole post can go through now, by this member (the posts service says which): a post that
    has not started can go out now or be changed in the composer; one not yet published can be cancelled."""
    return rx.hstack(
        rx.cond(PostDetailState.can_publish_now,
                rx.button(rx.icon("send", size=16), "Publish now", on_click=PostDetailState.publish_now,
                          loading=PostDetailState.busy),
                rx.fragment()),
        rx.cond(PostDetailState.can_edit,
                rx.button(rx.el.a(rx.icon("pencil", size=16), "Edit",
                                  href=routes.COMPOSE + "?post_id=" + PostDetailState.shown_post_id),
                          as_child=True, variant="soft"),
                rx.fragment()),
        rx.cond(PostDetailState.can_cancel,
                rx.button(rx.cond(PostDetailState.some_published, "Cancel the rest", "Cancel post"),
                          variant="soft", color_scheme="red",
                          on_click=PostDetailState.cancel, loading=PostDetailState.busy),
                rx.fragment()),
        spacing="2", wrap="wrap",
    )


def post_detail_page() -> rx.Component:
    content = rx.cond(
        PostDetailState.not_found != "",
        rx.callout(PostDetailState.not_found, icon="circle-alert", color_scheme="red", width="100%"),
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.hstack(rx.text("Post", size="2", weight="medium"),
                              rx.badge(PostDetailState.post_status.replace("_", " "), variant="soft"),
                              rx.cond(PostDetailState.live,
                                      rx.hstack(rx.spinner(size="1"),
                                                rx.text("Updating live", size="1", color_scheme="gray"),
                                                spacing="1", align="center"),
                                      rx.fragment()),
                              spacing="2", align="center", wrap="wrap"),
                    rx.text(PostDetailState.body, white_space="pre-wrap",
                            style={"overflow_wrap": "anywhere"}),
                    rx.cond(PostDetailState.images.length() > 0,
                            rx.flex(rx.foreach(PostDetailState.images, image_item), spacing="3",
                                    wrap="wrap", aria_label="Images"),
                            rx.fragment()),
                    post_actions(),
                    spacing="2", width="100%",
                ),
                width="100%",
            ),
            rx.foreach(PostDetailState.targets, target_card),
            spacing="4", width="100%",
        ),
    )
    return workspace_page(
        # live while on screen: the watch asks the server often whether the post changed
        rx.box(content, on_mount=PostDetailState.watch, on_unmount=PostDetailState.leave, width="100%"),
        title="Post",
        actions=rx.button(rx.el.a(rx.icon("calendar-days", size=16), "Back to calendar", href="/calendar"),
                          as_child=True, variant="soft"),
    )
