"""The gold question file format, loaded with file:line for every problem.

See evaluation/README.md for the format; it is shared with other teams, so it is
validated strictly and never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from corpus.loader import DEFAULT_CORPUS_DIR, subject_ids

HERE = Path(__file__).resolve().parent
GOLD_FILES = (HERE / "questions.yaml", HERE / "questions-multilingual.yaml")
# Questions written from the fact sheets alone by people who never saw the corpus, the gold set or the code
# (evaluation/independent/README.md); split by author into tune/ and test/.
INDEPENDENT_FILES = tuple(sorted((HERE / "independent").glob("*/*.yaml")))
DEFAULT_QUESTION_FILES = GOLD_FILES + INDEPENDENT_FILES
SPLITS = ("tune", "test")
Kind = Literal["factual", "comparison", "false_premise", "out_of_scope", "paraphrase", "multilingual"]
Status = Literal["answered", "corrected", "abstained"]


def _known_subject(value: str, info: ValidationInfo) -> str:
    """A subject id of corpus/subjects.yaml (the ids come with the validation context)."""
    known = (info.context or {}).get("subjects")
    if known is not None and value not in known:
        raise ValueError(f"unknown subject id {value!r} (the ids are those of corpus/subjects.yaml)")
    return value


SubjectId = Annotated[str, AfterValidator(_known_subject)]
Item = Union[str, int, float, list[Union[str, int, float]]]


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    documents: list[SubjectId] = []
    must_include: list[Item] = []
    must_not_include: list[Union[str, int, float]] = []
    passages: list[str] = []
    quotes: list[str] = []  # optional: the verbatim sentences that answer it (marked in the corpus check)


class GoldQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    question: str
    kind: Kind
    lang: str = "en"
    expect: Expectation
    note: str = ""
    # tune: questions the assistant may be tuned on; test: held out, only measured. Given in the file, or
    # taken from the folder: a file in a folder named "test" is test, every other file tune.
    split: Literal["tune", "test"] = "tune"


@dataclass
class QuestionFileError(Exception):
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def split_of(path: Path) -> str:
    return "test" if "test" in Path(path).parent.parts[-1:] else "tune"


def question_set(question: GoldQuestion) -> str:
    """"independent" for a question of evaluation/independent (its id names the writer's batch: "w3-017"),
    else "gold"."""
    return "independent" if re.match(r"w\d+-", question.id) else "gold"


def batch_of(question: GoldQuestion) -> str:
    """The file a question comes from: its writer's batch ("w3"), or "gold"."""
    return question.id.split("-")[0] if question_set(question) == "independent" else "gold"


def load_questions(paths: list[Path] | tuple[Path, ...] = DEFAULT_QUESTION_FILES,
                   subjects: Collection[str] | None = None) -> list[GoldQuestion]:
    """All questions of the given files; raises QuestionFileError listing every problem as file:line.

    `documents` must name subject ids of `subjects` (default: those of the shipped corpus/subjects.yaml).
    """
    context = {"subjects": tuple(subjects) if subjects is not None else subject_ids(DEFAULT_CORPUS_DIR)}
    questions: list[GoldQuestion] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except FileNotFoundError:
            problems.append(f"{path}:1: file not found")
            continue
        except UnicodeDecodeError:
            problems.append(f"{path}:1: not UTF-8 text")
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(f"{path}:{mark.line + 1 if mark else 1}: malformed YAML: {getattr(exc, 'problem', exc)}")
            continue
        if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
            problems.append(f"{path}:1: expected a list of questions")
            continue
        for item_node, item in zip(node.value, data):
            line = item_node.start_mark.line + 1
            try:
                question = GoldQuestion.model_validate(item, context=context)
            except ValidationError as exc:
                problems.append(f"{path}:{line}: {_describe(exc)}")
                continue
            if question.id in seen:
                problems.append(f"{path}:{line}: duplicate question id {question.id!r} (first in {seen[question.id]})")
                continue
            seen[question.id] = f"{path}:{line}"
            if "split" not in item:
                question = question.model_copy(update={"split": split_of(path)})
            questions.append(question)
    if problems:
        raise QuestionFileError(problems)
    return questions
