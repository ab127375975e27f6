"""The premise stage on the tiny corpus: ClaimChecker (assistant/claims.py) and PremiseChecker (assistant/premise.py).

The tiny corpus's facts (fixtures/tiny/facts.yaml) are few and known, so each rule can be shown alone:
which fact a value is bound to, when a fact applies, when a value is consistent, which sentence corrects
it and in which order; and the pure helpers.
"""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.claims import NUMBER_TOLERANCE, _date_consistent
from assistant.question import Value
from corpus.facts import Fact


@pytest.fixture(scope="module")
def parse(pipeline):
    return pipeline.understanding.parse


@pytest.fixture(scope="module")
def claims(pipeline):
    return pipeline.premise.claims


@pytest.fixture(scope="module")
def check(pipeline):
    def run(text):
        question = pipeline.understanding.parse(text)
        return question, pipeline.premise.check(question, pipeline.search.search(question))

    return run


def bound(claims, question):
    return [(b.fact.id, b.stated.text, b.holds) for b in claims.bindings(question)]


def text_of(pipeline, key):
    knowledge = pipeline.knowledge
    return knowledge.sentences[knowledge.by_key[key]].text


# --- what the question states ---------------------------------------------------------------------------

def test_stated_values_are_the_entities_and_the_numbers_that_are_no_identifiers(claims, parse):
    stated = claims.stated(parse("Did Molotov sign Order 001223 in 1941 in Moscow?"))
    assert [(s.kind, s.text) for s in stated] == [("person", "Molotov"), ("place", "Moscow"), ("year", "1941")]


# --- binding a value to a fact ----------------------------------------------------------------------------

def test_a_value_is_bound_to_the_fact_of_the_named_subject_whose_cue_is_nearest(claims, parse):
    assert bound(claims, parse("Serov was born in 1905 and died in 1990")) == [
        ("ivan_serov.born", "1905", True), ("ivan_serov.died", "1990", True)]


def test_a_value_claimed_of_two_at_once_must_hold_for_each(claims, parse):
    # One date that agrees with either order would excuse the other: "and" may pair a value with one of them ...
    assert ("order_0054.date", "1939", False) not in bound(claims, parse("Were Order 0054 and Order 001223 written in 1939?"))
    # ... but "together with" claims it of both, and Order 0054 is of 1940.
    assert ("order_0054.date", "1939", False) in bound(
        claims, parse("Was Order 0054 written together with Order 001223 in 1939?"))
    assert [b for b in bound(claims, parse("Was Order 0054 written together with Order 001223 in 1940?"))
            if b[0] == "order_001223.date"] == [("order_001223.date", "1940", False)]


def test_no_relation_word_no_binding(claims, parse):
    # "1970" and Serov, but nothing says what happened in 1970.
    assert bound(claims, parse("What did Serov do in 1970?")) == []


def test_a_fact_applies_only_when_its_subject_is_named_or_implied(claims, parse):
    assert bound(claims, parse("Who died in 1970?")) == []  # whose death?
    # baggage_limit always speaks of the Serov Instructions: no name needed.
    assert bound(claims, parse("Could each family take 200 kg?")) == [("serov_instructions.baggage", "200", False)]


def test_a_figure_for_one_country_applies_only_when_the_country_is_named(claims, parse):
    assert bound(claims, parse("Were 100,000 people deported?")) == []
    assert bound(claims, parse("Were 100,000 people deported from Lithuania?")) == [
        ("june_1941_deportation.lithuania_count", "100,000", False)]


def test_the_named_person_is_not_a_value_of_his_own_facts(claims, parse):
    # "Serov" names the subject of ivan_serov.died; he is not a wrong value of it.
    assert [b for b in claims.bindings(parse("When did Serov die?"))] == []


# --- consistency ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "holds"), [
    ("Could each family take 100 kg?", True),
    ("Could each family take 105 kg?", True),  # within 10% of the sources' figure: theirs, rounded
    ("Could each family take 112 kg?", False),
    ("Could each family take 220 lb?", True),  # 99.8 kg
    ("Could each family take 500 lb?", False),
    ("Were 17,000 people deported from Lithuania?", True),  # inside the range the sources give
    ("Were 19,000 people deported from Lithuania?", True),  # within 10% above it
    ("Were 25,000 people deported from Lithuania?", False),
    ("Was Order 0054 issued in Kaunas?", True),
    ("Was Order 0054 issued in Lithuania?", True),  # the country of the true place
    ("Was Order 0054 issued in Tallinn?", False),
    ("Serov was born in 1900, right?", True),  # disputed
    ("Serov was born in 1910, right?", False),
])
def test_consistency(claims, parse, text, holds):
    (binding,) = claims.bindings(parse(text))
    assert binding.holds is holds


def test_a_measure_in_another_unit_is_not_that_facts_figure(claims, parse):
    assert [b.holds for b in claims.bindings(parse("Could each family take 300 km?"))] == [True]


def test_dates_fall_in_the_facts_spans():
    fact = Fact("f", "june_1941_deportation", "date", "date", values=("1941-06-13..1941-06-19",),
                disputed=("1941-05-22",))
    assert fact.date_values() == [(dt.date(1941, 6, 13), dt.date(1941, 6, 19)), (dt.date(1941, 5, 22),) * 2]

    def date(day, month, year=0):
        return Value("date", year, "", 0, month=month, day=day)

    assert _date_consistent(date(14, 6, 1941), fact)
    assert _date_consistent(date(14, 6), fact)  # no year: any year of the span
    assert _date_consistent(date(22, 5, 1941), fact)  # disputed
    assert not _date_consistent(date(25, 6, 1941), fact)
    assert not _date_consistent(date(14, 6, 1942), fact)
    assert not _date_consistent(date(31, 2, 1941), fact)  # no such day


def test_the_number_tolerance_is_ten_percent():
    assert NUMBER_TOLERANCE == pytest.approx(0.10)


# --- the premise: what is corrected, with which sentences ------------------------------------------------

def test_a_contradiction_is_corrected_with_the_sentence_stating_the_true_value(pipeline, check):
    _, premise = check("Serov died in 1970, right?")
    assert premise.corrected and premise.claims == ("1970",)
    assert [text_of(pipeline, k) for k in premise.quotes] == ["Ivan Serov died in Moscow on 1 July 1990."]


def test_several_wrong_values_are_all_corrected_the_signer_first(pipeline, check):
    _, premise = check("Serov died in 1970 and Beria signed the Serov Instructions")
    assert [c.fact.relation for c in premise.contradictions] == ["signer", "died"]
    assert premise.claims == ("Beria", "1970")
    quoted = [text_of(pipeline, k) for k in premise.quotes]
    assert quoted[0] == "The Serov Instructions were signed by Ivan Serov, deputy head of the NKGB."
    assert "Ivan Serov died in Moscow on 1 July 1990." in quoted


def test_two_wrong_values_corrected_by_one_sentence_are_both_named(check):
    _, premise = check("Was Order 0054, dated 1944, issued in Tallinn?")
    assert set(premise.claims) == {"1944", "Tallinn"}


def test_a_right_value_in_a_yes_no_question_is_answered_not_corrected(pipeline, check):
    question, premise = check("Did Beria sign Order 001223?")
    assert not premise.corrected and question.yes_no
    answer = pipeline.answer("Did Beria sign Order 001223?")
    assert answer.status == "answered" and answer.quotes[0].passage_id == "o001223-signer"


def test_a_comparison_asserts_nothing(check):
    _, premise = check("How do the Serov Instructions and Order 001223 differ?")
    assert premise == type(premise)()


def test_no_quote_no_correction():
    from assistant.premise import Conflict, Premise

    assert not Premise(conflicts=(Conflict("a", "b", "signer", "Beria"),)).corrected
    assert Premise(conflicts=(Conflict("a", "b", "signer", "Beria"),), quotes=((0, 0),)).corrected


# --- document mix-ups ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("When did Beria sign the Serov Instructions?", [("serov_instructions", "order_001223", "signer", "Beria")]),
    ("Did Beria set the 100 kg limit?", [("order_001223", "serov_instructions", "purpose", "100 kg")]),  # implied
    ("Did the Serov Instructions list Esperantists?", [("serov_instructions", "order_0054", "purpose", "Esperantists")]),
    ("How do the Serov Instructions and Order 001223 differ?", []),  # a comparison
    ("Did Serov or Beria sign Order 001223?", []),  # a choice
    ("Serov Instructions, Order 001223: who signed which?", []),  # a list
    ("Why is Order 0054 tied to Order 001223?", []),  # declared compatible (compatible: [order_001223.number])
    ("What did Serov and Beria do in 1939?", []),  # two signers and no document: the men
])
def test_mix_ups(pipeline, parse, text, expected):
    found = pipeline.premise.conflicts(parse(text))
    assert [(c.named, c.owner, c.attribute, c.mention) for c in found] == expected


def test_a_name_inside_a_documents_name_is_no_mix_up(pipeline, parse):
    found = pipeline.premise.conflicts(parse("Why do the Serov Instructions carry the number 001223?"))
    assert [(c.named, c.owner, c.attribute, c.mention) for c in found] == [
        ("serov_instructions", "order_001223", "number", "001223")]


def test_a_mix_up_is_corrected_with_a_sentence_on_each_document(pipeline, check):
    _, premise = check("Did Beria set the 100 kg limit?")
    assert {pipeline.knowledge.passage(pipeline.knowledge.sentences[pipeline.knowledge.by_key[k]]).id
            for k in premise.quotes} == {"si-baggage", "o001223-signer"}
    assert premise.claims == ("100 kg",) and premise.documents == {"order_001223", "serov_instructions"}


def test_a_mix_up_is_corrected_only_with_sentences_about_the_documents_concerned(pipeline, check):
    _, premise = check("When did Beria sign the Serov Instructions?")
    knowledge = pipeline.knowledge
    for key in premise.quotes:
        passage = knowledge.passage(knowledge.sentences[knowledge.by_key[key]])
        assert passage.documents & {"serov_instructions", "order_001223"}, passage.id


def test_only_sentences_that_state_the_value_are_listed_for_a_fact(tiny_corpus):
    listed = [tiny_corpus.by_id[pid].sentences[i] for pid, i in tiny_corpus.fact_sentences["serov_instructions.signer"]]
    assert listed == ["The Serov Instructions were signed by Ivan Serov, deputy head of the NKGB."]


# --- claims of order (assistant/sequence.py) -------------------------------------------------------------

def test_dated_things_span_every_date_the_sources_give(pipeline):
    dated = pipeline.premise.sequence.dated
    assert (dated["order_001223"].first, dated["order_001223"].last) == (dt.date(1939, 1, 1), dt.date(1939, 12, 31))
    assert (dated["june_1941_deportation"].first, dated["june_1941_deportation"].last) == \
        (dt.date(1941, 6, 13), dt.date(1941, 6, 19))
    # The disputed years count: nothing dated inside 1939-1941 can be put before or after the Instructions.
    assert (dated["serov_instructions"].first, dated["serov_instructions"].last) == \
        (dt.date(1939, 1, 1), dt.date(1941, 12, 31))


def order_claims(check, text):
    _, premise = check(text)
    return [(b.fact.subject, b.stated.kind) for b in premise.contradictions if b.stated.kind == "sequence"]


@pytest.mark.parametrize("text", [
    "Order 001223 came after the June 1941 deportation, right?",
    "After the June 1941 deportation, Order 001223 was signed?",  # the order word opens the question
])
def test_an_order_the_dates_contradict_is_corrected_with_both_dates(check, text):
    assert order_claims(check, text) == [("order_001223", "sequence"), ("june_1941_deportation", "sequence")]
    _, premise = check(text)
    assert premise.corrected and len(premise.quotes) >= 1


@pytest.mark.parametrize("text", [
    "Order 001223 came before the June 1941 deportation, right?",  # true
    "Did Order 001223 come before or after the June 1941 deportation?",  # both orders offered
    "Order 001223 did not come after the June 1941 deportation.",  # taken back
    "The Serov Instructions came before Order 0054?",  # the Instructions' disputed dating overlaps 1940
    "What happened after the June 1941 deportation?",  # one dated thing: no order claimed
])
def test_no_order_claim_where_the_dates_allow_it_or_none_is_made(check, text):
    assert order_claims(check, text) == []
