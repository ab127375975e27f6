"""False premises (issue 13 acceptance): per kind of wrong fact, in several languages, each with a case a
naive implementation (does the question contain the true value? does it contain a wrong one?) gets wrong;
true premises, disputed figures, choices and negated values are left alone.

The value checks run on the shipped corpus (corpus/facts.yaml, curated elsewhere and growing) through
Understanding and ClaimChecker, without an encoder; they use only facts that are certainly there: the
signers and dates of the documents, 100 kg, Serov's death in 1990, the Kersten Committee of the U.S.
House. The document mix-ups use the shipped subjects.yaml; the misconception bank, which needs vectors,
runs with the fake encoder on the tiny corpus.
"""

from __future__ import annotations

import pytest


def corrected(real, text):
    return {fact for fact, _ in real.contradicted(text)}


def holding(real, text):
    return {b.fact.id for b in real.bindings(text) if b.holds}


# --- each kind of wrong fact, in several languages --------------------------------------------------------

WRONG = [
    # wrong person. Naive trap: every one of these contains the true signer's name, inside "Serov Instructions".
    ("When did Beria sign the Serov Instructions?", "serov_instructions.signer", "Beria"),
    ("Kada Berija pasirašė Serovo instrukciją?", "serov_instructions.signer", "Berija"),
    ("Kad Berija parakstīja Serova instrukciju?", "serov_instructions.signer", "Berija"),
    ("Millal allkirjastas Beria Serovi juhendi?", "serov_instructions.signer", "Beria"),
    ("Когда Берия подписал инструкцию Серова?", "serov_instructions.signer", "Берия"),
    ("Wann unterschrieb Berija die Serow-Anweisungen?", "serov_instructions.signer", "Berija"),
    ("Did Molotov sign Order 001223?", "order_001223.signer", "Molotov"),
    # wrong year
    ("Serov died in 1970, didn't he?", "ivan_serov.died", "1970"),
    ("Ar tiesa, kad Serovas mirė 1970 m.?", "ivan_serov.died", "1970"),
    ("Vai tiesa, ka Serovs nomira 1970. gadā?", "ivan_serov.died", "1970"),
    ("Kas Serov suri 1970?", "ivan_serov.died", "1970"),
    ("Правда ли, что Серов умер в 1970 году?", "ivan_serov.died", "1970"),
    ("Order 001223 is dated 1941?", "order_001223.date", "1941"),
    # wrong date
    ("Did the June deportation begin on 25 June 1941?", "june_1941_deportation.baltic_dates", "25 june 1941"),
    # wrong office or title. Naive trap: Beria was a head in 1941 (of the NKVD), Merkulov a head of the NKGB.
    ("beria was the head of the nkgb in 1941 yes?", "nkgb.head", "beria"),
    ("Merkulov was the deputy head of the NKGB in 1941?", "nkgb.deputy", "Merkulov"),
    ("Was the Kersten Committee part of the British Parliament?", "kersten_committee.body", "British Parliament"),
    # Serov headed an NKVD, the Ukrainian SSR's, never the USSR's (naive trap: "Serov" and "head of the NKVD" agree)
    ("Serov was the head of the NKVD when he signed, wasn't he?", "nkvd.head", "Serov"),
    ("Ivan Serow leitete den NKWD, oder?", "nkvd.head", "Serow"),
    # one value claimed of two at once: 1953 is Beria's year of death, not Serov's
    ("Serov was shot together with Beria in 1953?", "ivan_serov.died", "1953"),
    # wrong place or country
    ("Order 0054 was signed in Tallinn?", "order_0054.place", "Tallinn"),
    ("Wurde der Befehl Nr. 0054 in Tallinn erlassen?", "order_0054.place", "Tallinn"),
    ("the Šiauliai copy was found in latvia right", "siauliai.country", "latvia"),
    # a memorial in another town of the same country: Tartu is in Estonia, as the Wagon of Tears is, but not in Tallinn
    ("kas pisarate vagun seisab tartu raekoja platsil?", "wagon_of_tears.place", "tartu"),
    ("Steht der Tränenwaggon in Tartu?", "wagon_of_tears.place", "Tartu"),
    # wrong scale or scope
    ("each deportee could take 200 kg?", "serov_instructions.baggage", "200"),
    ("Did the June 1941 deportation take 100,000 people from Lithuania alone?",
     "june_1941_deportation.lithuania_count", "100,000"),
    ("Ar iš Lietuvos ištrėmė 100 000 žmonių?", "june_1941_deportation.lithuania_count", "100 000"),
    ("Wurden 100.000 Menschen aus Litauen deportiert?", "june_1941_deportation.lithuania_count", "100.000"),
    ("Правда ли, что из Литвы депортировали 100 000 человек?", "june_1941_deportation.lithuania_count", "100 000"),
    # a year checked against what the agent the question names did, not anything anyone did: 1991 lies inside
    # the years anyone published the Instructions (1954-2024), not in the year the Kersten Committee did (1954).
    ("Did the Kersten Committee publish the Serov Instructions in 1991?", "kersten_committee.published", "1991"),
    ("Hat der Kersten-Ausschuss die Serow-Anweisung 1964 veröffentlicht?", "kersten_committee.published", "1964"),
    # a year that would name another event ("in 1949") dates the event the question names by its own words
    ("Kas Saaremaa juuliküüditamine toimus 1949. aastal?", "july_1941_deportation.year", "1949"),
    ("Was the July deportation from Saaremaa in 1949?", "july_1941_deportation.year", "1949"),
    # an event beside a document says what the document was used for, without a cue word
    ("serov instructions were for the 1949 deportation right??", "serov_instructions.used_for", "1949 deportation"),
]


@pytest.mark.parametrize(("text", "fact", "words"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_value_is_contradicted_by_its_fact_in_the_visitors_words(real, text, fact, words):
    assert (fact, words) in real.contradicted(text)


def test_the_wrong_facts_cover_six_languages(real):
    assert {real.parse(text).language for text, *_ in WRONG} == {"en", "lt", "lv", "et", "ru", "de"}


# --- right values, each bound to its own fact (what a naive check gets wrong) ------------------------------

RIGHT = [
    # Two signers, two documents: each name belongs to the document nearest its verb.
    ("Beria signed Order 001223 and Serov signed the Serov Instructions",
     {"order_001223.signer", "serov_instructions.signer"}),
    # Two years, two relations: 1905 is no wrong year of death.
    ("Serov was born in 1905 and died in 1990", {"ivan_serov.born", "ivan_serov.died"}),
    ("Serov died in 1990, right?", {"ivan_serov.died"}),
    ("Beria was head of the NKVD in 1941", {"nkvd.head"}),
    ("Serov headed the NKVD of Ukraine, right?", {"nkvd.head_ukraine"}),
    ("Merkulov was shot together with Beria in 1953", {"lavrentiy_beria.died"}),  # and so was Merkulov: no claim
    ("Was Serov the deputy head of the NKGB in 1941?", {"nkgb.deputy"}),
    # The true value in other words: Kaunas lies in Lithuania; Congress is the U.S. House; 220 lb is 100 kg.
    ("Order 0054 was issued in Lithuania?", {"order_0054.place"}),
    ("Order 0054 was issued in Kaunas?", {"order_0054.place"}),
    ("Was the Šiauliai copy found in Lithuania?", {"siauliai.country"}),
    ("The Wagon of Tears is in Estonia, right?", {"wagon_of_tears.place"}),
    ("Вагон слёз стоит в Таллине?", {"wagon_of_tears.place"}),
    ("Was the Kersten Committee set up by Congress?", {"kersten_committee.body"}),
    ("Each family could take 220 lb?", {"serov_instructions.baggage"}),
    ("Did the June deportation begin on 14 June 1941?", {"june_1941_deportation.baltic_dates"}),
    # Disputed: a figure or a year some sources give is never a false premise.
    ("Serov was born in 1900, right?", {"ivan_serov.born"}),
    ("Were about 17,500 people deported from Lithuania?", {"june_1941_deportation.lithuania_count"}),
    ("Were 17,500 people deported from Latvia?", {"june_1941_deportation.latvia_count"}),
    ("Did the Kersten Committee publish the Serov Instructions in 1954?", {"kersten_committee.published"}),
    # "deported" names the 1949 deportation as much as the June one: 1949 is that deportation's own year
    ("How many people were deported in 1949?", {"march_1949_deportation.year"}),
    ("Were the Serov Instructions used for the June 1941 deportation?", {"serov_instructions.used_for"}),
    ("Were the Serov Instructions used for the July deportation from Saaremaa?", {"serov_instructions.used_for"}),
]


@pytest.mark.parametrize(("text", "facts"), RIGHT, ids=[r[0] for r in RIGHT])
def test_true_premises_and_disputed_figures_are_not_corrected(real, text, facts):
    assert corrected(real, text) == set()
    assert facts <= holding(real, text)


@pytest.mark.parametrize("text", [
    "Who signed the Serov Instructions?",  # names the true signer only inside the document's name: no claim
    "Did Serov or Beria sign Order 001223?",  # a choice offers both
    "Serovas ar Berija pasirašė įsakymą 001223?",
    "Order 001223 was signed not by Serov but by Beria",  # "not Serov"
    "What did Serov do in 1956?",  # a year, but no relation a fact has
    "Who was Serov's chief at the NKGB in 1941?",  # asking who: Serov is the man whose chief is asked
    "wer war damals Serows Chef im NKGB?",
    # a year with no cue word dates what it stands beside, not the deportation named farther off
    "Were the families deported in 1941 moved to other camps again in 1942?",
    "Which 1956 uprising did the man behind the deportation manual help put down?",
])
def test_questions_that_claim_nothing_false_are_not_corrected(real, text):
    assert corrected(real, text) == set()


@pytest.mark.parametrize("text", ["My grandmother was taken in the big June 1940 deportation.",
                                  "Vai 1942. gada deportācijā izsūtīja arī manu vecmāmiņu?"])
def test_a_wrong_year_beside_the_event_it_dates_is_corrected(real, text):
    assert corrected(real, text)


def test_a_negated_value_is_not_checked_but_the_affirmed_one_is(real):
    bindings = real.bindings("Order 001223 was signed not by Serov but by Beria")
    assert [(b.stated.text, b.holds) for b in bindings if b.stated.text in ("Serov", "Beria")] == [("Beria", True)]


# --- known misses: strict xfails, each naming what is wrong ----------------------------------------------

def test_one_verb_for_two_documents_binds_each_name_to_its_own_document(real):
    assert corrected(real, "Beria signed Order 001223 and Serov the Instructions") == set()


def test_a_wrong_baggage_limit_without_each_is_corrected(real):
    assert "serov_instructions.baggage" in corrected(real, "Could a family take 200 kg?")


def test_a_wrong_year_of_death_in_german_is_corrected(real):
    assert "ivan_serov.died" in corrected(real, "Stimmt es, dass Serow 1970 starb?")


@pytest.mark.parametrize("text", ["Ar įsakymas Nr. 0054 buvo išleistas Taline?", "Приказ 0054 был издан в Таллине?"])
def test_a_wrong_place_of_issue_in_lithuanian_and_russian_is_corrected(real, text):
    assert "order_0054.place" in corrected(real, text)


@pytest.mark.xfail(strict=True, reason=(
    "relation cues do not overlap: in 'signed in 1942' the issued_in cue 'signed in' takes 'signed' from the date "
    "cue, so a wrong year of signing is never checked (the pipeline still corrects '1941', but only as a Serov "
    "Instructions date mention, through the document mix-up check)"))
def test_a_wrong_year_of_signing_is_corrected(real):
    assert "order_001223.date" in corrected(real, "Was Order 001223 signed in 1942?")


def test_the_kersten_committee_of_the_us_house_holds(real):
    assert "kersten_committee.body" in holding(real, "Was the Kersten Committee a committee of the U.S. House?")


# --- document mix-ups (shipped subjects.yaml) ----------------------------------------------------------

@pytest.mark.parametrize(("text", "named", "owner"), [
    ("When did Beria sign the Serov Instructions?", "serov_instructions", "order_001223"),
    ("Why did Order 001223 limit baggage to 100 kg?", "order_001223", "serov_instructions"),
    ("Did the Serov Instructions list Esperantists?", "serov_instructions", "order_0054"),
    ("Did Beria set the 100 kg baggage limit?", "order_001223", "serov_instructions"),  # no document named
    ("Kada Berija pasirašė Serovo instrukciją?", "serov_instructions", "order_001223"),
    ("Warum begrenzte der Befehl Nr. 001223 das Gepäck auf 100 kg?", "order_001223", "serov_instructions"),
    ("Why are the Serov Instructions dated 11 October 1939?", "serov_instructions", "order_001223"),
    # Two documents fused into one, with no comparison, list or naming word: checked both ways.
    ("Why do the Serov Instructions carry the number 001223?", "serov_instructions", "order_001223"),
    ("Warum tragen die Serow-Anweisungen die Nummer 001223?", "serov_instructions", "order_001223"),
    # Attributes stated as absences: the Serov Instructions are the undated, unnumbered document.
    ("Why is Order 001223 undated?", "order_001223", "serov_instructions"),
    ("Почему приказ № 001223 без даты?", "order_001223", "serov_instructions"),
    ("Did Order 001223 order the deportation of anti-Soviet elements?", "order_001223", "serov_instructions"),
    # An attribute's words with one more word between them ("separating heads" of families).
    ("Why did Order 001223 require separating the heads of families?", "order_001223", "serov_instructions"),
])
def test_document_mix_ups_are_found(real, text, named, owner):
    found = real.premise.conflicts(real.parse(text))
    assert any(c.named == named and c.owner == owner for c in found), found


@pytest.mark.parametrize("text", [
    "What is the difference between the Serov Instructions and Order 001223?",  # names both: a comparison
    "Were Esperantists singled out in Beria's order or in the Lithuanian one?",  # a choice
    "How does German Wikipedia mix up Serov and Order 001223?",  # about the mix-up itself
    "Who signed the Serov Instructions?",
    "What did Serov do in 1939?",  # a date without a named document is about the man
    "Did the NKVD take part in the Serov Instructions' deportation?",  # the NKVD label is disputed: compatible
    "How was Order 001223 related to the 14 June 1941 deportation?",  # a date inside the event's name
    "Which agencies issued the Serov Instructions and Order 001223?",  # two documents as a list
    "Serov Instructions, Order 001223: who signed which?",
    "Why are the Serov Instructions called Order 001223?",  # about the naming mix-up itself
    "Warum werden die Serow-Anweisungen als Befehl Nr. 001223 bezeichnet?",
    "Did Order 0054 carry out Order 001223 in Lithuania?",  # a real link, declared compatible in the data
    "Why are the Serov Instructions undated?",  # its own attribute
])
def test_questions_without_a_mix_up_are_left_alone(real, text):
    assert real.premise.conflicts(real.parse(text)) == []


# --- the misconception bank (fake encoder, tiny corpus) ---------------------------------------------------

def misconception(pipeline, text):
    trace = pipeline.trace(text)
    return trace.premise.misconception, trace.answer


@pytest.mark.parametrize("text", [
    "The Serov Instructions were written after the deportation, as a report on it, weren't they?",
    "Were the Serov Instructions a report about how the deportation went?",
    "Инструкция Серова была написана после депортации как отчёт?",
])
def test_a_claim_close_to_a_curated_misconception_is_corrected_with_the_refuting_quote_first(pipeline, text):
    found, answer = misconception(pipeline, text)
    assert found == "instructions-written-after-deportation"
    assert answer.status == "corrected" and answer.reason == "corrected"
    assert answer.quotes[0].passage_id == "si-plan"  # the misconception's refuting passage
    if answer.lang == "en":  # of its sentences, the one closest to the question (the fake encoder is monolingual)
        assert "before the deportation" in answer.quotes[0].text
    # No single word of the visitor's is wrong: the generic note, in the visitor's language.
    language = pipeline.composer.languages[answer.lang]
    assert answer.answer.startswith(language.phrase("corrected_generic")) and answer.corrected_claims == []


@pytest.mark.parametrize("text", [
    # The true counterpart shares nearly every word with the claim (a naive word-overlap check takes it for it).
    "Were the Serov Instructions written before the deportation, as the plan for it?",
    "When were the Serov Instructions written?",
    # The claim's words, but about another subject than the misconception's.
    "Order 001223 was written after the deportation, as a report on it?",
    # A comparison asks about the difference; it asserts nothing.
    "How do the Serov Instructions differ from a report written after the deportation?",
])
def test_the_truth_another_subject_and_a_comparison_do_not_match_the_misconception(pipeline, text):
    found, answer = misconception(pipeline, text)
    assert found == "" and answer.status != "corrected"


def test_the_similarity_threshold_comes_from_the_policy(tiny_corpus, tiny_index, fake_encoder):
    from assistant.pipeline import Pipeline
    from tinyqa import make_policy

    strict = Pipeline(tiny_corpus, tiny_index, {"primary": fake_encoder, "multilingual": fake_encoder},
                      make_policy(misconception_above=0.99))
    assert strict.trace("The Serov Instructions were written after the deportation, as a report on it, weren't "
                        "they?").premise.misconception == ""
