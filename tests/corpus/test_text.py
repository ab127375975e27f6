"""Sentence splitting keeps curators' sentences whole and verbatim."""

from corpus.text import fold, split_sentences, tokens


def test_splits_on_full_stops_but_not_on_allowed_abbreviations():
    text = ('NKVD Order No. 001223 was signed on 11 October 1939. A. Dyukov published it in 2012. '
            'The U.S. House printed the Serov Instructions, e.g. in its Third Interim Report.')
    assert split_sentences(text) == [
        "NKVD Order No. 001223 was signed on 11 October 1939.",
        "A. Dyukov published it in 2012.",
        "The U.S. House printed the Serov Instructions, e.g. in its Third Interim Report.",
    ]


def test_sentence_ending_in_a_quote_keeps_the_quote():
    text = 'Lituanus titled it "Moscow Instructions on Deportations." The Serov Instructions were undated.'
    assert split_sentences(text)[0].endswith('Deportations."')


def test_a_sentence_starting_with_a_number_is_split():
    assert len(split_sentences("Arrests began on 14 June. 901 wagons left Latvia.")) == 2


def test_fold_and_tokens():
    assert fold("Šiauliai ĖJO") == "siauliai ejo"
    assert tokens("Order No. 001223, about 10,000 people") == ["order", "no", "001223", "about", "10,000", "people"]


def test_initials_with_diacritics_do_not_end_a_sentence():
    text = "Ē. Jēkabsons counts 550 officers. Č. Iškauskas gives 15,424 for Latvia. Ž. Žemaitis is a name."
    assert split_sentences(text) == [
        "Ē. Jēkabsons counts 550 officers.", "Č. Iškauskas gives 15,424 for Latvia.", "Ž. Žemaitis is a name."]
