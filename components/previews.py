"""A post as each network will show it. Stateless: takes segment lists and plain values.

Segments come from app.services.planning.preview.segments and are rendered as text, so markup is inert.
"""

from __future__ import annotations

import reflex as rx

from app.connectors import catalogue
from components.networks import look

__all__ = ["counter", "preview_card"]


def _segment(seg: rx.Var, accent: str) -> rx.Component:
    return rx.match(
        seg["kind"],
        ("newline", rx.el.br()),
        ("link", rx.el.span(seg["text"], style={"color": accent})),
        ("mention", rx.el.span(seg["text"], style={"color": accent})),
        ("hashtag", rx.el.span(seg["text"], style={"color": accent})),
        rx.el.span(seg["text"]),
    )


def counter(used: rx.Var, limit: rx.Var, label: rx.Var | str = "") -> rx.Component:
    """`212 / 300` turning red past the limit; screen readers hear the same numbers."""
    over = used > limit
    return rx.text(
        label, " ", used.to_string(), " / ", limit.to_string(),
        size="1", weight="medium", color_scheme=rx.cond(over, "red", "gray"),
        aria_live="polite",
    )


def preview_card(network: str, name: rx.Var | str, handle: rx.Var | str, segs: rx.Var,
                 media_urls: rx.Var | list[str] | None = None) -> rx.Component:
    accent, icon, label = look(network).colour, look(network).icon, catalogue.label(network)
    name_var = rx.Var.create(name).to(str)
    media = rx.Var.create(media_urls if media_urls is not None else []).to(list[str])
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=rx.cond(name_var != "", name_var[0:1], "Q"), size="3", radius="full"),
                rx.vstack(
                    rx.text(name_var, weight="bold", size="2"),
                    rx.text(handle, size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.icon(icon, size=16, color=accent, aria_label=label),
                width="100%",
                align="center",
            ),
            rx.text(rx.foreach(segs, lambda s: _segment(s, accent)), size="2",
                    style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
            rx.cond(
                media.length() > 0,
                rx.grid(rx.foreach(media, lambda u: rx.image(src=u, width="100%", alt="")),
                        columns="2", spacing="2", width="100%"),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        style={"border_top": f"3px solid {accent}"},
        aria_label=f"{label} preview",
    )
