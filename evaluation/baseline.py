"""The naive pipeline the report compares against: quote the single top dense passage.

It never abstains and never corrects, so the report shows what the assistant's
safeguards (subject filtering, premise checks, abstention) add.
"""

from __future__ import annotations

from assistant.models import Answer, Quote, SourceRef
from index import HybridRetriever


class NaiveAnswerer:
    def __init__(self, retriever: HybridRetriever):
        self.retriever = retriever
        self.corpus = retriever.corpus

    def answer(self, question: str, lang: str | None = None) -> Answer:
        hits = self.retriever.search(question, k=1, use_lexical=False).hits
        quotes = []
        for hit in hits:
            passage = hit.passage
            sources = [
                SourceRef(id=c.source_id, title=self.corpus.sources[c.source_id].title,
                          url=self.corpus.sources[c.source_id].url, locator=c.locator)
                for c in passage.sources
            ]
            quotes.append(Quote(text=passage.text, passage_id=passage.id, about=list(passage.about), sources=sources))
        return Answer(
            question=question, status="answered", answer="\n\n".join(q.text for q in quotes), quotes=quotes,
            confidence=min(1.0, max(0.0, hits[0].dense if hits else 0.0)), lang=lang or "en",
        )
