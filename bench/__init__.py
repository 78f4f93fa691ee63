"""Client CPU benchmark: raw httpx, the openai SDK, the LangChain and LlamaIndex peers, ours.

Run ``python -m bench`` (or ``make bench``); ``--quick`` is the CI smoke size. See README.
"""
