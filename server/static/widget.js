/* serov-qa chat widget. Embed: <script src="https://HOST/widget.js" data-title="…" async></script>
   Optional: data-lang="lt". Renders in a Shadow DOM; talks to HOST/api/ask (CORS, no credentials);
   all data goes in with textContent, never innerHTML. /widget.js serves this file inside one closure
   together with answerview.js (SerovAnswerView: the answer as the kiosk shows it). Sources are
   ordinary links that open in a new tab: on a museum's website, unlike the kiosk, that is expected. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.querySelector("serov-qa-widget")) return;
  var View = SerovAnswerView;
  var el = View.el;
  var BASE = new URL(script.src, location.href).origin;
  var TITLE = script.getAttribute("data-title") || "Ask about the Serov Instructions";
  var LANGS = ["en", "lt", "lv", "et", "ru", "de"];
  var MAX = 500;
  var primary = function (c) { return String(c || "").toLowerCase().split(/[-_]/)[0]; };
  var startLang = [script.getAttribute("data-lang"), document.documentElement.lang]
    .map(primary).filter(function (c) { return LANGS.indexOf(c) >= 0; })[0] || "en";
  // Until /api/i18n answers (and when the server cannot be reached at all).
  var FALLBACK = {
    ask: "Ask", close: "Close", language: "Language", question_label: "Your question",
    question_placeholder: "Type a question…", asking: "Searching the sources…", retry: "Try again",
    error_offline: "The assistant cannot be reached.", error_generic: "Something went wrong. Please try again.",
    error_empty: "Please type a question first.", empty: "Ask a question or tap one of the suggestions."
  };
  var state = { lang: startLang, chosen: null, busy: false, packs: {}, languages: null };
  var t = View.translator(function () {
    var pack = state.packs[state.lang];
    return { strings: pack ? pack.strings : FALLBACK, fallback: FALLBACK };
  });
  function label(tag, cls, key, vars) { return View.label(t, tag, cls, key, vars); }

  var CSS = [
    ":host{all:initial!important;position:fixed!important;right:16px!important;bottom:16px!important;",
    "z-index:2147483000!important;display:block!important}",
    ".w{font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','DejaVu Sans',Arial,sans-serif;color:#1b1b1b;",
    "letter-spacing:normal;text-transform:none;text-align:left}",
    "*{box-sizing:border-box;font-family:inherit;letter-spacing:inherit}",
    "button,select,input{font:inherit;color:inherit;margin:0;text-transform:none}",
    "button{cursor:pointer}",
    ":focus-visible{outline:3px solid #b35300;outline-offset:2px}",
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "[hidden]{display:none!important}",
    ".launcher{display:flex;align-items:center;gap:8px;min-height:56px;min-width:56px;padding:0 20px;border:0;",
    "border-radius:28px;background:#0b4f6c;color:#fff;font-weight:700;box-shadow:0 4px 16px rgba(0,0,0,.3)}",
    ".launcher:hover{background:#083a50}",
    ".launcher svg{width:24px;height:24px;fill:currentColor;flex:none}",
    ".panel{position:absolute;right:0;bottom:72px;width:min(420px,calc(100vw - 32px));",
    "height:min(640px,calc(100vh - 104px));display:flex;flex-direction:column;background:#fff;",
    "border:1px solid #c9c9c9;border-radius:14px;box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden}",
    // A phone: the panel is the whole screen, not a box floating over a page one cannot use beside it.
    "@media (max-width:480px){.panel{position:fixed;inset:0;width:auto;height:auto;border:0;border-radius:0}",
    ".open .launcher{display:none}}",
    ".head{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 16px;background:#0b4f6c;color:#fff}",
    ".head h2{flex:1;margin:0;font-size:17px;line-height:1.25;font-weight:700}",
    ".head select{min-height:44px;border:2px solid #fff;border-radius:8px;background:#0b4f6c;color:#fff;padding:0 6px}",
    ".x{min-width:44px;min-height:44px;border:0;border-radius:8px;background:transparent;color:#fff;font-size:26px;line-height:1}",
    ".x:hover{background:#083a50}",
    "form{display:flex;gap:8px;padding:12px 16px 4px}",
    "input{flex:1;min-width:0;min-height:48px;padding:0 12px;border:2px solid #8a8a8a;border-radius:10px;background:#fff}",
    "input[aria-invalid=true]{border-color:#9b1c1c}",
    ".send{min-height:48px;min-width:48px;padding:0 16px;border:0;border-radius:10px;background:#0b4f6c;color:#fff;font-weight:700}",
    ".send[aria-disabled=true]{background:#4a6b7a;cursor:progress}",
    ".ferr{margin:0;padding:0 16px;color:#9b1c1c;font-weight:600}.ferr:empty{display:none}",
    ".log{flex:1;overflow-y:auto;padding:8px 16px 16px}",
    ".empty{color:#4a4a4a;margin:4px 0}",
    ".q{margin:12px 0 6px;text-align:right}",
    ".q span{display:inline-block;max-width:90%;padding:8px 12px;border-radius:14px 14px 2px 14px;background:#e3edf2;",
    "color:#0a3346;overflow-wrap:anywhere;text-align:left}",
    ".a{margin:0 0 12px;padding:10px 12px;border:1px solid #dcdcdc;border-radius:14px 14px 14px 2px;background:#fafafa}",
    ".a p{margin:0 0 8px}.a h3{font-size:15px;margin:10px 0 6px}",
    ".badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:14px;font-weight:700}",
    ".status-answered{background:#e2f0e5;color:#1d5a2c}.status-abstained{background:#ebebeb;color:#444}",
    ".correction{margin:0 0 10px;padding:8px 12px;border:2px solid #b36b00;border-left-width:8px;border-radius:10px;background:#fff3dc}",
    ".correction h3{display:flex;gap:8px;align-items:center;margin:0 0 4px;color:#6e4300;font-size:16px}",
    ".correction-mark{display:inline-grid;place-items:center;width:22px;height:22px;border-radius:50%;background:#6e4300;color:#fff}",
    ".correction p{margin:4px 0 0}.correction-text{font-weight:700}",
    ".referral{margin:0 0 8px;padding:8px 12px;border:2px solid #0b4f6c;border-left-width:8px;border-radius:10px;background:#e6f0f7}",
    ".referral h3{margin:0 0 4px;color:#0b4f6c}.referral p{margin:0}",
    ".quotes,.reference-list,.sug,.suggestions{list-style:none;margin:0;padding:0}",
    "blockquote{margin:8px 0 2px;padding:2px 0 2px 10px;border-left:4px solid #0b4f6c;font-family:Georgia,'DejaVu Serif',serif}",
    ".refs{margin:0 0 8px 14px!important;font-size:13px;color:#4a4a4a}.ref{margin-left:4px;font-weight:700;color:#0b4f6c}",
    ".references{border-top:1px solid #dcdcdc;margin-top:8px}",
    ".reference{display:flex;align-items:center;gap:8px;min-height:44px;padding:4px 0;color:#0b4f6c;font-size:14px}",
    ".reference-number{flex:none;display:inline-grid;place-items:center;width:24px;height:24px;border-radius:50%;",
    "background:#0b4f6c;color:#fff;font-weight:700;font-size:13px}",
    ".reference-text{flex:1;min-width:0;display:flex;flex-direction:column}.reference-title{font-weight:700;overflow-wrap:anywhere}",
    ".reference-meta{color:#4a4a4a}",
    ".kind{flex:none;padding:0 8px;border-radius:999px;font-size:12px;font-weight:700;background:#ececec;color:#3a3a3a}",
    ".kind-primary{background:#e2f0e5;color:#1d5a2c}.kind-secondary{background:#e3edf2;color:#0a3346}",
    ".err{color:#9b1c1c;font-weight:600}",
    ".sug{padding:4px 16px 8px}.sug,.suggestions{display:flex;flex-wrap:wrap;gap:6px}",
    ".suggestion{min-height:44px;padding:6px 12px;border:2px solid #9fbccb;border-radius:22px;background:#e3edf2;",
    "color:#0a3346;font-size:14px;text-align:left}",
    ".suggestion:hover{border-color:#0b4f6c}",
    ".suggestion[aria-disabled=true]{background:#efefef;color:#4a4a4a;border-style:dashed;border-color:#8a8a8a;cursor:progress}",
    ".retry{min-height:44px;padding:0 14px;border:2px solid #0b4f6c;border-radius:10px;background:#fff;color:#0b4f6c;font-weight:600}"
  ].join("");

  var host = el("serov-qa-widget");
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", null, CSS));
  }

  // The visual order is the Tab order: heading and its controls, then the field, then what it brings.
  var wrap = el("div", "w");
  var panel = el("div", "panel");
  panel.id = "panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "title");
  var head = el("div", "head");
  var title = el("h2", null, TITLE);
  title.id = "title";
  var langLabel = label("label", "vh", "language");
  langLabel.htmlFor = "lang";
  var select = el("select");
  select.id = "lang";
  var closeButton = el("button", "x", "\u00d7");
  closeButton.type = "button";
  closeButton.dataset.i18nLabel = "close";
  head.append(title, langLabel, select, closeButton);
  var form = el("form");
  form.noValidate = true;
  var qLabel = label("label", "vh", "question_label");
  qLabel.htmlFor = "q";
  var input = el("input");
  input.id = "q";
  input.type = "text";
  input.maxLength = MAX;
  input.autocomplete = "off";
  input.dataset.i18nPlaceholder = "question_placeholder";
  input.setAttribute("aria-describedby", "ferr");
  var send = label("button", "send", "ask");
  send.type = "submit";
  form.append(qLabel, input, send);
  var fieldError = el("p", "ferr");
  fieldError.id = "ferr";
  fieldError.setAttribute("role", "alert");
  var sug = el("ul", "sug");
  var log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("role", "log");
  log.tabIndex = 0;  // it scrolls on its own: a keyboard can scroll it too
  var empty = label("p", "empty", "empty");
  log.appendChild(empty);
  panel.append(head, form, fieldError, sug, log);
  var launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "panel");
  var ns = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(ns, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  icon.appendChild(path);
  launcher.append(icon, el("span", null, TITLE));
  wrap.append(panel, launcher);
  root.appendChild(wrap);

  var view = {
    t: t,
    onAsk: function (question) { ask(question); },
    refControl: function (entry) { return el("span", "ref", String(entry.number)); },
    sourceControl: function (entry) {
      var source = entry.source;
      var link = /^https?:\/\//i.test(source.url || "");
      var node = el(link ? "a" : "span", "reference");
      if (link) {
        node.href = source.url;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
      }
      node.appendChild(el("span", "reference-number", String(entry.number)));
      var text = el("span", "reference-text");
      text.appendChild(el("span", "reference-title", source.title));
      var meta = [View.sourceMeta(source), entry.locators.join("; ")].filter(Boolean).join(" \u00b7 ");
      if (meta) text.appendChild(el("span", "reference-meta", meta));
      node.appendChild(text);
      if (source.kind) node.appendChild(label("span", "kind kind-" + source.kind, "kind_" + source.kind));
      if (link) node.appendChild(label("span", "vh", "new_tab"));
      return node;
    }
  };

  function applyTexts() {
    var pack = state.packs[state.lang];
    wrap.lang = state.lang;
    View.retranslate(root, t);
    closeButton.title = t("close");
    if (state.languages) {
      select.replaceChildren();
      state.languages.forEach(function (l) {
        var o = el("option", null, l.name);
        o.value = l.code;
        o.lang = l.code;
        o.selected = l.code === state.lang;
        select.appendChild(o);
      });
    }
    var fresh = View.suggestionList(pack ? pack.suggestions : [], null, null, function (q) { ask(q); });
    sug.replaceChildren.apply(sug, Array.prototype.slice.call(fresh.children));
    View.markBusy(sug, state.busy);
  }

  function setLang(code) {
    if (LANGS.indexOf(code) < 0) return Promise.resolve();
    var ready = state.packs[code] ? Promise.resolve() :
      fetch(BASE + "/api/i18n/" + code, { credentials: "omit" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (pack) {
        state.packs[code] = pack;
        state.languages = pack.languages;
        if (pack.max_question_chars) { MAX = pack.max_question_chars; input.maxLength = MAX; }
      });
    return ready.then(function () { state.lang = code; applyTexts(); }, function () { applyTexts(); });
  }

  function open() {
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    setLang(state.lang).then(function () { input.focus(); });
  }

  function close() {
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function showFieldError(key) {
    fieldError.replaceChildren();
    if (key) fieldError.appendChild(label("span", null, key)); else input.removeAttribute("aria-invalid");
    if (key) input.setAttribute("aria-invalid", "true");
  }

  function setBusy(busy) {
    state.busy = busy;
    if (busy) send.setAttribute("aria-disabled", "true"); else send.removeAttribute("aria-disabled");
    View.markBusy(panel, busy);
  }

  function failure(box, question, r, data) {
    var status = r ? r.status : 0;
    var key = !r ? "error_offline" : status === 429 ? "error_busy" : status === 503 ? "error_starting" :
      status === 422 || status === 413 ? "error_invalid" : "error_generic";
    box.appendChild(label("p", "err", key, { seconds: (r && r.headers.get("Retry-After")) || 60, max: MAX }));
    if (key !== "error_invalid") {
      var retry = label("button", "retry", "retry");
      retry.type = "button";
      retry.addEventListener("click", function () { box.replaceChildren(); deliver(question, box); });
      box.appendChild(retry);
    }
    if (!input.value.trim()) input.value = question;  // never lose the visitor's words
  }

  function ask(raw) {
    var question = String(raw || "").replace(/\s+/g, " ").trim();
    if (state.busy) return;
    if (!question) { showFieldError("error_empty"); input.focus(); return; }
    if (question.length > MAX) return;
    showFieldError(null);
    if (empty.parentNode) empty.remove();
    sug.hidden = true;  // from now on each answer brings its own suggestions
    var q = el("p", "q");
    q.appendChild(label("span", "vh", "you_asked"));
    q.appendChild(el("span", null, question));
    var box = el("div", "a");
    log.append(q, box);
    deliver(question, box, q);
  }

  function deliver(question, box, q) {
    setBusy(true);
    var wait = label("p", null, "asking");
    box.appendChild(wait);
    var payload = { question: question };
    if (state.chosen) payload.lang = state.chosen;
    fetch(BASE + "/api/ask", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        wait.remove();
        if (!(r.ok && data)) return failure(box, question, r, data);
        var follow = !state.chosen && data.lang && data.lang !== state.lang ? setLang(data.lang) : Promise.resolve();
        return follow.then(function () {
          box.appendChild(View.render(data, view));
          if (input.value.replace(/\s+/g, " ").trim() === question) input.value = "";
        });
      });
    }).catch(function () {
      wait.remove();
      failure(box, question, null, null);
    }).then(function () {
      setBusy(false);
      var top = (q || box).offsetTop - log.offsetTop - 8;
      log.scrollTop = top;  // the question at the top, its answer below
    });
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); ask(input.value); });
  input.addEventListener("input", function () { if (fieldError.firstChild) showFieldError(null); });
  select.addEventListener("change", function () { state.chosen = select.value; setLang(select.value); });
  applyTexts();

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
