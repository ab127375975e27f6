"""The answering pipeline: understand -> retrieve -> premise -> select -> decide -> compose (assistant.pipeline)."""

from assistant.models import Answer, Quote, SourceRef
from assistant.question import MAX_QUESTION_CHARS, QuestionError, validate_question

__all__ = ["MAX_QUESTION_CHARS", "Answer", "Quote", "QuestionError", "SourceRef", "validate_question"]
