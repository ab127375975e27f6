/* The kiosk page: ask, show answers (server/static/answerview.js), open a source as a card with a
   QR code, switch language, reset when idle. The kiosk never navigates away: offline, another site
   would be the browser's error page, with no way back and no idle reset.
   Every piece of text from the visitor or the corpus goes in with textContent, never innerHTML. */
(function () {
  "use strict";

  var View = SerovAnswerView;
  var el = View.el;
  var body = document.body;
  var I18N = JSON.parse(document.getElementById("i18n-data").textContent);
  var DEFAULT_LANG = body.dataset.lang;
  var MAX_CHARS = Number(body.dataset.maxChars) || 500;
  var IDLE_MS = (Number(body.dataset.idleSeconds) || 90) * 1000;
  var WARNING_SECONDS = Number(body.dataset.warningSeconds) || 30;
  var KEEP_EXCHANGES = 10;

  var $ = function (id) { return document.getElementById(id); };
  var form = $("ask-form"), input = $("question"), askButton = $("ask-button"), answers = $("answers");
  var fieldError = $("question-error"), suggestionList = $("suggestions"), idleDialog = $("idle-dialog");
  var conversation = $("conversation"), clearButton = $("clear");

  // lang: the language of the UI; chosen: the language the visitor picked (null: let the server decide).
  var state = { lang: DEFAULT_LANG, chosen: null, busy: false, generation: 0 };

  var t = View.translator(function () {
    return { strings: (I18N[state.lang] || I18N.en).strings, fallback: I18N.en.strings };
  });
  function label(tag, className, key, vars) { return View.label(t, tag, className, key, vars); }

  // ---- the source card: what a citation opens instead of another site ------------------------
  var SourceCard = (function () {
    var dialog = $("source-dialog"), opener = null;

    function fact(list, key, value) {
      if (!value) return;
      list.append(label("dt", null, key), el("dd", null, String(value)));
    }

    function open(entry, from) {
      var source = entry.source;
      opener = from || null;
      $("card-title").textContent = source.title;
      var facts = $("card-facts");
      facts.replaceChildren();
      fact(facts, "card_author", source.author);
      fact(facts, "card_year", source.year);
      if (source.kind) {
        var kind = el("dd");
        kind.appendChild(label("span", "kind kind-" + source.kind, "kind_" + source.kind));
        facts.append(label("dt", null, "card_kind"), kind);
      }
      fact(facts, "locator", entry.locators.join("; "));
      var address = /^https?:\/\//i.test(source.url || "");
      $("card-address").hidden = !address;
      $("card-url").textContent = address ? source.url : "";
      var place = $("card-qr-place");
      place.replaceChildren();
      if (address) {
        var image = el("img", "card-qr");
        image.width = 260;
        image.height = 260;
        image.src = "/sources/" + encodeURIComponent(source.id) + "/qr.svg";
        image.dataset.i18nAlt = "card_qr";
        image.alt = t("card_qr");
        place.appendChild(image);
      }
      if (!dialog.open) dialog.showModal();
      $("card-close").focus();
    }

    function close() {
      if (dialog.open) dialog.close();
    }

    dialog.addEventListener("close", function () {
      if (opener && document.contains(opener)) opener.focus();
      opener = null;
    });
    $("card-close").addEventListener("click", close);
    // A tap on the dimmed page around the card closes it, as visitors expect of a pop-up.
    dialog.addEventListener("click", function (event) { if (event.target === dialog) close(); });
    return { open: open, close: close, dialog: dialog };
  })();

  // ---- rendering --------------------------------------------------------------------------
  var view = {
    t: t,
    onAsk: function (question) { ask(question); },
    refControl: function (entry) {
      var button = el("button", "ref", String(entry.number));
      button.type = "button";
      button.dataset.i18nLabel = "source_ref";
      button.dataset.vars = JSON.stringify({ n: entry.number, title: entry.source.title });
      button.setAttribute("aria-label", t("source_ref", { n: entry.number, title: entry.source.title }));
      button.addEventListener("click", function () { SourceCard.open(entry, button); });
      return button;
    },
    sourceControl: function (entry) {
      var source = entry.source;
      var button = el("button", "reference");
      button.type = "button";
      button.appendChild(el("span", "reference-number", String(entry.number)));
      var text = el("span", "reference-text");
      text.appendChild(el("span", "reference-title", source.title));
      var meta = View.sourceMeta(source);
      if (meta) text.appendChild(el("span", "reference-meta", meta));
      button.appendChild(text);
      if (source.kind) button.appendChild(label("span", "kind kind-" + source.kind, "kind_" + source.kind));
      button.addEventListener("click", function () { SourceCard.open(entry, button); });
      return button;
    }
  };

  function startSuggestions(code) {
    var fresh = View.suggestionList(I18N[code].suggestions, null, null, function (question) { ask(question); });
    suggestionList.replaceChildren.apply(suggestionList, Array.prototype.slice.call(fresh.children));
    View.markBusy(suggestionList, state.busy);
  }

  function applyLanguage(code) {
    if (!I18N[code]) return;
    state.lang = code;
    document.documentElement.lang = code;
    document.title = t("title");
    View.retranslate(document, t);
    document.querySelectorAll("[data-i18n-alt]").forEach(function (node) { node.alt = t(node.dataset.i18nAlt); });
    document.querySelectorAll("button.lang").forEach(function (button) {
      var pressed = button.dataset.lang === code;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      // On a phone the languages may scroll sideways: the chosen one stays in sight.
      if (pressed && button.parentNode.parentNode.scrollWidth > button.parentNode.parentNode.clientWidth) {
        button.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
    startSuggestions(code);
    if (idleDialog.open) updateWarning();
  }

  // A message under the field in the visitor's language (the browser's own "Please fill out this
  // field" would be in the browser's language); invalid marks the field itself as the problem.
  function showFieldError(key, invalid) {
    fieldError.replaceChildren();
    if (key) fieldError.appendChild(label("span", null, key, { max: MAX_CHARS }));
    if (key && invalid !== false) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  function errorMessage(response, data) {
    if (!response) return { key: "error_offline", retry: true };
    if (response.status === 429) return { key: "error_busy", vars: { seconds: response.headers.get("Retry-After") || 60 }, retry: true };
    if (response.status === 503) return { key: "error_starting", retry: true };
    if (response.status === 422 || response.status === 413) return { key: "error_invalid", vars: { max: MAX_CHARS }, retry: false };
    return { key: "error_generic", retry: true };
  }

  function renderError(exchange, question, response, data) {
    var problem = errorMessage(response, data);
    var box = el("div", "failure");
    box.appendChild(label("p", "error", problem.key, problem.vars));
    if (problem.retry) {
      var retry = label("button", "secondary retry", "retry");
      retry.type = "button";
      retry.addEventListener("click", function () { box.remove(); send(question, exchange); });
      box.appendChild(retry);
    }
    exchange.appendChild(box);
    // The visitor's words are never lost: they are back in the field, ready to send again or edit.
    if (!input.value.trim()) input.value = question;
  }

  function setBusy(busy) {
    state.busy = busy;
    body.classList.toggle("busy", busy);
    if (busy) askButton.setAttribute("aria-disabled", "true"); else askButton.removeAttribute("aria-disabled");
    if (busy) answers.setAttribute("aria-busy", "true"); else answers.removeAttribute("aria-busy");
    View.markBusy(document, busy);
  }

  function ask(raw) {
    var question = String(raw || "").replace(/\s+/g, " ").trim();
    if (state.busy) { showFieldError("busy_wait", false); return; }
    if (!question) { showFieldError("error_empty"); input.focus(); return; }
    if (question.length > MAX_CHARS) { showFieldError("question_hint"); return; }
    showFieldError(null);
    var empty = answers.querySelector(".empty");
    if (empty) empty.remove();
    var exchange = el("article", "exchange");
    var asked = el("p", "asked");
    asked.append(label("span", "asked-label", "you_asked"), " ", el("q", null, question));
    exchange.appendChild(asked);
    answers.appendChild(exchange);
    while (answers.querySelectorAll(".exchange").length > KEEP_EXCHANGES) answers.querySelector(".exchange").remove();
    body.classList.add("has-answers");
    clearButton.hidden = false;
    send(question, exchange);
  }

  function send(question, exchange) {
    var generation = state.generation;
    setBusy(true);
    var pending = label("p", "pending", "asking");
    exchange.appendChild(pending);
    exchange.scrollIntoView({ block: "start" });
    var payload = { question: question };
    if (state.chosen) payload.lang = state.chosen;
    fetch("/api/ask", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (generation !== state.generation) return;  // the kiosk was reset meanwhile
        pending.remove();
        if (response.ok && data) {
          // Follow the answer's language first, so the texts around it are in the same language.
          if (!state.chosen && data.lang && I18N[data.lang] && data.lang !== state.lang) applyLanguage(data.lang);
          exchange.appendChild(View.render(data, view));
          if (input.value.replace(/\s+/g, " ").trim() === question) input.value = "";
        } else {
          renderError(exchange, question, response, data);
        }
      });
    }).catch(function () {
      if (generation !== state.generation) return;
      pending.remove();
      renderError(exchange, question, null, null);
    }).then(function () {
      if (generation !== state.generation) return;
      setBusy(false);
      exchange.scrollIntoView({ block: "start" });
      armIdle();
    });
  }

  // ---- privacy reset after inactivity (WCAG 2.2.1: a warning with time to extend) -------------
  var idleTimer = null, countdown = null, remaining = 0;

  function hasSomethingToClear() {
    return Boolean(answers.querySelector(".exchange") || input.value.trim() || state.chosen || state.lang !== DEFAULT_LANG);
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (!idleDialog.open) idleTimer = setTimeout(onIdle, IDLE_MS);
  }

  function onIdle() {
    if (state.busy || !hasSomethingToClear()) { armIdle(); return; }
    remaining = WARNING_SECONDS;
    updateWarning();
    idleDialog.showModal();
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
    if (idleDialog.open) idleDialog.close();
  }

  function reset(full) {
    state.generation += 1;
    setBusy(false);
    closeWarning();
    SourceCard.close();
    answers.replaceChildren(label("p", "empty", "empty"));
    input.value = "";
    showFieldError(null);
    body.classList.remove("has-answers");
    clearButton.hidden = true;
    if (full) {
      state.chosen = null;
      applyLanguage(DEFAULT_LANG);
    }
    conversation.scrollTop = 0;
    window.scrollTo(0, 0);
    armIdle();
  }

  // ---- wiring ----------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) { event.preventDefault(); ask(input.value); });
  input.addEventListener("input", function () { if (input.getAttribute("aria-invalid")) showFieldError(null); });
  clearButton.addEventListener("click", function () { reset(false); input.focus(); });
  document.querySelectorAll("button.lang").forEach(function (button) {
    button.addEventListener("click", function () { state.chosen = button.dataset.lang; applyLanguage(button.dataset.lang); });
  });
  $("idle-continue").addEventListener("click", function () { closeWarning(); armIdle(); });
  $("idle-clear").addEventListener("click", function () { reset(true); });
  idleDialog.addEventListener("cancel", function (event) { event.preventDefault(); closeWarning(); armIdle(); });
  ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { if (!idleDialog.open) armIdle(); }, { capture: true, passive: true });
  });

  applyLanguage(DEFAULT_LANG);
  armIdle();
})();
