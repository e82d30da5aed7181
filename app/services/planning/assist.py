"""AI assist for the composer: write, rewrite, shorten for a network, suggest hashtags."""

from __future__ import annotations

import regex

from app.core import llm
from app.services import usage
from app.services.errors import DomainError, ValidationFailed

MAX_INPUT = 10_000
_SYSTEM = (
    "You help a social media manager write posts. Answer with the post text only: no preamble, no quotes, "
    "no explanations. Keep the author's language, facts, links, mentions and tone."
)
HASHTAG = regex.compile(r"#[\p{L}\p{N}_]+")


class AssistUnavailable(DomainError):
    status_code = 503
    code = "assist_unavailable"


def _check(text: str, field: str = "text") -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed(f"{field}: write something first", field=field)
    if len(text) > MAX_INPUT:
        raise ValidationFailed(f"{field}: AI assist takes at most {MAX_INPUT:,} characters", field=field)
    return text


def _ask(prompt: str, **kw: float | int) -> str:
    try:
        answer = llm.chat(_SYSTEM, prompt, **kw)  # type: ignore[arg-type]
    except (llm.LLMNotConfigured, llm.LLMError) as exc:
        raise AssistUnavailable(str(exc)) from exc
    usage.record("ai_assist")
    return answer


def enabled() -> bool:
    try:
        llm.config()
    except llm.LLMNotConfigured:
        return False
    return True


def write(topic: str) -> str:
    return _ask(f"Write one social media post about: {_check(topic, 'topic')}")


def rewrite(text: str, instruction: str = "clearer and more engaging") -> str:
    return _ask(f"Rewrite this post to be {instruction[:200]}:\n\n{_check(text)}")


def shorten(text: str, network: str, limit: int, count: object = len) -> str:
    """Shortened to fit `limit` as the network counts; asks once more if the first answer is too long."""
    text = _check(text)
    counter = count if callable(count) else len
    prompt = f"Shorten this post for {network} to at most {limit} characters, keeping its meaning:\n\n{text}"
    answer = _ask(prompt, temperature=0.3)
    if counter(answer) > limit:
        answer = _ask(f"{prompt}\n\nYour last answer had {counter(answer)} characters. Make it shorter.",
                      temperature=0.2)
    if counter(answer) > limit:
        raise AssistUnavailable(f"the AI could not fit this into {limit} characters for {network}; "
                                "shorten it by hand or split it into a thread")
    return answer


def hashtags(text: str, how_many: int = 5) -> list[str]:
    answer = _ask(f"Suggest {how_many} relevant hashtags for this post, space separated:\n\n{_check(text)}",
                  temperature=0.4, max_tokens=100)
    tags = list(dict.fromkeys(HASHTAG.findall(answer)))
    return tags[:how_many]
