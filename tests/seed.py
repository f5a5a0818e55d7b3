"""The seed's usage example, verbatim (../shared/seed/), for the tests that run it."""

SEED_EXAMPLE = """\
from g4f.Provider.Providers.Bing import _create_completion

messages = [
    {'role': 'user', 'content': 'Привет, как дела?'},
    {'role': 'assistant', 'content': 'Хорошо, спасибо!'}
]

for token in _create_completion('gpt-4', messages, stream=True):
    print(token, end='')
"""
