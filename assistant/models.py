"""The answer contract shared by the CLI, the HTTP API and the evaluation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["answered", "corrected", "abstained"]
Reason = Literal["answered", "corrected", "not_a_question", "no_passage", "low_evidence", "practical", "known_gap"]


class SourceRef(BaseModel):
    id: str
    title: str
    url: str
    locator: str
    kind: str = Field("reference", description="primary | secondary | reference")
    author: str = Field("", description="Author or publisher.")
    year: int | None = Field(None, description="Year of publication or of the version consulted.")


class Referral(BaseModel):
    topic: str = Field(description="Which practical topic matched: hours, tickets, cafe, toilets, tours, ...")
    text: str = Field(description="The museum's own text, in the language of the answer.")


class Quote(BaseModel):
    text: str = Field(description="Verbatim sentence(s) from the cited passage.")
    passage_id: str
    about: list[str]
    sources: list[SourceRef]


class Answer(BaseModel):
    question: str
    status: Status
    answer: str = Field(description="The text shown to the visitor: fixed phrases and verbatim quotes only.")
    quotes: list[Quote] = []
    confidence: float = Field(ge=0.0, le=1.0)
    suggestions: list[str] = []
    lang: str = "en"
    reason: Reason = Field("answered", description="Why this status: answered, corrected, or why it was declined.")
    understood: str | None = Field(None, description="The question as understood, when typing was normalised (\"ppl\" -> \"people\").")
    corrected_claims: list[str] = Field([], description="The visitor's own words that the sources contradict.")
    referral: Referral | None = Field(None, description="Set when a practical question is referred to the front desk.")
    suggestion_langs: list[str] = Field([], description="The language of each suggestion (English where untranslated).")
