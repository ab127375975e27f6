/* The kiosk page: ask, show quotes with citation cards, switch language, reset when idle.
   Every piece of text from the visitor or the corpus goes in with textContent, never innerHTML. */
(function () {
  "use strict";

  var body = document.body;
  var I18N = JSON.parse(document.getElementById("i18n-data").textContent);
  var DEFAULT_LANG = body.dataset.lang;
  var MAX_CHARS = Number(body.dataset.maxChars) || 500;
  var IDLE_MS = (Number(body.dataset.idleSeconds) || 90) * 1000;
  var WARNING_SECONDS = Number(body.dataset.warningSeconds) || 30;
  var KEEP_EXCHANGES = 10;

  var $ = function (id) { return document.getElementById(id); };
  var form = $("ask-form"), input = $("question"), askButton = $("ask-button"), answers = $("answers");
  var statusLine = $("status"), suggestionList = $("suggestions"), dialog = $("idle-dialog");

  // lang: the language of the UI; chosen: the language the visitor picked (null: let the server decide).
  var state = { lang: DEFAULT_LANG, chosen: null, busy: false, generation: 0 };
  var idleTimer = null, countdown = null, remaining = 0;

  function t(key, vars) {
    var table = (I18N[state.lang] || I18N.en).strings;
    var text = table[key] || I18N.en.strings[key] || key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    return text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // An element whose text follows the UI language (data-i18n is re-read on every switch).
  function label(tag, className, key, n) {
    var node = el(tag, className);
    node.dataset.i18n = key;
    if (n !== undefined) node.dataset.n = String(n);
    node.textContent = t(key, { n: n, max: MAX_CHARS });
    return node;
  }

  function suggestionButtons(list, questions) {
    list.replaceChildren();
    questions.forEach(function (question) {
      var item = el("li");
      var button = el("button", "suggestion", question);
      button.type = "button";
      button.addEventListener("click", function () { ask(question); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function applyLanguage(code) {
    if (!I18N[code]) return;
    state.lang = code;
    document.documentElement.lang = code;
    document.title = t("title");
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.dataset.i18n, { n: node.dataset.n, max: MAX_CHARS });
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    document.querySelectorAll("button.lang").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.lang === code ? "true" : "false");
    });
    suggestionButtons(suggestionList, I18N[code].suggestions);
    if (dialog.open) updateWarning();
  }

  function emptyNote() { return label("p", "empty", "empty"); }

  function citationCard(source) {
    var card = el("div", "citation");
    card.appendChild(el("p", "cite-title", source.title));
    var where = el("p", "cite-locator");
    where.append(label("span", "cite-label", "locator"), ": ", source.locator);
    card.appendChild(where);
    if (/^https?:\/\//i.test(source.url)) {
      var link = label("a", "cite-link", "open_source");
      link.href = source.url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      card.appendChild(link);
      card.appendChild(el("p", "cite-url", source.url));
    }
    return card;
  }

  function renderAnswer(exchange, answer) {
    var quotes = answer.quotes || [];
    var text = answer.answer || "";
    exchange.appendChild(label("p", "badge status-" + answer.status, "status_" + answer.status));
    var intro = el("p", "intro", quotes.length ? text.split("\n\n")[0] : text);
    if (answer.lang) intro.lang = answer.lang;
    exchange.appendChild(intro);
    if (quotes.length) {
      var list = el("ol", "quotes");
      quotes.forEach(function (quote, index) {
        var item = el("li", "quote");
        item.appendChild(label("p", "quote-label", "quote", index + 1));
        var block = el("blockquote", null, quote.text);
        block.lang = "en";
        item.appendChild(block);
        (quote.sources || []).forEach(function (source) { item.appendChild(citationCard(source)); });
        list.appendChild(item);
      });
      exchange.appendChild(list);
    }
    if (answer.suggestions && answer.suggestions.length) {
      var more = el("div", "more");
      more.appendChild(label("h3", null, "more_questions"));
      var moreList = el("ul", "suggestions");
      moreList.lang = "en";
      suggestionButtons(moreList, answer.suggestions);
      more.appendChild(moreList);
      exchange.appendChild(more);
    }
    if (!state.chosen && answer.lang && I18N[answer.lang] && answer.lang !== state.lang) applyLanguage(answer.lang);
  }

  function renderError(exchange, response, data) {
    var message;
    if (!response) message = label("p", "error", "error_offline");
    else if (response.status === 429) message = el("p", "error", t("error_busy", { seconds: response.headers.get("Retry-After") || 60 }));
    else if (response.status === 503) message = label("p", "error", "error_starting");
    else if (response.status === 422 && data && data.detail) message = el("p", "error", data.detail);
    else message = label("p", "error", "error_generic");
    exchange.appendChild(message);
  }

  function ask(raw) {
    var question = String(raw || "").replace(/\s+/g, " ").trim();
    if (!question || state.busy) return;
    if (question.length > MAX_CHARS) { statusLine.textContent = t("question_hint", { max: MAX_CHARS }); return; }
    var generation = state.generation;
    state.busy = true;
    askButton.setAttribute("aria-disabled", "true");
    statusLine.textContent = "";
    answers.setAttribute("aria-busy", "true");
    var empty = answers.querySelector(".empty");
    if (empty) empty.remove();

    var exchange = el("article", "exchange");
    var asked = el("p", "asked");
    asked.append(label("span", "asked-label", "you_asked"), " ", el("q", null, question));
    exchange.appendChild(asked);
    var pending = label("p", "pending", "asking");
    exchange.appendChild(pending);
    answers.appendChild(exchange);
    while (answers.querySelectorAll(".exchange").length > KEEP_EXCHANGES) answers.querySelector(".exchange").remove();
    exchange.scrollIntoView({ block: "start" });
    input.value = "";

    var payload = { question: question };
    if (state.chosen) payload.lang = state.chosen;
    fetch("/api/ask", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (generation !== state.generation) return;  // the kiosk was reset meanwhile
        pending.remove();
        if (response.ok && data) renderAnswer(exchange, data); else renderError(exchange, response, data);
      });
    }).catch(function () {
      if (generation !== state.generation) return;
      pending.remove();
      renderError(exchange, null, null);
    }).then(function () {
      state.busy = false;
      askButton.removeAttribute("aria-disabled");
      answers.removeAttribute("aria-busy");
      armIdle();
    });
  }

  // ---- privacy reset after inactivity (WCAG 2.2.1: a warning with time to extend) -------------
  function hasSomethingToClear() {
    return Boolean(answers.querySelector(".exchange") || input.value.trim() || state.chosen || state.lang !== DEFAULT_LANG);
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (!dialog.open) idleTimer = setTimeout(onIdle, IDLE_MS);
  }

  function onIdle() {
    if (state.busy || !hasSomethingToClear()) { armIdle(); return; }
    remaining = WARNING_SECONDS;
    updateWarning();
    if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
    $("idle-continue").focus();
    countdown = setInterval(function () {
      remaining -= 1;
      if (remaining <= 0) reset(true); else updateWarning();
    }, 1000);
  }

  function updateWarning() { $("idle-text").textContent = t("idle_text", { seconds: remaining }); }

  function closeWarning() {
    clearInterval(countdown);
    countdown = null;
    if (dialog.open) { if (typeof dialog.close === "function") dialog.close(); else dialog.removeAttribute("open"); }
  }

  function reset(full) {
    state.generation += 1;
    state.busy = false;
    askButton.removeAttribute("aria-disabled");
    closeWarning();
    answers.removeAttribute("aria-busy");
    answers.replaceChildren(emptyNote());
    input.value = "";
    statusLine.textContent = "";
    if (full) {
      state.chosen = null;
      applyLanguage(DEFAULT_LANG);
    }
    window.scrollTo(0, 0);
    armIdle();
  }

  // ---- wiring ----------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) { event.preventDefault(); ask(input.value); });
  $("clear").addEventListener("click", function () { reset(false); input.focus(); });
  document.querySelectorAll("button.lang").forEach(function (button) {
    button.addEventListener("click", function () { state.chosen = button.dataset.lang; applyLanguage(button.dataset.lang); });
  });
  $("idle-continue").addEventListener("click", function () { closeWarning(); armIdle(); });
  $("idle-clear").addEventListener("click", function () { reset(true); });
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); closeWarning(); armIdle(); });
  ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { if (!dialog.open) armIdle(); }, { capture: true, passive: true });
  });

  applyLanguage(DEFAULT_LANG);
  armIdle();
})();
