"""/compose: write one post, tailor it per channel, then save, schedule, publish or submit it."""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx

from app.pages.layout import workspace_page
from components.composer import MEDIA_UPLOAD_ID, channel_picker, media_picker, own_text_card, schedule_fields
from components.forms import field_error, form_error
from components.previews import counter
from state.compose import ComposeState

# Ctrl+S / Cmd+S saves the draft, from anywhere on the page (also while typing). The focused field is
# blurred first: its debounced value is sent on blur, so the save includes the last keystrokes.
SAVE_SHORTCUT = """
if (!window.__qcComposeKeys) {
  window.__qcComposeKeys = true;
  document.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== 's') return;
    const save = document.getElementById('save-draft');
    if (!save) return;
    e.preventDefault();
    const field = document.activeElement;
    if (field && field !== document.body && field.blur) field.blur();
    save.click();
    if (field && field.focus) field.focus();
  });
}
"""

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
S = ComposeState


def _post_text() -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.heading("Post", size="3", as_="h2"), html_for="body"),
        rx.text("Every channel uses this text unless you give it its own below.", size="1",
                color_scheme="gray"),
        rx.text_area(
            id="body", value=S.body, on_change=S.set_body, debounce_timeout=400, rows="6", width="100%",
            placeholder="What do you want to say?", aria_describedby="body-error",
            aria_invalid=rx.cond(S.errors.contains("body"), "true", "false"),
        ),
        field_error(S.errors, "body"),
        spacing="1",
        width="100%",
        align="start",
    )


def _thread_part(part: rx.Var, i: rx.Var) -> rx.Component:
    field_id = "thread-part-" + (i + 2).to_string()
    return rx.vstack(
        rx.hstack(
            rx.el.label(rx.text("Thread part ", (i + 2).to_string(), size="2", weight="medium"),
                        html_for=field_id),
            rx.spacer(),
            counter(part.count, part.limit),
            rx.button("Remove", size="1", variant="ghost", color_scheme="gray",
                      aria_label="Remove thread part " + (i + 2).to_string(),
                      on_click=S.remove_thread_part(i)),
            width="100%",
            align="center",
        ),
        rx.text_area(id=field_id, value=part.text, on_change=lambda v: S.set_thread_part(i, v),
                     debounce_timeout=400, rows="3", width="100%"),
        spacing="1",
        width="100%",
    )


def _thread() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button("Split into thread", size="1", variant="soft", on_click=S.split_thread),
            rx.cond(S.thread.length() > 0,
                    rx.text("Parts after the first are posted as replies on every chosen channel that "
                            "posts threads; counted for the strictest: ", S.thread_network, ".", size="1",
                            color_scheme="gray"),
                    rx.fragment()),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        field_error(S.errors, "thread"),
        rx.foreach(S.thread, _thread_part),
        spacing="2",
        width="100%",
    )


def _utm(label: str, key: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="1"), html_for=key),
        rx.input(id=key, value=value, on_change=lambda v: S.set_utm(key, v), size="1", width="100%"),
        spacing="1", flex="1", min_width="110px",
    )


def _tools() -> rx.Component:
    """Links with UTM fields, saved snippets and hashtag groups, and AI assist."""
    off = (S.assist_reason != "") | ~S.channels_loaded  # (not known yet while the page loads)
    return rx.card(
        rx.vstack(
            rx.heading("Tools", size="3", as_="h2"),
            rx.flex(
                _utm("UTM source", "utm_source", S.utm_source),
                _utm("UTM medium", "utm_medium", S.utm_medium),
                _utm("UTM campaign", "utm_campaign", S.utm_campaign),
                rx.button("Shorten links", size="1", variant="soft", on_click=S.shorten_links,
                          align_self="end"),
                spacing="2", wrap="wrap", width="100%",
            ),
            field_error(S.errors, "links"),
            rx.cond(
                S.snippets.length() > 0,
                rx.menu.root(
                    rx.menu.trigger(rx.button("Insert snippet or hashtags", size="1", variant="soft")),
                    rx.menu.content(rx.foreach(
                        S.snippets,
                        lambda sn: rx.menu.item(sn["name"], on_select=S.insert_snippet(sn["id"])),
                    )),
                ),
                rx.fragment(),
            ),
            rx.flex(
                rx.vstack(
                    rx.el.label(rx.text("AI topic", size="1"), html_for="assist-topic"),
                    rx.input(id="assist-topic", value=S.topic, on_change=S.set_topic, size="1",
                             width="100%", disabled=off, aria_describedby="topic-error"),
                    spacing="1", flex="1", min_width="160px",
                ),
                rx.button("Write from topic", size="1", variant="soft", disabled=off,
                          on_click=S.assist("write"), align_self="end"),
                rx.button("Rewrite", size="1", variant="soft", disabled=off, on_click=S.assist("rewrite"),
                          align_self="end"),
                rx.button("Shorten for strictest network", size="1", variant="soft", disabled=off,
                          on_click=S.assist("shorten"), align_self="end"),
                rx.button("Suggest hashtags", size="1", variant="soft", disabled=off,
                          on_click=S.assist("hashtags"), align_self="end"),
                spacing="2", wrap="wrap", width="100%",
            ),
            rx.cond(off, rx.text(S.assist_reason, size="1", color_scheme="gray"), rx.fragment()),
            field_error(S.errors, "assist"),
            field_error(S.errors, "topic"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _actions() -> rx.Component:
    return rx.flex(
        rx.button("Save draft", variant="soft", on_click=S.save_draft(S.nonce), loading=S.busy,
                  id="save-draft", aria_keyshortcuts="Control+S Meta+S",
                  title="Save draft (Ctrl+S, ⌘S on a Mac)"),
        rx.cond(
            S.can_schedule,
            rx.fragment(
                rx.button("Schedule", on_click=S.schedule(S.nonce), loading=S.busy),
                rx.button("Publish now", variant="outline", on_click=S.publish_now(S.nonce),
                          loading=S.busy),
            ),
            rx.button("Submit for approval", on_click=S.schedule(S.nonce), loading=S.busy),
        ),
        rx.text("Ctrl+S (⌘S on a Mac) saves the draft.", size="1", color_scheme="gray"),
        spacing="3",
        wrap="wrap",
        align="center",
        on_mount=rx.call_script(SAVE_SHORTCUT),
    )


def _approval() -> rx.Component:
    """Editors and up decide on a post awaiting approval."""
    return rx.cond(
        S.can_approve,
        rx.card(
            rx.vstack(
                rx.heading("Awaiting your approval", size="3", as_="h2"),
                rx.el.label(rx.text("Comment for the author (needed to request changes)", size="2"),
                            html_for="review-comment"),
                rx.text_area(id="review-comment", value=S.review_comment, on_change=S.set_review_comment,
                             debounce_timeout=300, rows="2", width="100%",
                             aria_describedby="comment-error"),
                field_error(S.errors, "comment"),
                rx.hstack(
                    rx.button("Approve", color_scheme="green", on_click=S.approve(S.nonce), loading=S.busy),
                    rx.button("Request changes", variant="soft", color_scheme="orange",
                              on_click=S.request_changes(S.nonce), loading=S.busy),
                    spacing="3",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def _status_line() -> rx.Component:
    return rx.hstack(
        rx.cond(S.post_status != "",
                rx.badge(S.post_status.to(str).replace("_", " "), variant="soft"),
                rx.badge("new", variant="soft", color_scheme="gray")),
        rx.text(S.saved_label, size="1", color_scheme="gray", aria_live="polite"),
        spacing="2",
        align="center",
    )


def compose_page() -> rx.Component:
    return workspace_page(
        rx.vstack(
            _status_line(),
            form_error(S.errors),
            field_error(S.errors, "post_id"),
            rx.cond(
                S.approval_comment != "",
                rx.callout(rx.text("Changes requested: ", S.approval_comment), icon="message-square",
                           color_scheme="orange", width="100%"),
                rx.fragment(),
            ),
            _approval(),
            _post_text(),
            _thread(),
            media_picker(S.media, S.uploading, S.upload_percent, S.errors,
                         S.handle_upload(rx.upload_files(  # type: ignore[call-arg]
                             upload_id=MEDIA_UPLOAD_ID, on_upload_progress=S.upload_progress)),
                         S.set_alt, S.remove_media),
            channel_picker(S.channels, S.selected, S.toggle_channel, S.errors, S.channels_loaded),
            rx.cond(
                S.cards.length() > 0,
                rx.vstack(
                    rx.heading("Per channel", size="3", as_="h2"),
                    rx.grid(
                        rx.foreach(S.cards, lambda c: own_text_card(c, S.set_own_text, S.use_post_text,
                                                                    S.touched)),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="4",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.fragment(),
            ),
            _tools(),
            rx.vstack(
                rx.hstack(
                    rx.heading("When", size="3", as_="h2"),
                    rx.spacer(),
                    rx.button("Next free slot", size="1", variant="soft", on_click=S.next_slot),
                    width="100%",
                    align="center",
                ),
                schedule_fields(S.day, S.clock, S.timezone, ZONES, S.errors, S.set_day, S.set_clock,
                                S.set_timezone),
                rx.cond(
                    S.ask_fold,
                    rx.vstack(
                        rx.text("Use the first or the second reading named above, then press the button "
                                "again:", size="2", id="fold-label"),
                        rx.radio(["first", "second"], value=S.fold, on_change=S.set_fold, direction="row",
                                 aria_labelledby="fold-label"),
                        spacing="1",
                    ),
                    rx.fragment(),
                ),
                spacing="2",
                width="100%",
            ),
            # the buttons once the page knows the role (a contributor submits, an editor schedules)
            rx.cond(S.channels_loaded, _actions(), rx.fragment()),
            spacing="5",
            width="100%",
            max_width="960px",
            padding_bottom="48px",
        ),
        title="Compose",
    )
