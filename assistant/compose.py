"""Compose: the Answer a visitor reads, from fixed phrases of their language and verbatim quotes.

Apart from the phrases of the language files (assistant/lang/*.yaml: "According to the curated
sources:", the correction note with the visitor's own words), every word is a span of a curated
passage: the chosen sentences of one passage are quoted as the span from the first to the last.
"""

from __future__ import annotations

from assistant.decide import Decision
from assistant.knowledge import Knowledge
from assistant.language import Languages
from assistant.models import Answer, Quote, SourceRef
from assistant.premise import Premise
from assistant.question import Question
from assistant.retrieve import Evidence
from assistant.select import Selection
from corpus.text import sentence_spans, tokens

SUGGESTIONS = 3


class Composer:
    def __init__(self, knowledge: Knowledge, languages: Languages, museum=None) -> None:
        self.knowledge = knowledge
        self.languages = languages
        self.museum = museum
        self._english_questions = frozenset(q for p in knowledge.corpus.passages for q in p.questions)
        self._spans = [sentence_spans(p.text) for p in knowledge.corpus.passages]

    def compose(self, question: Question, lang: str | None, decision: Decision, premise: Premise,
                selection: Selection, evidence: Evidence | None) -> Answer:
        lang = lang if lang in self.languages else question.language
        language = self.languages[lang]
        quotes = [] if decision.status == "abstained" else self.quotes(selection.keys)
        if decision.status == "abstained":
            intro = language.phrase("not_a_question" if decision.reason == "not_a_question" else "abstained")
        elif decision.status == "corrected":
            claims = ", ".join(f"{language.phrase('quote_open')}{c}{language.phrase('quote_close')}"
                               for c in premise.claims)
            if claims:
                intro = language.phrase("corrected_claims", claims=claims)
            else:  # a document mix-up, or a curated misconception (no single word of the visitor's to point to)
                intro = language.phrase("corrected" if premise.conflicts else "corrected_generic")
        else:
            intro = language.phrase("intro")
            if any(self.knowledge.corpus.by_id[q.passage_id].disputed for q in quotes):
                intro = f"{language.phrase('disputed')} {intro}"
        understood = question.text if question.changed else None
        lead = [language.phrase("understood", question=understood)] if understood else []
        hits = [h.passage for h in evidence.hits] if evidence else []
        referral = None
        if decision.reason == "practical" and self.museum is not None:
            # The museum's own text in place of suggestions about the documents, which would only mislead.
            topic = next(t for t in self.museum.topics if t.name == question.practical[0])
            referral = self.museum.referral(topic, lang)
            intro = f"{intro}\n\n{referral.text}"
            hits = []
        suggestions = self.suggestions(hits, {q.passage_id for q in quotes}, question, lang)
        return Answer(
            question=question.original, status=decision.status, lang=lang, confidence=round(decision.confidence, 3),
            quotes=quotes, answer="\n\n".join([*lead, intro, *(f"{q.text} [{i}]" for i, q in enumerate(quotes, 1))]),
            suggestions=suggestions, reason=decision.reason, understood=understood,
            corrected_claims=list(premise.claims) if premise.corrected else [], referral=referral,
            # A curated question without a translation is shown in English: the pages tag it lang="en".
            suggestion_langs=["en" if s in self._english_questions else lang for s in suggestions],
        )

    def quotes(self, keys) -> list[Quote]:
        """One quote per passage, in the order the passages were chosen: the span of its chosen sentences."""
        by_passage: dict[int, list[int]] = {}
        for p_index, s_index in keys:
            by_passage.setdefault(p_index, []).append(s_index)
        quotes = []
        for p_index, indexes in by_passage.items():
            passage = self.knowledge.corpus.passages[p_index]
            spans = self._spans[p_index]
            text = passage.text[spans[min(indexes)][0]:spans[max(indexes)][1]]
            quotes.append(Quote(text=text, passage_id=passage.id, about=list(passage.about),
                                sources=[self.source_ref(c.source_id, c.locator) for c in passage.sources]))
        return quotes

    def source_ref(self, source_id: str, locator: str) -> SourceRef:
        source = self.knowledge.corpus.sources[source_id]
        # Visitors are shown the original, not a mirror or scraper copy (corpus/README.md: canonical_url).
        return SourceRef(id=source.id, title=source.title, url=source.best_url, locator=locator, kind=source.kind,
                         author=source.author, year=source.year)

    def suggestions(self, passages, quoted: set[str], question: Question, lang: str) -> list[str]:
        """Curated questions of related passages, in the visitor's language where a curator wrote one."""
        seen = {" ".join(question.words)}
        found = []
        for passage in passages:
            asked = passage.questions_by_language.get(lang) or passage.questions
            if passage.id in quoted or not asked:
                continue
            candidate = asked[0]
            key = " ".join(tokens(candidate))
            if key not in seen:
                seen.add(key)
                found.append(candidate)
            if len(found) == SUGGESTIONS:
                break
        return found
