"""The API's shapes, each a small codec over the shared turn runner (:mod:`g4f.api.turns`):
OpenAI's Chat Completions (:mod:`.chat_completions`) and Responses (:mod:`.responses`) APIs,
Anthropic's Messages API (:mod:`.messages`)."""
