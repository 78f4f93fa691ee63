# %% [markdown]
# # LangChain quickstart: `ChatModelsLab`
#
# `ChatModelsLab` is a LangChain chat model for ModelsLab's LLM API. This notebook goes
# through what you will use most: a single call, streaming, tool calling, an agent with two
# tools, structured output and a question about a picture to ERNIE 4.5 VL.
#
# **Where the answers come from.** With `MODELSLAB_API_KEY` set, every call goes to ModelsLab.
# Without it, the first cell starts the project's local ModelsLab-compatible server on
# loopback, so the notebook runs offline. That server speaks the same HTTP API but its
# answers are deterministic stand-ins (it reads the prompt and the tools' schemas; it is not
# a language model), which is why the stored outputs below read a little mechanically.

# %%
import os

if os.environ.get("MODELSLAB_API_KEY"):
    print("Backend: ModelsLab (MODELSLAB_API_KEY is set)")
else:
    from modelslab_local import start_server

    server = start_server()  # a background thread on a free loopback port
    os.environ["MODELSLAB_API_KEY"] = server.api_key
    os.environ["MODELSLAB_BASE_URL"] = server.base_url
    print("Backend: the local ModelsLab-compatible server (MODELSLAB_API_KEY is not set)")

# %% [markdown]
# ## A model and a first call
#
# The key and the endpoint come from `MODELSLAB_API_KEY` and `MODELSLAB_BASE_URL` (default
# `https://modelslab.com/api/v7/llm`); you can also pass `api_key=` and `base_url=`.

# %%
from langchain_modelslab import ChatModelsLab

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
model = ChatModelsLab(model=MODEL, temperature=0)

reply = model.invoke("What is the capital of France?")
print(reply.text)
print(reply.usage_metadata)

# %% [markdown]
# Reasoning models (ERNIE 4.5 VL is one) can send the thinking behind an answer; it is kept
# apart from the answer's text (`None` when the model sent none):

# %%
print(reply.additional_kwargs.get("reasoning_content"))

# %% [markdown]
# Messages can be tuples, strings or LangChain message objects, and every setting can be
# overridden for one call:

# %%
reply = model.invoke(
    [("system", "You answer in one short sentence."), ("user", "What is 2 plus 3 times 4?")],
    max_tokens=50,
)
print(reply.text)

# %% [markdown]
# ## Streaming
#
# `stream` yields chunks as they arrive; token usage comes with the last one.

# %%
usage = None
for chunk in model.stream("Count to 10."):
    print(chunk.text, end="", flush=True)
    usage = chunk.usage_metadata or usage
print()
print(usage)

# %% [markdown]
# ## Tool calling
#
# Any LangChain tool works. `bind_tools` lets the model ask for calls; you run them and send
# the results back.

# %%
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 18 °C and sunny in {city}."


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


model_with_tools = model.bind_tools([get_weather, multiply])
question = HumanMessage("What is the weather in Lisbon?")
ai = model_with_tools.invoke([question])
for call in ai.tool_calls:
    print(call["name"], call["args"])

# %%
results = [ToolMessage(get_weather.invoke(c["args"]), tool_call_id=c["id"]) for c in ai.tool_calls]
final = model_with_tools.invoke([question, ai, *results])
print(final.text)

# %% [markdown]
# ## An agent with two tools
#
# `langchain.agents.create_agent` (a LangGraph graph) runs that loop for you until the model
# answers in text.

# %%
from langchain.agents import create_agent

agent = create_agent(model, tools=[get_weather, multiply])
question = "What is the weather in Lisbon, and what is 12 times 7?"
result = agent.invoke({"messages": [("user", question)]})


def show(messages):
    """Print a conversation one line per message; tool calls as name(arguments)."""
    for m in messages:
        calls = ", ".join(f"{c['name']}({c['args']})" for c in getattr(m, "tool_calls", []))
        print(f"{m.type:>6}: {calls or m.text}")


show(result["messages"])

# %% [markdown]
# ## Structured output
#
# `with_structured_output` returns instances of your schema (pydantic, TypedDict or JSON
# schema). The default method is a forced tool call; `method="json_mode"` and
# `method="json_schema"` use `response_format` instead.

# %%
from pydantic import BaseModel, Field


class Movie(BaseModel):
    """A movie."""

    title: str = Field(description="The movie's title")
    year: int = Field(description="Year of release")
    director: str


extract = model.with_structured_output(Movie)
movie = extract.invoke("Tell me about the movie Inception (2010) by Christopher Nolan.")
movie

# %% [markdown]
# ## A question about a picture
#
# ERNIE 4.5 VL reads images. This is the picture the next cell sends:

# %%
import base64
from pathlib import Path

from IPython.display import Image

png = Path("data/house.png").read_bytes()
Image(png)

# %%
message = HumanMessage(
    content=[
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"},
    ]
)
print(model.invoke([message]).text)

# %% [markdown]
# Image URLs work too: `{"type": "image", "url": "https://..."}` (the API fetches them).
#
# ## The Anthropic-style endpoint, async and batches
#
# ModelsLab also serves an Anthropic Messages endpoint. `api_format="anthropic"` sends the same
# requests there; everything above works the same way. Every method has an async twin
# (`ainvoke`, `astream`, ...), and `batch` runs several inputs concurrently.

# %%
messages_model = ChatModelsLab(model=MODEL, temperature=0, api_format="anthropic")
print((await messages_model.ainvoke("What is the capital of Italy?")).text)
for reply in model.batch(["What is the capital of Germany?", "What is the largest planet?"]):
    print(reply.text)

# %% [markdown]
# ## Clean up
#
# Models close their HTTP connections when garbage-collected; `close()` does it now.

# %%
model.close()
await messages_model.aclose()
if "server" in globals():
    server.stop()

# %% [markdown]
# Next: [the LlamaIndex quickstart](02_llama_index_quickstart.ipynb) and
# [usage, cost and choosing a model](03_usage_and_cost.ipynb).
