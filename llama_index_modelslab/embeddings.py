"""An offline, deterministic embedding for demos and tests of retrieval pipelines.

ModelsLab's LLM API has no embedding endpoint, and real local embedding models need a model
hub download at run time or a deep-learning runtime (CPU torch: ~1.5 GB installed; see
``make local-embedding`` and ``docs/local-server.md``). For a pipeline that must run offline
with no extra install, :class:`HashEmbedding` embeds text as a *feature
hashing* bag of words and character n-grams: texts that share words get similar vectors, so
retrieval ranks by lexical overlap (like a small BM25), not by meaning. Use a real embedding
model for production retrieval.
"""

from __future__ import annotations

import hashlib
import math
import re

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedding(BaseEmbedding):
    """Deterministic hashed bag-of-words + character n-gram embedding (no network, no model).

    Each lower-cased word and each character n-gram of a word is hashed (BLAKE2b, so results
    are the same in every process, unlike ``hash()``) into one of ``embed_dim`` buckets with a
    sign bit; the counts are L2-normalized, so cosine similarity measures overlap.

    Example:
        ```python
        from llama_index_modelslab import HashEmbedding

        embed = HashEmbedding()
        query = embed.get_query_embedding("bike repair")
        print(round(embed.similarity(query, embed.get_text_embedding("We repair bikes.")), 2))
        ```

        A RAG query engine on it: ``notebooks/02_llama_index_quickstart.ipynb``.

    Args:
        embed_dim: Vector size.
        ngram: Character n-gram length (0 disables n-grams).
    """

    embed_dim: int = Field(default=512, gt=0)
    ngram: int = Field(default=3, ge=0)

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialization."""
        return "HashEmbedding"

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        features = list(words)
        if self.ngram:
            for word in words:
                padded = f"<{word}>"
                n = self.ngram
                features.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        return features

    def embed(self, text: str) -> list[float]:
        """Return the normalized embedding of ``text`` (all zeros for text without words)."""
        vector = [0.0] * self.embed_dim
        for feature in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % self.embed_dim] += 1.0 if value >> 63 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed(text)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self.embed(text)
