"""AI assist against a real local HTTP server that speaks the OpenAI chat-completions shape
(POST /v1/chat/completions -> {"choices": [{"message": {"content": ...}}]}), as OpenAI, Ollama and
vLLM do. No AI endpoint is reachable here, so the server answers from the request it received."""

import asyncio
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.core.config import get_settings
from app.services.planning import assist
from tests.support import free_port

fake = FastAPI()
SEEN: list[dict] = []


@fake.post("/v1/chat/completions")
async def completions(request: Request):
    body = await request.json()
    SEEN.append({"body": body, "auth": request.headers.get("authorization")})
    prompt = body["messages"][-1]["content"]
    if "BOOM" in prompt:
        return JSONResponse({"error": {"message": "model overloaded"}}, status_code=503)
    if "SLOW" in prompt:
        await asyncio.sleep(3)
    if "hashtags" in prompt:
        content = "#launch #python #launch #日本 not-a-tag"
    elif "Shorten" in prompt:
        content = "Short!"
    else:
        content = f"Rewritten: {prompt.splitlines()[-1][:50]}"
    return {"choices": [{"message": {"role": "assistant", "content": content}}]}


@pytest.fixture(scope="module")
def endpoint():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(5)


@pytest.fixture()
def configured(endpoint, monkeypatch, app_env):
    monkeypatch.setenv("AI_BASE_URL", endpoint)
    monkeypatch.setenv("AI_MODEL", "test-model")
    monkeypatch.setenv("AI_API_KEY", "sk-test")
    monkeypatch.setenv("AI_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_rewrite_sends_model_key_and_text(configured):
    assert assist.rewrite("Our café opens Monday") == "Rewritten: Our café opens Monday"
    assert SEEN[-1]["auth"] == "Bearer sk-test" and SEEN[-1]["body"]["model"] == "test-model"


def test_hashtags_are_deduplicated_tags_only(configured):
    assert assist.hashtags("launch post") == ["#launch", "#python", "#日本"]


def test_shorten_fits_the_limit(configured):
    assert assist.shorten("a long post " * 30, "Bluesky", 300) == "Short!"


def test_endpoint_error_is_explained(configured):
    with pytest.raises(assist.AssistUnavailable, match="refused the request \\(503\\): model overloaded"):
        assist.rewrite("BOOM")


def test_timeout_is_explained(configured):
    with pytest.raises(assist.AssistUnavailable, match="did not answer within 1 s"):
        assist.rewrite("SLOW")


def test_not_configured_says_how_to_enable(monkeypatch):
    monkeypatch.delenv("AI_BASE_URL", raising=False)
    get_settings.cache_clear()
    assert not assist.enabled()
    with pytest.raises(assist.AssistUnavailable, match="set AI_BASE_URL"):
        assist.write("anything")
    get_settings.cache_clear()


def test_empty_text_names_the_field(configured):
    with pytest.raises(Exception) as err:
        assist.rewrite("   ")
    assert getattr(err.value, "field", None) == "text"


def test_repeated_failures_open_the_shared_breaker(configured, monkeypatch):
    """After BREAKER_FAILURE_THRESHOLD failures the endpoint is not called at all for a while."""
    from app.core import breaker, llm

    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "2")
    get_settings.cache_clear()
    breaker.reset(llm.BREAKER)
    for _ in range(2):
        with pytest.raises(assist.AssistUnavailable, match="503"):
            assist.rewrite("BOOM")
    calls = len(SEEN)
    with pytest.raises(assist.AssistUnavailable, match="failed several times just now"):
        assist.rewrite("fine text")
    assert len(SEEN) == calls  # refused without a request
    breaker.reset(llm.BREAKER)
    assert assist.rewrite("fine text").startswith("Rewritten")
