"""The curated entities a text names (corpus/facts.yaml: people, places, agencies, bodies, events).

Found in the question once (Question.entities) and in every sentence once (Knowledge), so that the
premise check can bind values to facts and the sentence scorer can prefer a sentence that names what
the question names, in any of the six languages: the forms are multilingual.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus import Corpus
from corpus.facts import entity_forms
from corpus.forms import FormMatcher
from corpus.text import tokens


@dataclass(frozen=True)
class EntityMention:
    entity: str
    kind: str
    start: int  # token span in Question.words
    end: int
    subject: str | None = None  # the corpus subject the entity stands for


class EntityFinder:
    def __init__(self, corpus: Corpus, languages=()) -> None:
        """`languages`: the language codes whose relation cue words `relations` finds (English always)."""
        base = corpus.facts
        self.entities = dict(base.entities) if base else {}
        self.matcher = FormMatcher(entity_forms(base, corpus.subjects) if base else [])
        self.documents = frozenset(sid for sid, s in corpus.subjects.items() if s.is_document)
        relations = base.relations if base else {}
        self._cues = {code: FormMatcher([(cue, rid) for rid, relation in relations.items()
                                         for lang in dict.fromkeys((code, "en")) for cue in relation.cues.get(lang, ())],
                                        typos=False)
                      for code in dict.fromkeys(("en", *languages))}

    def relations(self, words, language: str) -> tuple[tuple[str, int], ...]:
        """(relation id, token position) for every relation cue word of the language (and English) in the words."""
        matcher = self._cues.get(language) or self._cues["en"]
        # One word may state several relations ("signed in" dates a document and names where it was signed),
        # but a cue inside a longer one is not a cue of its own: "deputy head" is no "head".
        found = matcher.find(words, overlapping=True)
        kept = [m for m in found if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                                            for o in found)]
        return tuple((m.payload, m.start) for m in kept)

    def find(self, words, document_spans=()) -> tuple[EntityMention, ...]:
        """Entity mentions in folded words, leaving out those inside a document's name given as
        (start, end, subject) spans: the "Serov" of "Serov Instructions" is not the man."""
        found = []
        for match in self.matcher.find(words):
            entity = self.entities[match.payload]
            if any(s < match.end and match.start < e and subject != entity.subject for s, e, subject in document_spans):
                continue
            found.append(EntityMention(entity.id, entity.kind, match.start, match.end, entity.subject))
        return tuple(found)

    def named_in(self, text: str, document_spans=()) -> frozenset[str]:
        """The entity ids (and the subjects they stand for) a text names."""
        mentions = self.find(tokens(text), document_spans)
        return frozenset(m.entity for m in mentions) | frozenset(m.subject for m in mentions if m.subject)
