"""The answering policy: the weights and thresholds the answering stages read, as data.

`python -m evaluation.calibrate` fits them on the `tune` questions and writes config/policy.yaml;
nothing is copied by hand into code. The numbers in the file say what was measured when it was
written (its `calibration` block); docs/calibration.md explains the method.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

POLICY_FILE = Path(__file__).resolve().parent / "policy.yaml"


class Quoting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_quotes: int = Field(3, ge=1, description="quotes per answer")
    max_sentences: int = Field(5, ge=1, description="sentences per answer, over all quotes")
    same_passage_margin: float = Field(0.25, ge=0, description="a sentence of the best passage is quoted beside the best one within this score")
    other_passage_margin: float = Field(0.06, ge=0, description="a sentence of another passage is quoted within this score of the best")


class Decision(BaseModel):
    """P(answerable) = logistic(bias + sum of weight * feature); the assistant answers at or above `answer_above`."""

    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    bias: float
    answer_above: float = Field(0.5, gt=0, lt=1)


class Premise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    misconception_above: float = Field(0.9, description="similarity to a curated false claim that makes a question rest on it")
    misconception_margin: float = Field(0.02, description="by how much the false claim must be closer than its true counterpart")


class Gaps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    above: float = Field(1.0, description="similarity to a known gap's question that puts a question on it (1: never)")
    margin: float = Field(0.0, description="by how much it must be closer to the gap than to any curated question")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spaces: dict[str, list[str]] = Field(description="dense spaces searched per question language ('other': the rest); the first leads")
    passages_considered: int = Field(6, ge=1)
    sentence_weights: dict[str, float]
    quoting: Quoting = Quoting()
    decision: Decision
    premise: Premise = Premise()
    gaps: Gaps = Gaps()
    calibration: dict = Field(default_factory=dict, description="what the calibration measured when it wrote this file")

    @field_validator("spaces")
    @classmethod
    def _other_is_given(cls, spaces: dict[str, list[str]]) -> dict[str, list[str]]:
        if "other" not in spaces or not spaces["other"]:
            raise ValueError("spaces needs an 'other' entry: the spaces for languages without their own")
        return spaces

    def write(self, path: Path = POLICY_FILE, header: str = "") -> None:
        text = yaml.safe_dump(self.model_dump(), sort_keys=False, allow_unicode=True, width=110)
        path.write_text(header + text, encoding="utf-8")


def load_policy(path: Path = POLICY_FILE) -> Policy:
    """The policy file, validated; raises ValueError with the file name and the problem."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Policy.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"{path}: not a valid answering policy ({exc})") from None
