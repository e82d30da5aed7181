"""A client for any OpenAI-compatible chat-completions endpoint (POST {base}/chat/completions)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.core import breaker
from app.core.config import get_settings

BREAKER = "ai-assist"  # the same per-service breaker the publishing engine uses for networks


class LLMNotConfigured(Exception):
    """No endpoint set: the UI explains how to enable AI assist."""


class LLMError(Exception):
    """The endpoint failed; `message` is safe to show."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None
    timeout: float


def config() -> LLMConfig:
    s = get_settings()
    if not s.ai_base_url or not s.ai_model:
        raise LLMNotConfigured(
            "AI assist is off: set AI_BASE_URL (an OpenAI-compatible endpoint such as "
            "https://api.openai.com/v1 or a local Ollama at http://127.0.0.1:11434/v1) and AI_MODEL, "
            "plus AI_API_KEY if the endpoint needs one, then restart Quillcast"
        )
    return LLMConfig(s.ai_base_url.rstrip("/"), s.ai_model, s.ai_api_key, s.ai_timeout_seconds)


def chat(system: str, user: str, *, temperature: float = 0.7, max_tokens: int = 600) -> str:
    cfg = config()
    wait = breaker.open_for(BREAKER)
    if wait is not None:
        raise LLMError(f"the AI endpoint failed several times just now; try again in {int(wait) + 1} s")
    try:
        answer = _call(cfg, system, user, temperature, max_tokens)
    except _Transient as exc:
        breaker.record_failure(BREAKER)
        raise LLMError(str(exc)) from exc
    breaker.record_success(BREAKER)
    return answer


class _Transient(Exception):
    """Timeouts, connection errors, 429 and 5xx: they count towards opening the breaker."""


def _call(cfg: LLMConfig, system: str, user: str, temperature: float, max_tokens: int) -> str:
    headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
    body = {
        "model": cfg.model, "temperature": temperature, "max_tokens": max_tokens,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }
    try:
        res = httpx.post(f"{cfg.base_url}/chat/completions", json=body, headers=headers, timeout=cfg.timeout)
    except httpx.TimeoutException as exc:
        raise _Transient(f"the AI endpoint did not answer within {cfg.timeout:g} s; try again") from exc
    except httpx.HTTPError as exc:
        raise _Transient(f"cannot reach the AI endpoint at {cfg.base_url}: {type(exc).__name__}") from exc
    if res.status_code == 429 or res.status_code >= 500:
        raise _Transient(f"the AI endpoint refused the request ({res.status_code}): {_error_text(res)}")
    if res.status_code >= 400:
        raise LLMError(f"the AI endpoint refused the request ({res.status_code}): {_error_text(res)}")
    try:
        content = res.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError("the AI endpoint answered in an unexpected shape (not chat-completions)") from exc
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the AI endpoint returned an empty answer; try again")
    return content.strip()


def _error_text(res: httpx.Response) -> str:
    try:
        err = res.json().get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        return str(msg)[:300] if msg else res.reason_phrase
    except ValueError:
        return res.reason_phrase
