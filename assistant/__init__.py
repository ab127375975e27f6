"""The answering pipeline: answer(question) -> Answer, shared by the CLI, the server and the evaluation."""

from assistant.answerer import MAX_QUESTION_CHARS, Assistant, QuestionError, validate_question
from assistant.models import Answer, Quote, SourceRef
from assistant.setup import load_assistant

__all__ = [
    "MAX_QUESTION_CHARS", "Answer", "Assistant", "Quote", "QuestionError", "SourceRef", "load_assistant",
    "validate_question",
]
