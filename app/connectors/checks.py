"""Content checks shared by connectors: each problem names the network, the limit and the fix."""

from __future__ import annotations

from collections.abc import Callable

from app.connectors import catalogue
from app.connectors.base import Limits, MediaItem, PermanentError, Problem, PublishRequest
from app.connectors.text import code_points, utf8_bytes


def refuse(problems: list[Problem]) -> None:
    """Stop before calling the network when the content breaks its rules: every problem, in one message."""
    if problems:
        raise PermanentError("; ".join(p.message for p in problems))


def follow_up(request: PublishRequest) -> tuple[str, ...]:
    """The first comment, posted as the last reply where a network has no comment of its own."""
    return (request.first_comment,) if request.first_comment else ()


def text_problems(
    network: str,
    limits: Limits,
    request: PublishRequest,
    *,
    count: Callable[[str], int] = code_points,
    unit: str = "characters",
) -> list[Problem]:
    name = catalogue.subject(network)
    problems: list[Problem] = []
    text_limit = limits.max_chars
    if request.media and limits.max_caption_chars:
        text_limit = limits.max_caption_chars
    parts = [("text", request.text, "this post")] + [
        (f"thread[{i}]", t, f"part {i} of the thread") for i, t in enumerate(request.thread, start=1)
    ]
    if request.thread and not limits.supports_threads:
        problems.append(
            Problem(
                network,
                "thread",
                f"{name} has no threads; post the parts separately or remove the follow-up parts",
            )
        )
        parts = parts[:1]
    if request.first_comment is not None and limits.supports_first_comment:
        parts.append(("first_comment", request.first_comment, "the first comment"))
    if not request.text.strip() and not request.media:
        problems.append(Problem(network, "text", f"{name} needs some text or an image; write the post first"))
    for field_name, body, where in parts:
        if field_name != "text" and not body.strip():
            problems.append(
                Problem(network, field_name, f"{where.capitalize()} is empty; write it or remove it")
            )
        limit = text_limit if field_name == "text" else limits.max_chars
        n = count(body)
        if n > limit:
            what = " in a caption with an image" if field_name == "text" and limit != limits.max_chars else ""
            problems.append(
                Problem(
                    network,
                    field_name,
                    f"{name} allows {limit} {unit}{what}; {where} has {n} — shorten it by {n - limit}",
                    limit=limit,
                    actual=n,
                )
            )
        if limits.max_text_bytes:
            b = utf8_bytes(body)
            if b > limits.max_text_bytes:
                problems.append(
                    Problem(
                        network,
                        field_name,
                        f"{name} allows {limits.max_text_bytes} bytes of text; this has {b} — shorten it "
                        "(emoji and non-Latin letters take several bytes each)",
                        limit=limits.max_text_bytes,
                        actual=b,
                    )
                )
    if request.first_comment is not None and not limits.supports_first_comment:
        problems.append(Problem(network, "first_comment", f"{name} has no first comment; remove it"))
    return problems


def media_problems(network: str, limits: Limits, media: tuple[MediaItem, ...]) -> list[Problem]:
    name = catalogue.subject(network)
    problems: list[Problem] = []
    if len(media) > limits.max_media:
        if limits.max_media == 0:
            msg = f"{name} posts cannot carry images here; remove the {len(media)} attached"
        else:
            msg = (
                f"{name} allows {limits.max_media} image(s) per post; this post has {len(media)} — "
                f"remove {len(media) - limits.max_media}"
            )
        problems.append(Problem(network, "media", msg, limit=limits.max_media, actual=len(media)))
    for i, item in enumerate(media):
        field_name = f"media[{i}]"
        is_video = item.content_type in limits.video_types
        if item.content_type not in limits.image_types and not is_video:
            allowed = ", ".join(limits.image_types + limits.video_types) or "none"
            problems.append(
                Problem(
                    network,
                    field_name,
                    f"{name} does not accept {item.content_type or 'this file type'}; use one of: {allowed}",
                )
            )
            continue
        max_bytes = limits.max_video_bytes if is_video else limits.max_image_bytes
        if max_bytes and item.size_bytes > max_bytes:
            problems.append(
                Problem(
                    network,
                    field_name,
                    f"{name} allows files up to {max_bytes:,} bytes; this one has {item.size_bytes:,} — "
                    "resize or compress it",
                    limit=max_bytes,
                    actual=item.size_bytes,
                )
            )
        if limits.max_alt_text_chars and code_points(item.alt_text) > limits.max_alt_text_chars:
            n = code_points(item.alt_text)
            problems.append(
                Problem(
                    network,
                    f"{field_name}.alt_text",
                    f"{name} allows {limits.max_alt_text_chars} characters of alt text; this has {n} — "
                    f"shorten it by {n - limits.max_alt_text_chars}",
                    limit=limits.max_alt_text_chars,
                    actual=n,
                )
            )
    return problems
