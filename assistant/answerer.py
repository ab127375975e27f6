"""answer(question) -> Answer: retrieve, check the premise, pick sentences, quote and cite.

The answer is extractive: apart from the fixed phrases of assistant.messages,
every word a visitor reads is a verbatim sentence of a curated passage.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from assistant.focus import Statement, question_focus, states_focus, which_noun
from assistant.language import LanguageDetector
from assistant.messages import LANGUAGES, phrase
from assistant.models import Answer, Quote, SourceRef
from assistant.premise import Conflict, find_conflicts
from assistant.selection import WEIGHT_TYPE, AnswerType, answer_type, has_answer_type, overlap, sentence_score
from assistant.subjects import Detection, SubjectDetector
from assistant.vocabulary import CorpusVocabulary
from corpus import Corpus, Passage
from corpus.text import sentence_spans, tokens
from index import HybridRetriever
from index.lexical import analyze
from index.store import MULTILINGUAL, PRIMARY

MAX_QUESTION_CHARS = 500
PASSAGES_CONSIDERED = 6
MAX_QUOTES = 3
MAX_SENTENCES = 5
EXTRA_QUOTE_MARGIN = 0.06  # a quote from another passage must score within this of the best one
# A sentence of the best sentence's own passage is quoted beside it when it scores within this margin:
# passages are short and written as one unit, so the answer is often split over two of their sentences.
SAME_PASSAGE_MARGIN = 0.25
SUGGESTIONS = 3

# Confidence: a logistic curve over the evidence, centred on the abstention threshold.
# evidence = best dense similarity + OVERLAP_WEIGHT * term overlap - UNKNOWN_WEIGHT * share of
# question terms the corpus never uses + COVERAGE_WEIGHT * share of asking terms in the best passage.
# Overlap and coverage are English term statistics; for other languages the unknown share is taken over
# the vocabulary of every language the curators wrote (assistant.vocabulary). ABSTAIN_BELOW is
# calibrated on the gold set (docs/calibration.md); the weights are round numbers set by hand.
OVERLAP_WEIGHT = 0.3
UNKNOWN_WEIGHT = 0.3
COVERAGE_WEIGHT = 0.3
# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = ("how many much what which who whom whose when where why did does do was were is are the a an of "
                  "in on for to about year date number name people tell me")
# Thresholds per language group: English questions get the term-statistics features and the
# lead space differs by group, so each has its own scale (e5 similarities sit far above MiniLM's).
ABSTAIN_BELOW = {"en": 0.92, "other": 0.77}
ABSTAIN_BELOW_PRIMARY_ONLY = {"en": 0.71, "other": 0.56}  # when no multilingual encoder is configured
CONFIDENCE_SLOPE = 12.0
# Dense spaces searched, by the question's language; the first one leads (sentence scores, evidence).
# English uses both, led by multilingual-e5: on the gold set it lifts accuracy on paraphrases and
# comparisons (figures in docs/multilingual.md).
ENGLISH_SPACES = (MULTILINGUAL, PRIMARY)
OTHER_SPACES = (MULTILINGUAL,)

# Words by which a comparison asks about an attribute ("How do their purposes differ?"), as lexical stems.
ATTRIBUTE_WORDS = {attribute: frozenset(analyze(words)) for attribute, words in {
    "signer": "signed signer signatory signature", "agency": "agency agencies issued", "date": "date dated year",
    "number": "number numbered", "purpose": "purpose purposes aim", "publication": "public published publication printed",
}.items()}
# Sentences that state a document's attribute are found by similarity to these.
_ATTRIBUTE_TEMPLATES = {
    "signer": "{name} was signed by {value}.",
    "agency": "{name} was issued by the {value}.",
    "date": "The date of {name}: {value}.",
    "number": "The number of {name}: {value}.",
    "purpose": "{name} was about {value}.",
}
FACT_CANDIDATES = 8
# The sentences within this score of the best one are searched for the kind of answer asked for; it equals
# the type bonus of assistant.selection, so a typed sentence that could have been chosen is found.
ANSWER_TYPE_MARGIN = WEIGHT_TYPE


@dataclass(frozen=True)
class Candidate:
    passage_index: int
    sentence_index: int
    score: float
    # holds the kind of answer asked for (a date for "when", ...) and states the question's focus (assistant.focus)
    has_type: bool = True


@dataclass
class Analysis:
    question: str
    language: str  # detected
    lead: str  # the dense space whose similarities decide
    detection: Detection
    conflicts: list[Conflict]
    hits: list
    query: np.ndarray
    candidates: list[Candidate] = field(default_factory=list)
    dense_top: float = 0.0
    overlap: float = 0.0  # share of the question's terms in the best sentence
    unknown: float = 0.0  # share of the question's terms the corpus never uses
    coverage: float = 0.0  # share of the question's asking terms (not names, not question words) in the best passage
    unknown_names: list[str] = field(default_factory=list)  # names (or the thing asked for) the corpus never mentions

    @property
    def answer_type_found(self) -> bool:
        """A question asking for a date, a number or a person is only answered by a sentence that holds one
        (beyond what the question says) and states its focus (the thing counted, the relation, the section),
        among the sentences close to the best."""
        best = self.candidates[0].score if self.candidates else 0.0
        return any(c.has_type for c in self.candidates if c.score >= best - ANSWER_TYPE_MARGIN)

    @property
    def evidence(self) -> float:
        return (self.dense_top + OVERLAP_WEIGHT * self.overlap - UNKNOWN_WEIGHT * self.unknown
                + COVERAGE_WEIGHT * self.coverage)

    @property
    def threshold(self) -> float:
        if self.lead == PRIMARY:
            return ABSTAIN_BELOW_PRIMARY_ONLY["en" if self.language == "en" else "other"]
        return ABSTAIN_BELOW["en" if self.language == "en" else "other"]

    @property
    def confidence(self) -> float:
        if not self.candidates:
            return 0.0
        return 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * (self.evidence - self.threshold)))


class QuestionError(ValueError):
    """The question cannot be answered as typed (empty, too long); the message says why."""


def validate_question(question: object) -> str:
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = " ".join(question.split())
    if not text:
        raise QuestionError("the question is empty; please type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return text


class Assistant:
    def __init__(self, corpus: Corpus, retriever: HybridRetriever):
        self.corpus = corpus
        self.retriever = retriever
        self.detector = SubjectDetector(corpus)
        index = retriever.index
        self._sentence_row: dict[tuple[int, int], int] = {
            (u.passage_index, u.sentence_index): row for row, u in enumerate(index.units) if u.kind == "sentence"
        }
        self._sentence_terms = {key: set(analyze(self._sentence(*key))) for key in self._sentence_row}
        self._statements = {
            key: Statement.of(self._sentence(*key), corpus.passages[key[0]].text, corpus.passages[key[0]].all_questions)
            for key in self._sentence_row
        }
        self._spans = [sentence_spans(p.text) for p in corpus.passages]
        self._vocabulary = set(index.lexical._model.vocab_dict)
        english_words = {t for p in corpus.passages for text in (p.text, *p.questions) for t in tokens(text)}
        self.language = LanguageDetector(english_words)
        self.vocabulary = CorpusVocabulary(corpus)
        self._not_asking = {
            t for subject in corpus.subjects.values()
            for text in (*subject.aliases, *(m for a in subject.attributes.values() for m in a.mentions))
            for t in analyze(text)
        } | set(analyze(QUESTION_WORDS))
        self._passage_terms = [
            {t for text in (p.text, *p.questions) for t in analyze(text)} for p in corpus.passages
        ]
        self._person_names = frozenset(
            t
            for subject in corpus.subjects.values()
            for name in (subject.aliases if subject.kind == "person" else
                         subject.attributes["signer"].mentions if "signer" in subject.attributes else ())
            for t in tokens(name)
        )
        # Words the corpus writes in lower case somewhere: not names, even when capitalised ("Order No.").
        self._common_words = frozenset(
            w.casefold() for p in corpus.passages for w in re.findall(r"\b[a-z][a-z'-]+\b", p.text))
        self._facts = self._attribute_sentences()
        self._sentence_attributes = {
            key: self._attributes_stated(self.detector.mentions(self._sentence(*key))) for key in self._sentence_row
        }

    # -- helpers -------------------------------------------------------------------------------
    def _sentence(self, passage_index: int, sentence_index: int) -> str:
        return self.corpus.passages[passage_index].sentences[sentence_index]

    def _vector(self, passage_index: int, sentence_index: int, space: str = PRIMARY) -> np.ndarray:
        return self.retriever.index.spaces[space].vectors[self._sentence_row[(passage_index, sentence_index)]]

    def spaces_for(self, language: str) -> tuple[str, ...]:
        wanted = ENGLISH_SPACES if language == "en" else OTHER_SPACES
        available = tuple(s for s in wanted if s in self.retriever.spaces)
        return available or (PRIMARY,)

    def _attribute_sentences(self) -> dict[tuple[str, str], list[tuple[int, int, float]]]:
        """For each document and attribute, the sentences that best state it (computed once)."""
        facts: dict[tuple[str, str], list[tuple[int, int, float]]] = {}
        for document in self.corpus.documents.values():
            rows = [key for key in self._sentence_row if document.id in self.corpus.passages[key[0]].about]
            if not rows:
                continue
            matrix = np.stack([self._vector(*key) for key in rows])
            for name, attribute in document.attributes.items():
                template = _ATTRIBUTE_TEMPLATES.get(name, "{name}: {value}.")
                query = self.retriever.encode(template.format(name=document.name, value=attribute.value))
                scores = matrix @ query
                best = np.argsort(-scores)[:FACT_CANDIDATES]
                facts[(document.id, name)] = [(*rows[i], float(scores[i])) for i in best]
        return facts

    def _attributes_stated(self, mentions) -> frozenset[tuple[str, str]]:
        """(document, attribute) pairs a text states, from its mentions (SubjectDetector.mentions), by a mention
        outside a document's name: "signed on 11 October 1939" states Order 001223's date; the "Serov" of
        "Serov Instructions" is not the signer."""
        names = [(m.start, m.end) for m in mentions if m.kind == "alias" and m.subject in self.detector.documents]
        return frozenset((m.subject, m.attribute) for m in mentions if m.kind == "attribute"
                         and not any(start < m.end and m.start < end for start, end in names))

    def _quote(self, passage_index: int, sentence_indexes: list[int]) -> Quote:
        passage = self.corpus.passages[passage_index]
        spans = self._spans[passage_index]
        first, last = min(sentence_indexes), max(sentence_indexes)
        text = passage.text[spans[first][0] : spans[last][1]]
        return Quote(
            text=text, passage_id=passage.id, about=list(passage.about),
            sources=[self._source_ref(c.source_id, c.locator) for c in passage.sources],
        )

    def _source_ref(self, source_id: str, locator: str) -> SourceRef:
        source = self.corpus.sources[source_id]
        return SourceRef(id=source.id, title=source.title, url=source.url, locator=locator)

    def _quotes(self, chosen: list[tuple[int, int]]) -> list[Quote]:
        """At most MAX_QUOTES quotes, best passage first; a passage's adjacent sentences make one quote."""
        by_passage: dict[int, list[int]] = {}
        for p_index, s_index in chosen:
            by_passage.setdefault(p_index, []).append(s_index)
        quotes = []
        for p_index, sentence_indexes in by_passage.items():
            run: list[int] = []
            for s_index in sorted(sentence_indexes):
                if run and s_index != run[-1] + 1:
                    quotes.append(self._quote(p_index, run))
                    run = []
                run.append(s_index)
            quotes.append(self._quote(p_index, run))
        return quotes[:MAX_QUOTES]

    def _suggestions(self, hits: list[Passage], quoted: set[str], question: str, lang: str = "en") -> list[str]:
        """Curated questions of related passages, in the visitor's language where a curator wrote one."""
        seen = {" ".join(tokens(question))}
        suggestions = []
        for passage in hits:
            asked = passage.questions_by_language.get(lang) or passage.questions
            if passage.id in quoted or not asked:
                continue
            candidate = asked[0]
            key = " ".join(tokens(candidate))
            if key not in seen:
                seen.add(key)
                suggestions.append(candidate)
            if len(suggestions) == SUGGESTIONS:
                break
        return suggestions

    # -- the pipeline --------------------------------------------------------------------------
    def analyze(self, question: str) -> Analysis:
        """Everything the answer is decided from (the calibration script reads it too)."""
        question = validate_question(question)
        detected = self.language.detect(question)
        spaces = self.spaces_for(detected)
        lead = spaces[0]
        detection = self.detector.detect(question)
        conflicts, only, boost = self.search_plan(question, detection)
        retrieval = self.retriever.search(
            question, k=max(PASSAGES_CONSIDERED, SUGGESTIONS + 3), spaces=spaces, only_documents=only, subjects=boost,
        )
        unknown = self.vocabulary.unknown_names(question, detected)
        asked_for = which_noun(question, detected)
        if asked_for and not any(self.vocabulary.knows_or_misspelt(w, detected) for w in asked_for):
            unknown += asked_for  # "What typewriter…?": the sources never speak of typewriters
        analysis = Analysis(question, detected, lead, detection, conflicts, retrieval.hits, retrieval.query_vectors[lead],
                            unknown_names=unknown)
        if conflicts or not retrieval.hits:
            return analysis
        considered = retrieval.hits[:PASSAGES_CONSIDERED]
        if len(detection.documents) > 1:
            considered += self._missing_documents(question, retrieval, spaces, detection.documents, considered)
        analysis.candidates = self._rank_sentences(question, analysis.query, lead, considered, detection, detected)
        best = analysis.candidates[0]
        terms = set(analyze(question))
        analysis.dense_top = max(h.dense for h in retrieval.hits)
        if detected == "en":  # term statistics are English; they say nothing about other languages
            analysis.overlap = overlap(terms, self._sentence_terms[(best.passage_index, best.sentence_index)])
            analysis.unknown = sum(t not in self._vocabulary for t in terms) / max(1, len(terms))
            asking = terms - self._not_asking
            covered = asking & self._passage_terms[best.passage_index]
            analysis.coverage = len(covered) / len(asking) if asking else 1.0
        else:  # the vocabulary of every language the curators wrote questions in
            analysis.unknown = self.vocabulary.unknown_share(question)
        return analysis

    def _missing_documents(self, question: str, retrieval, spaces, documents: list[str], considered) -> list:
        """For a comparison, the best passage about each compared document that no considered passage is about
        (searched again with the same query vectors, so nothing is re-encoded)."""
        covered = set().union(*(h.passage.documents for h in considered))
        extra = []
        for document in documents:
            if document in covered:
                continue
            hits = self.retriever.search(question, k=3, spaces=spaces, query_vectors=retrieval.query_vectors,
                                         only_documents=[document]).hits
            about = [h for h in hits if document in h.passage.documents]
            if about:
                extra.append(about[0])
                covered |= about[0].passage.documents
        return extra

    def search_plan(self, question: str, detection: Detection) -> tuple[list[Conflict], list[str] | None, set[str]]:
        """(mix-ups, documents allowed, subjects boosted) for the search.

        The named documents filter the passages (that is what prevents conflation) but are not boosted:
        on the gold set that nudge lowered MRR (0.869 -> 0.849) and answer accuracy. A question resting on
        a mix-up is answered by the passages about the document the mentioned attribute really belongs
        to, so those are boosted (gold recall@5 0.943 -> 0.962, MRR 0.869 -> 0.879).
        """
        conflicts = find_conflicts(detection, self.corpus.subjects, question)
        if not conflicts:
            return conflicts, detection.documents or None, set()
        owners = {c.owner for c in conflicts}
        return conflicts, sorted({c.named for c in conflicts} | owners), owners

    def retrieve(self, question: str, k: int = 10):
        """The passages this assistant considers, in its order, with its filter and boost (for the retrieval metrics)."""
        question = validate_question(question)
        detection = self.detector.detect(question)
        _, only, boost = self.search_plan(question, detection)
        return self.retriever.search(question, k=k, spaces=self.spaces_for(self.language.detect(question)),
                                     only_documents=only, subjects=boost).hits

    def answer(self, question: str, lang: str | None = None) -> Answer:
        analysis = self.analyze(question)
        question = analysis.question
        lang = lang if lang in LANGUAGES else analysis.language
        passages = [h.passage for h in analysis.hits]
        if analysis.conflicts:
            return self._corrected(question, lang, analysis.query, analysis.lead, analysis.conflicts, passages)
        confidence = analysis.confidence
        if (not analysis.candidates or confidence < 0.5 or not analysis.answer_type_found
                or analysis.unknown_names):
            return self._abstained(question, lang, passages, confidence)
        named = set(analysis.detection.documents)
        if len(named) > 1:
            chosen = self._choose(analysis.candidates, comparison=named,
                                  asked=self._attributes_asked(question, analysis.detection, named))
        else:
            chosen = self._choose(analysis.candidates)
        quotes = self._quotes(chosen)
        intro = phrase("intro", lang)
        if any(self.corpus.passages[p].disputed for p, _ in chosen):
            intro = f"{phrase('disputed', lang)} {intro}"
        return Answer(
            question=question, status="answered", lang=lang, confidence=round(confidence, 3), quotes=quotes,
            answer=self._compose(intro, quotes),
            suggestions=self._suggestions(passages, {q.passage_id for q in quotes}, question, lang),
        )

    def _attributes_asked(self, question: str, detection: Detection, named: set[str]) -> tuple[str, ...]:
        """The attributes a comparison asks about: those it mentions ("signed by Beria") or names ("How do
        their purposes differ?"); the signer when it names none."""
        stated = self._attributes_stated([*detection.aliases, *detection.attributes])
        asked = tuple(dict.fromkeys(a for d, a in stated if d in named))
        terms = set(analyze(question))
        asked += tuple(a for a, words in ATTRIBUTE_WORDS.items() if terms & words and a not in asked)
        return asked or ("signer",)

    def _rank_sentences(self, question: str, query: np.ndarray, space: str, hits, detection: Detection,
                        language: str = "en") -> list[Candidate]:
        kind = answer_type(question)
        terms = set(analyze(question))
        named = set(detection.documents)
        # A comparison's numbers are spread over the compared documents' passages; no one passage holds them all.
        focus = question_focus(question, language, numbers=len(named) < 2)
        candidates = []
        for rank, hit in enumerate(hits):
            covers_all_named = len(named) > 1 and named <= hit.passage.documents
            for s_index, sentence in enumerate(hit.passage.sentences):
                key = (hit.index, s_index)
                typed = (kind is AnswerType.OTHER or has_answer_type(sentence, kind, self._person_names, question,
                                                                     self._common_words)) and states_focus(
                    focus, self._statements[key], self._common_words)
                score = sentence_score(float(self._vector(*key, space) @ query), overlap(terms, self._sentence_terms[key]),
                                       typed, rank)
                if covers_all_named:  # a comparison is best answered by a passage on all its documents
                    score += 0.1
                candidates.append(Candidate(hit.index, s_index, score, typed))
        candidates.sort(key=lambda c: -c.score)
        return candidates

    def _choose(self, candidates: list[Candidate], comparison: set[str] | None = None,
                asked: tuple[str, ...] = ()) -> list[tuple[int, int]]:
        """The best sentence, plus close runners-up (first from its own passage) that bring no other document in.

        For a comparison of documents, the whole best passage is quoted, and the best sentence of each
        other passage that covers all the compared documents (signers, dates, purposes: each its own passage);
        a compared document that none of these covers gets the best sentence about it.
        """
        best = candidates[0]
        documents = self.corpus.passages[best.passage_index].documents
        chosen = [(best.passage_index, best.sentence_index)]
        quoted_passages = {best.passage_index}
        for candidate in candidates[1:]:
            if len(chosen) == MAX_SENTENCES:
                break
            passage = self.corpus.passages[candidate.passage_index]
            same_passage = candidate.passage_index == best.passage_index
            if comparison:
                wanted = same_passage or (comparison <= passage.documents and candidate.passage_index not in quoted_passages)
            elif same_passage:
                wanted = candidate.score >= best.score - SAME_PASSAGE_MARGIN
            else:
                wanted = candidate.score >= best.score - EXTRA_QUOTE_MARGIN
            if not wanted:
                continue
            if passage.documents and not passage.documents <= documents:
                continue
            chosen.append((candidate.passage_index, candidate.sentence_index))
            quoted_passages.add(candidate.passage_index)
        if comparison:
            # Every compared document gets a quote: the best sentence of a passage about it (and about no
            # document outside the comparison), placed right after the best passage so it is never cut.
            covered = set(documents).union(*(self.corpus.passages[p].documents for p, _ in chosen))
            coverage = []
            for document in sorted(comparison - covered):
                for candidate in candidates:
                    passage = self.corpus.passages[candidate.passage_index]
                    if document in passage.documents and passage.documents <= comparison:
                        coverage.append((candidate.passage_index, candidate.sentence_index))
                        covered |= passage.documents
                        break
            chosen = chosen[:1] + self._attribute_quotes(candidates, comparison, chosen + coverage, asked) + coverage + chosen[1:]
        return chosen

    def _attribute_quotes(self, candidates: list[Candidate], comparison: set[str], chosen, asked: tuple[str, ...]):
        """For a comparison, a sentence stating each compared document's asked-for attribute (its signer when the
        question names none) that the chosen sentences do not state: "they differ in signatory" is not an answer."""
        stated = set().union(*(self._sentence_attributes[key] for key in chosen))
        added = []
        for document in sorted(comparison):
            for attribute in asked:
                if (document, attribute) in stated:
                    continue
                # The sentences that best state the attribute first (found by similarity to "X was signed by Y").
                ranked = [(p, s) for p, s, _ in self._facts.get((document, attribute), [])]
                ranked += [(c.passage_index, c.sentence_index) for c in candidates]
                for key in ranked:
                    if ((document, attribute) in self._sentence_attributes[key]
                            and self.corpus.passages[key[0]].documents <= comparison):
                        added.append(key)
                        stated |= self._sentence_attributes[key]
                        break
        return added

    def _corrected(self, question, lang, query, space, conflicts: list[Conflict], hits: list[Passage]) -> Answer:
        chosen: list[tuple[int, int]] = []
        # The signer first: it is what tells the documents apart at a glance (Serov's, Beria's).
        for conflict in sorted(conflicts, key=lambda c: c.attribute != "signer")[:2]:
            pool: dict[tuple[int, int], float] = {}
            for document in (conflict.named, conflict.owner):
                for p_index, s_index, fact_score in self._facts.get((document, conflict.attribute), []):
                    passage = self.corpus.passages[p_index]
                    both = {conflict.named, conflict.owner} <= passage.documents
                    relevance = float(self._vector(p_index, s_index, space) @ query)
                    pool[(p_index, s_index)] = fact_score + 0.5 * relevance + (0.15 if both else 0.0)
            ranked = sorted(pool, key=lambda key: -pool[key])
            covered: set[str] = set()
            pair = {conflict.named, conflict.owner}
            for key in ranked:
                # A sentence covers the documents whose attribute it states ("issued to carry out Order 001223
                # of 11 October 1939" gives 001223's date, not 0054's); one that states none, those it is about.
                stating = {d for d, a in self._sentence_attributes[key] if a == conflict.attribute} & pair
                documents = stating or self.corpus.passages[key[0]].documents & pair
                if key in chosen or not documents - covered:
                    continue
                chosen.append(key)
                covered |= documents
                if {conflict.named, conflict.owner} <= covered or len(chosen) >= MAX_QUOTES:
                    break
        quotes = self._quotes(chosen)
        return Answer(
            question=question, status="corrected", lang=lang, confidence=1.0, quotes=quotes,
            answer=self._compose(phrase("corrected", lang), quotes),
            suggestions=self._suggestions(hits, {q.passage_id for q in quotes}, question, lang),
        )

    def _abstained(self, question: str, lang: str, hits: list[Passage], confidence: float) -> Answer:
        return Answer(
            question=question, status="abstained", lang=lang, confidence=round(confidence, 3), quotes=[],
            answer=phrase("abstained", lang), suggestions=self._suggestions(hits, set(), question, lang),
        )

    @staticmethod
    def _compose(intro: str, quotes: list[Quote]) -> str:
        return "\n\n".join([intro, *(f"{q.text} [{i}]" for i, q in enumerate(quotes, start=1))])
