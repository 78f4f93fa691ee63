# %% [markdown]
# # Usage, cost and choosing a model
#
# Every answer from ModelsLab reports its token usage; the project's model catalog knows
# each model's prices, context window and capabilities. This notebook counts tokens and
# dollars for one call and across a session (LangChain and LlamaIndex), compares models on
# the same prompt, and picks a model for a job from the catalog.
#
# **Where the answers come from.** With `MODELSLAB_API_KEY` set, every call goes to ModelsLab
# (and costs what is shown). Without it, the first cell starts the project's local
# ModelsLab-compatible server on loopback: its answers are deterministic stand-ins and it
# counts tokens with a simple tokenizer of its own, so the numbers below are realistic in
# size but not what ModelsLab would bill.

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
# ## The model catalog
#
# `list_catalog()` is what the project knows about each model. ModelsLab's `/v1/models`
# lists ids only, so these facts come from ModelsLab's model pages and the upstream
# providers'; `None` (shown as `?`) means *unknown*, never *no*. Prices are dollars per
# million tokens.

# %%
from IPython.display import Markdown

from modelslab_transport import list_catalog


def cell(value):
    """How a catalog fact reads in a table."""
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


rows = ["| model | context | $ in | $ out | vision | tools | JSON | reasoning |", "|---" * 8 + "|"]
for m in list_catalog():
    facts = [m.context_window, m.input_price, m.output_price, m.vision, m.tools, m.json_mode]
    rows.append(f"| `{m.id}` | " + " | ".join(cell(v) for v in [*facts, m.reasoning]) + " |")
Markdown("\n".join(rows))

# %% [markdown]
# Where sources disagree, the catalog keeps the safer figure and says why:

# %%
from modelslab_transport import get_model_info

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
info = get_model_info(MODEL)
print(info.context_window, info.max_output_tokens, info.input_price, info.output_price)
print(info.notes)

# %% [markdown]
# The API itself lists the ids it serves:

# %%
from modelslab_transport import ModelsLabClient

client = ModelsLabClient()  # key and base URL from the environment
served = [entry["id"] for entry in client.list_models()]
print(len(served), "models served;", MODEL in served)

# %% [markdown]
# ## One call: tokens and dollars
#
# The transport client is what both framework adapters use. `count_tokens` asks the API how
# big a prompt is before you send it; `estimate_cost` turns a usage into dollars.

# %%
from modelslab_transport import estimate_cost

request = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
    "max_tokens": 200,
}
prompt_tokens = client.count_tokens(request)
worst_case = estimate_cost(MODEL, {"input_tokens": prompt_tokens, "output_tokens": 200})
print(f"prompt: {prompt_tokens} tokens; at most ${worst_case:.6f} with max_tokens=200")

completion = client.chat(request)
print(completion["text"])
print(completion["usage"])
print(f"cost: ${estimate_cost(MODEL, completion['usage']):.8f}")

# %% [markdown]
# ## A LangChain session
#
# `get_modelslab_callback()` totals every ModelsLab call made inside the block: plain calls,
# streams, agents, across models, sync or async.

# %%
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_modelslab import ChatModelsLab, get_modelslab_callback


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


model = ChatModelsLab(model=MODEL, temperature=0)
with get_modelslab_callback() as cb:
    model.invoke("What is the capital of Germany?")
    for _ in model.stream("Count to 20."):
        pass
    model.invoke("What is the largest planet?", model="openai-gpt-oss-120b")
    create_agent(model, tools=[multiply]).invoke({"messages": [("user", "What is 12 times 7?")]})

print(cb)
for name, usage in cb.usage_by_model.items():
    print(f"{name}: {usage['input_tokens']} in, {usage['output_tokens']} out")

# %% [markdown]
# ## A LlamaIndex session
#
# Each `ModelsLabLLM` response carries its usage and cost in `additional_kwargs`. To total a
# whole pipeline (a RAG query makes its own LLM calls), listen to LlamaIndex's
# instrumentation events:

# %%
from pathlib import Path

from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent

from llama_index_modelslab import HashEmbedding, ModelsLabLLM


class CostMeter(BaseEventHandler):
    """Totals calls, tokens and dollars of every LLM call LlamaIndex reports."""

    calls: int = 0
    tokens: int = 0
    dollars: float = 0.0

    def handle(self, event, **kwargs):
        """Add the usage of a finished chat or completion."""
        if isinstance(event, LLMChatEndEvent | LLMCompletionEndEvent) and event.response:
            extra = event.response.additional_kwargs
            self.calls += 1
            self.tokens += extra.get("total_tokens", 0)
            self.dollars += extra.get("cost") or 0.0


meter = CostMeter()
get_dispatcher().add_event_handler(meter)

llm = ModelsLabLLM(model=MODEL, temperature=0)
# Only the file name as metadata: the default adds the absolute path and file dates, which go
# into the prompt and would make the token counts depend on where the files live.
documents = SimpleDirectoryReader(
    "data/handbook", file_metadata=lambda path: {"file_name": Path(path).name}
).load_data()
index = VectorStoreIndex.from_documents(documents, embed_model=HashEmbedding())
print(index.as_query_engine(llm=llm).query("How long does delivery take in France?"))
response = llm.complete("What is the boiling point of water?")
print(response.text, f"(this call: ${response.additional_kwargs['cost']:.8f})")
print(f"{meter.calls} calls, {meter.tokens} tokens, ${meter.dollars:.8f}")

# %% [markdown]
# ## Comparing models on one prompt
#
# Same prompt, four priced models: tokens used and what the call cost.

# %%
PROMPT = "Summarize in two sentences why a bike shop would publish its return policy."
CANDIDATES = [
    "baidu-ernie-4.5-vl-28b-a3b",
    "baidu-ernie-4.5-vl-424b-a47b",
    "openai-gpt-oss-120b",
    "openai-gpt-oss-120b-free",
]
results = {}
for name in CANDIDATES:
    answer = model.invoke(PROMPT, model=name)
    usage = answer.usage_metadata
    results[name] = (usage["input_tokens"], usage["output_tokens"], estimate_cost(name, usage))

for name, (tokens_in, tokens_out, dollars) in results.items():
    print(f"{name:32} {tokens_in:4} in {tokens_out:4} out  ${dollars:.8f}")

# %%
import matplotlib.pyplot as plt

names = list(results)
tokens_in = [results[n][0] for n in names]
tokens_out = [results[n][1] for n in names]
micro_dollars = [results[n][2] * 1e6 for n in names]

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.6), sharey=True)
left.barh(names, tokens_in, label="input", color="#7aa6c2")
left.barh(names, tokens_out, left=tokens_in, label="output", color="#2f5f8a")
left.set_xlim(0, max(i + o for i, o in zip(tokens_in, tokens_out)) * 1.5)
left.set_title("tokens per call")
left.legend(loc="lower right", fontsize=8)
left.invert_yaxis()
bars = right.barh(names, micro_dollars, color="#d08c3a")
right.bar_label(bars, fmt="%.1f", padding=3, fontsize=8)
right.set_xlim(0, max(micro_dollars) * 1.25)
right.set_title("cost per call (millionths of a dollar)")
fig.tight_layout()

# %% [markdown]
# ## Choosing a model
#
# Start from what the job needs, then compare prices for the expected volume. Unknown facts
# (`None`) are left out rather than guessed: check them on ModelsLab's model page before
# relying on a model.

# %%
def candidates(*, vision=False, tools=False, min_context=0):
    """Catalog models known to meet the needs, cheapest first (unpriced ones last)."""
    fits = [
        m
        for m in list_catalog()
        if (not vision or m.vision)
        and (not tools or m.tools)
        and (m.context_window or 0) >= min_context
    ]
    return sorted(fits, key=lambda m: (m.input_price is None, m.input_price or 0, m.id))


# A month of a support bot: 20,000 questions of ~1,500 prompt tokens and ~300 answer tokens.
monthly = {"input_tokens": 20_000 * 1_500, "output_tokens": 20_000 * 300}
for m in candidates(tools=True, min_context=16_000):
    dollars = estimate_cost(m.id, monthly)
    price = "price unknown" if dollars is None else f"${dollars:,.2f} a month"
    print(f"{m.id:32} vision={cell(m.vision):4} {price}")

# %% [markdown]
# If you know better (a model's real context window on your account, a new model), tell the
# catalog; everything that reads it (max-token defaults, LlamaIndex's context window, the
# cost figures above) follows:

# %%
from modelslab_transport import ModelInfo, register_model

register_model(
    ModelInfo(
        id="my-team-model",
        context_window=65_536,
        tools=True,
        input_price=0.2,
        output_price=0.8,
    )
)
print(get_model_info("my-team-model"))
print(ModelsLabLLM(model="my-team-model").metadata.context_window)

# %% [markdown]
# ## Clean up

# %%
client.close()
model.close()
llm.close()
if "server" in globals():
    server.stop()

# %% [markdown]
# Before: [the LangChain quickstart](01_langchain_quickstart.ipynb) and
# [the LlamaIndex quickstart](02_llama_index_quickstart.ipynb).
