# %% [markdown]
# # LlamaIndex quickstart: `ModelsLabLLM`
#
# `ModelsLabLLM` is a LlamaIndex `FunctionCallingLLM` for ModelsLab's LLM API. This notebook
# covers chat and completion, streaming, a RAG query engine over a small document set that
# ships with the notebooks (`data/handbook/`, the customer handbook of an imaginary bike
# shop), an agent with tools, and structured prediction.
#
# **Where the answers come from.** With `MODELSLAB_API_KEY` set, every call goes to ModelsLab.
# Without it, the first cell starts the project's local ModelsLab-compatible server on
# loopback, so the notebook runs offline. That server speaks the same HTTP API but its
# answers are deterministic stand-ins (it is not a language model): for RAG it quotes the
# context sentences that best match the question.

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
# ## The LLM
#
# The key and the endpoint come from `MODELSLAB_API_KEY` and `MODELSLAB_BASE_URL` (default
# `https://modelslab.com/api/v7/llm`); you can also pass `api_key=` and `base_url=`. The
# context window, output size and tool support come from the project's model catalog.
#
# ModelsLab has no embedding endpoint. `HashEmbedding` is an offline, deterministic embedding
# that ranks text by shared words: enough for a demo, but use a real embedding model (any
# LlamaIndex embedding) for real retrieval.

# %%
from llama_index.core import Settings
from llama_index.core.llms import ChatMessage

from llama_index_modelslab import HashEmbedding, ModelsLabLLM

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
llm = ModelsLabLLM(model=MODEL, temperature=0)
Settings.llm = llm
Settings.embed_model = HashEmbedding()
print(llm.metadata.context_window, llm.metadata.is_function_calling_model)

# %% [markdown]
# ## Chat and completion

# %%
response = llm.chat(
    [
        ChatMessage(role="system", content="You answer in one short sentence."),
        ChatMessage(role="user", content="What is the capital of France?"),
    ]
)
print(response.message.content)
print(response.raw["usage"])

# %%
print(llm.complete("What is 2 plus 3 times 4?").text)

# %% [markdown]
# ## Streaming
#
# Each streamed response holds the new text in `delta` (and everything so far in `text`).

# %%
for part in llm.stream_complete("Count to 10."):
    print(part.delta, end="", flush=True)

# %% [markdown]
# ## A RAG query engine over the bundled handbook

# %%
from pathlib import Path

from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

# Keep only the file name as metadata: the default adds the absolute path and file dates,
# which would be embedded with the text and make scores depend on where the files live.
documents = SimpleDirectoryReader(
    "data/handbook", file_metadata=lambda path: {"file_name": Path(path).name}
).load_data()
index = VectorStoreIndex.from_documents(documents)
query_engine = index.as_query_engine(similarity_top_k=2)

print([d.metadata["file_name"] for d in documents])

# %%
response = query_engine.query("Is crash damage covered by the warranty?")
print(response)
for source in response.source_nodes:
    print(f"  {source.node.metadata['file_name']}  score {source.score:.2f}")

# %% [markdown]
# Query engines stream too:

# %%
streaming_engine = index.as_query_engine(similarity_top_k=2, streaming=True)
streaming_engine.query("When are the stores open?").print_response_stream()

# %% [markdown]
# ## An agent with tools
#
# `FunctionAgent` uses the API's native tool calling. Here it has two tools: the handbook's
# query engine and a plain Python function.

# %%
from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.tools import QueryEngineTool


def multiply(a: float, b: float) -> float:
    """Multiply two numbers a and b."""
    return a * b


handbook = QueryEngineTool.from_defaults(
    query_engine,
    name="handbook",
    description="Answers questions about Northwind Bikes: returns, warranty, shipping, stores.",
)
agent = FunctionAgent(
    tools=[handbook, multiply], llm=llm, system_prompt="You help Northwind Bikes customers."
)


async def ask(question):
    """Run the agent, printing each tool call and its result, then the answer."""
    handler = agent.run(question)
    async for event in handler.stream_events():
        if isinstance(event, ToolCall):
            print(f"call    {event.tool_name}({event.tool_kwargs})")
        elif isinstance(event, ToolCallResult):
            print(f"result  {event.tool_output.content}")
    print(f"answer  {await handler}")


await ask("How many days do I have to return a bike? Look it up in the handbook.")

# %%
await ask("What is 12 times 7?")

# %% [markdown]
# ## Structured prediction
#
# `structured_predict` fills a pydantic model. By default it uses a forced tool call;
# `ModelsLabLLM(structured_output_method="json_mode")` asks for a JSON object instead.

# %%
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field


class TestRide(BaseModel):
    """A test-ride booking."""

    name: str = Field(description="Who rides")
    city: str = Field(description="Which store")
    riders: int = Field(description="How many people come")


email = "Marie Curie would like to book a test ride in Grenoble for 2 riders."
booking = llm.structured_predict(
    TestRide, PromptTemplate("Extract the booking from this email: {email}"), email=email
)
booking

# %% [markdown]
# ## Clean up

# %%
llm.close()
await llm.aclose()
if "server" in globals():
    server.stop()

# %% [markdown]
# Next: [usage, cost and choosing a model](03_usage_and_cost.ipynb); before:
# [the LangChain quickstart](01_langchain_quickstart.ipynb).
