/* The answer as visitors see it, shared by the kiosk and the widget (the widget bundles this file).
   It builds the presentation from the answer contract (status, quotes, corrected_claims, referral)
   and the UI texts of server/i18n, so the kiosk and the widget cannot drift apart:
   - a correction block first, naming the visitor's own words the sources contradict;
   - the correcting quote first;
   - each source once, numbered, referenced by number from the quotes it supports;
   - the museum's referral for practical questions;
   - every element that is not in the page's language carries its own lang.
   Text goes in with textContent only. The host decides what a source reference does (the kiosk opens
   a card and never leaves the page; the widget links to the source in a new tab). */
var SerovAnswerView = (function () {
  "use strict";

  var DOCUMENTS = ["serov_instructions", "order_001223", "order_0054"];
  // A sentence that corrects a premise usually says so: "signed by Beria, not by Serov", "whereas".
  var CONTRAST = /\b(not|never|whereas|while|but|rather|instead|neither|nor)\b/i;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // vars may hold {t: "key"}: a value that is itself a UI text (a document's name), so that it is
  // translated again, with the sentence around it, when the visitor switches language.
  function translator(tables) {
    return function t(key, vars) {
      var table = tables();
      var text = (table.strings && table.strings[key]) || (table.fallback && table.fallback[key]) || key;
      Object.keys(vars || {}).forEach(function (name) {
        var value = vars[name];
        if (value && typeof value === "object") value = t(value.t);
        text = text.split("{" + name + "}").join(String(value));
      });
      return text;
    };
  }

  // An element whose text is a UI text: data-i18n and data-vars let retranslate() redo it.
  function label(t, tag, className, key, vars) {
    var node = el(tag, className, t(key, vars));
    node.dataset.i18n = key;
    if (vars) node.dataset.vars = JSON.stringify(vars);
    return node;
  }

  function retranslate(root, t) {
    root.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.dataset.i18n, node.dataset.vars ? JSON.parse(node.dataset.vars) : null);
    });
    root.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    root.querySelectorAll("[data-i18n-label]").forEach(function (node) {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel, node.dataset.vars ? JSON.parse(node.dataset.vars) : null));
    });
  }

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // Does the quote speak of what the visitor claimed? Words compared by their first six letters,
  // so "14 categories" finds "14-category".
  function mentions(quoteText, claim) {
    var text = fold(quoteText);
    var words = fold(claim).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    return words.length > 0 && words.every(function (word) { return text.indexOf(word.slice(0, 6)) >= 0; });
  }

  // The quote that corrects the premise first: it names what the visitor claimed and contrasts it.
  // Otherwise the assistant's order stays (the sort is stable).
  function orderQuotes(quotes, claims) {
    var scored = quotes.map(function (quote, index) {
      var named = (claims || []).some(function (claim) { return mentions(quote.text, claim); });
      return { quote: quote, index: index, score: (named ? 2 : 0) + (CONTRAST.test(quote.text) ? 1 : 0) };
    });
    scored.sort(function (a, b) { return b.score - a.score || a.index - b.index; });
    return scored.map(function (item) { return item.quote; });
  }

  // Each source once per answer, numbered in the order the quotes cite them.
  function numberSources(quotes) {
    var entries = [], byId = {};
    var refs = quotes.map(function (quote) {
      var numbers = [];
      (quote.sources || []).forEach(function (source) {
        var entry = byId[source.id];
        if (!entry) {
          entry = byId[source.id] = { number: entries.length + 1, source: source, locators: [] };
          entries.push(entry);
        }
        if (source.locator && entry.locators.indexOf(source.locator) < 0) entry.locators.push(source.locator);
        if (numbers.indexOf(entry) < 0) numbers.push(entry);
      });
      return numbers.sort(function (a, b) { return a.number - b.number; });
    });
    return { entries: entries, refs: refs };
  }

  // The documents a correction tells apart: those of the correcting quote, else of all quotes.
  function confusedDocuments(quotes) {
    function documentsOf(list) {
      return DOCUMENTS.filter(function (doc) {
        return list.some(function (quote) { return (quote.about || []).indexOf(doc) >= 0; });
      });
    }
    var first = quotes.length ? documentsOf([quotes[0]]) : [];
    return first.length >= 2 ? first : documentsOf(quotes);
  }

  function paragraphs(answer) {
    var parts = String(answer.answer || "").split("\n\n");
    var quoteCount = (answer.quotes || []).length;
    return quoteCount ? parts.slice(0, parts.length - quoteCount) : parts;
  }

  function correctionBlock(t, answer, quotes) {
    var block = el("section", "correction");
    var heading = el("h3", "correction-heading");
    var mark = el("span", "correction-mark", "!");
    mark.setAttribute("aria-hidden", "true");
    heading.append(mark, label(t, "span", null, "correction_heading"));
    block.appendChild(heading);
    var claims = answer.corrected_claims || [];
    if (claims.length) {
      var quoted = claims.map(function (claim) { return "\u201c" + claim + "\u201d"; }).join(", ");
      block.appendChild(label(t, "p", "correction-text", "correction_claims", { claims: quoted }));
    } else {
      block.appendChild(label(t, "p", "correction-text", "correction_generic"));
    }
    var docs = confusedDocuments(quotes);
    if (docs.length >= 2) {
      block.appendChild(label(t, "p", "correction-documents", "correction_documents",
        { a: { t: "doc_" + docs[0] }, b: { t: "doc_" + docs[1] } }));
    }
    return block;
  }

  function referralBlock(t, answer) {
    var block = el("section", "referral");
    block.appendChild(label(t, "h3", "referral-heading", "museum_heading"));
    var text = el("p", "referral-text", answer.referral.text);
    text.lang = answer.lang;
    block.appendChild(text);
    return block;
  }

  function quoteList(t, quotes, numbered, view) {
    var list = el("ol", "quotes");
    quotes.forEach(function (quote, index) {
      var item = el("li", "quote");
      var block = el("blockquote", null, quote.text);
      block.lang = "en";  // the curated passages are English
      item.appendChild(block);
      var refs = el("p", "refs");
      refs.appendChild(label(t, "span", "refs-label", "source"));
      numbered.refs[index].forEach(function (entry) { refs.appendChild(view.refControl(entry)); });
      item.appendChild(refs);
      list.appendChild(item);
    });
    return list;
  }

  function referenceList(t, numbered, view) {
    var section = el("section", "references");
    section.appendChild(label(t, "h3", null, "sources_heading"));
    var list = el("ol", "reference-list");
    numbered.entries.forEach(function (entry) {
      var item = el("li", "reference-item");
      item.appendChild(view.sourceControl(entry));
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  }

  // "Author, 2004" and the kind of source, for a reference line or a card.
  function sourceMeta(source) {
    return [source.author, source.year].filter(function (part) { return part; }).join(", ");
  }

  function suggestionList(questions, langs, fallbackLang, onAsk) {
    var list = el("ul", "suggestions");
    questions.forEach(function (question, index) {
      var item = el("li");
      var button = el("button", "suggestion", question);
      button.type = "button";
      var lang = (langs && langs[index]) || fallbackLang;
      if (lang) button.lang = lang;
      button.addEventListener("click", function () { onAsk(question, button); });
      item.appendChild(button);
      list.appendChild(item);
    });
    return list;
  }

  // view: {t, onAsk(question, button), refControl(entry) -> Node, sourceControl(entry) -> Node}
  function render(answer, view) {
    var t = view.t;
    var box = el("div", "answer answer-" + answer.status);
    var lead = paragraphs(answer);
    var quotes = orderQuotes(answer.quotes || [], answer.corrected_claims);
    if (answer.understood && lead.length) {
      var understood = el("p", "understood", lead.shift());
      understood.lang = answer.lang;
      box.appendChild(understood);
    }
    if (answer.status === "corrected") {
      box.appendChild(correctionBlock(t, answer, quotes));
    } else if (answer.referral) {
      box.appendChild(referralBlock(t, answer));
    } else {
      box.appendChild(label(t, "p", "badge status-" + answer.status, "status_" + answer.status));
      var intro = el("p", "intro", lead.join(" "));
      intro.lang = answer.lang;
      box.appendChild(intro);
    }
    if (quotes.length) {
      if (answer.status === "corrected") box.appendChild(label(t, "h3", "quotes-heading", "quotes_heading"));
      var numbered = numberSources(quotes);
      box.appendChild(quoteList(t, quotes, numbered, view));
      box.appendChild(referenceList(t, numbered, view));
    }
    if (answer.suggestions && answer.suggestions.length) {
      var more = el("div", "more");
      more.appendChild(label(t, "h3", null, "more_questions"));
      more.appendChild(suggestionList(answer.suggestions, answer.suggestion_langs, answer.lang, view.onAsk));
      box.appendChild(more);
    }
    return box;
  }

  // While a question is on its way every suggestion looks and says it is unavailable (it stays
  // focusable, so a keyboard user's place is not lost).
  function markBusy(root, busy) {
    root.querySelectorAll("button.suggestion").forEach(function (button) {
      if (busy) button.setAttribute("aria-disabled", "true"); else button.removeAttribute("aria-disabled");
    });
  }

  return {
    el: el, label: label, translator: translator, retranslate: retranslate, render: render,
    suggestionList: suggestionList, sourceMeta: sourceMeta, markBusy: markBusy,
    orderQuotes: orderQuotes, numberSources: numberSources
  };
})();
