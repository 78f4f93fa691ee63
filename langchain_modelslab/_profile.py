"""The LangChain model profile of a ModelsLab model, from the transport's catalog. Pure.

``create_agent`` reads the profile to choose between provider-native structured output and a
tool-call strategy, and summarization middleware reads ``max_input_tokens``; a capability the
catalog does not know (``None``) is left out rather than guessed.
"""

from __future__ import annotations

from langchain_core.language_models import ModelProfile

from modelslab_transport import ApiFormat, get_model_info

__all__ = ["model_profile"]


def model_profile(model_id: str, api_format: ApiFormat = "openai") -> ModelProfile:
    """Return the profile of ``model_id`` on the ``api_format`` endpoint.

    Args:
        model_id: The ModelsLab model id (conservative defaults for an unknown id).
        api_format: The endpoint the model talks to. The Messages endpoint
            (``"anthropic"``) takes no ``response_format``, so there the profile says
            native structured output is unavailable and agents use a forced tool call.
            Everything else the profile lists (tools, images, reasoning) works on both.
    """
    info = get_model_info(model_id)
    profile = ModelProfile(
        text_inputs=True,
        text_outputs=True,
        # The chat API takes text and images only.
        pdf_inputs=False,
        audio_inputs=False,
        video_inputs=False,
        image_outputs=False,
        audio_outputs=False,
        video_outputs=False,
        pdf_tool_message=False,
    )
    facts = {
        "max_input_tokens": info.context_window,
        "max_output_tokens": info.max_output_tokens,
        "image_inputs": info.vision,
        "image_url_inputs": info.vision,
        "image_tool_message": info.vision,
        "tool_calling": info.tools,
        "tool_choice": info.tools,
        "tool_call_streaming": info.tools,
        # Provider-native structured output means response_format json_schema, which only
        # the Chat Completions endpoint takes.
        "structured_output": info.json_schema if api_format == "openai" else False,
        "reasoning_output": info.reasoning,
        # The efforts the model takes (reasoning_effort, or a thinking budget on Messages).
        "reasoning_effort_levels": list(info.reasoning_efforts)
        if info.reasoning_efforts is not None
        else None,
    }
    profile.update({k: v for k, v in facts.items() if v is not None})  # type: ignore[typeddict-item]
    return profile
