"""The only words the assistant adds to quotes: short fixed phrases, never facts."""

from __future__ import annotations

LANGUAGES = ("en", "lt", "lv", "et", "ru", "de")

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "intro": "According to the curated sources:",
        "corrected": "Note: this question seems to mix up two different documents. According to the curated sources:",
        "disputed": "Note: the sources disagree on this; the quotes say who gives which figure or date.",
        "abstained": "I could not find an answer to this question in the curated sources.",
    },
    "lt": {
        "intro": "Pagal atrinktus šaltinius (citatos anglų kalba):",
        "corrected": "Pastaba: šiame klausime, regis, supainioti du skirtingi dokumentai. Pagal atrinktus šaltinius (citatos anglų kalba):",
        "disputed": "Pastaba: šaltiniai dėl to nesutaria; citatose nurodyta, kas pateikia kokius skaičius ar datas.",
        "abstained": "Atrinktuose šaltiniuose atsakymo į šį klausimą neradau.",
    },
    "lv": {
        "intro": "Saskaņā ar atlasītajiem avotiem (citāti angļu valodā):",
        "corrected": "Piezīme: šķiet, ka šajā jautājumā sajaukti divi dažādi dokumenti. Saskaņā ar atlasītajiem avotiem (citāti angļu valodā):",
        "disputed": "Piezīme: avoti šajā jautājumā nav vienisprātis; citāti norāda, kurš min kādu skaitli vai datumu.",
        "abstained": "Atlasītajos avotos es neatradu atbildi uz šo jautājumu.",
    },
    "et": {
        "intro": "Valitud allikate põhjal (tsitaadid inglise keeles):",
        "corrected": "Märkus: selles küsimuses on ilmselt segi aetud kaks eri dokumenti. Valitud allikate põhjal (tsitaadid inglise keeles):",
        "disputed": "Märkus: allikad on selles eri meelt; tsitaadid näitavad, kes millise arvu või kuupäeva toob.",
        "abstained": "Valitud allikatest ma sellele küsimusele vastust ei leidnud.",
    },
    "ru": {
        "intro": "Согласно отобранным источникам (цитаты на английском языке):",
        "corrected": "Примечание: похоже, в вопросе смешаны два разных документа. Согласно отобранным источникам (цитаты на английском языке):",
        "disputed": "Примечание: источники расходятся; в цитатах указано, кто приводит какие цифры или даты.",
        "abstained": "В отобранных источниках я не нашёл ответа на этот вопрос.",
    },
    "de": {
        "intro": "Laut den ausgewählten Quellen (Zitate auf Englisch):",
        "corrected": "Hinweis: Diese Frage scheint zwei verschiedene Dokumente zu verwechseln. Laut den ausgewählten Quellen (Zitate auf Englisch):",
        "disputed": "Hinweis: Die Quellen widersprechen sich hier; die Zitate nennen, wer welche Zahl oder welches Datum angibt.",
        "abstained": "In den ausgewählten Quellen habe ich keine Antwort auf diese Frage gefunden.",
    },
}


def phrase(key: str, lang: str) -> str:
    return PHRASES.get(lang, PHRASES["en"])[key]
