/* serov-qa chat widget. Embed: <script src="https://HOST/widget.js" data-title="…" async></script>
   Optional: data-lang="lt". Renders in a Shadow DOM; talks to HOST/api/ask (CORS, no credentials);
   all data goes in with textContent, never innerHTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.querySelector("serov-qa-widget")) return;
  var BASE = new URL(script.src, location.href).origin;
  var TITLE = script.getAttribute("data-title") || "Ask about the Serov Instructions";
  var LANGS = ["en", "lt", "lv", "et", "ru", "de"];
  var MAX = 500;
  var primary = function (c) { return String(c || "").toLowerCase().split(/[-_]/)[0]; };
  var startLang = [script.getAttribute("data-lang"), document.documentElement.lang]
    .map(primary).filter(function (c) { return LANGS.indexOf(c) >= 0; })[0] || "en";
  var FALLBACK = {
    ask: "Ask", close: "Close", language: "Language", question_label: "Your question",
    question_placeholder: "Type a question…", asking: "Searching the sources…", widget_open: "Ask a question",
    error_offline: "The assistant cannot be reached.", error_generic: "Something went wrong. Please try again.",
    error_busy: "Too many questions in a row. Please wait {seconds} seconds and try again.",
    error_starting: "The assistant is still starting. Please try again in a moment.",
    status_answered: "Answered from the sources", status_corrected: "The question's premise was corrected",
    status_abstained: "Not in the sources", locator: "Where in the source", open_source: "Open the source",
    more_questions: "You could also ask", empty: "Ask a question or tap one of the suggestions.", you_asked: "You asked"
  };
  var state = { lang: startLang, chosen: null, busy: false, packs: {}, languages: null };

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
    ".launcher{display:flex;align-items:center;gap:8px;min-height:56px;min-width:56px;padding:0 20px;border:0;",
    "border-radius:28px;background:#0b4f6c;color:#fff;font-weight:700;box-shadow:0 4px 16px rgba(0,0,0,.3)}",
    ".launcher:hover{background:#083a50}",
    ".launcher svg{width:24px;height:24px;fill:currentColor;flex:none}",
    ".panel{position:absolute;right:0;bottom:72px;width:min(400px,calc(100vw - 32px));",
    "height:min(620px,calc(100vh - 104px));display:flex;flex-direction:column;background:#fff;",
    "border:1px solid #c9c9c9;border-radius:14px;box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden}",
    "[hidden]{display:none!important}",
    ".head{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 16px;background:#0b4f6c;color:#fff}",
    ".head h2{flex:1;margin:0;font-size:17px;line-height:1.25;font-weight:700}",
    ".head select{min-height:44px;border:2px solid #fff;border-radius:8px;background:#0b4f6c;color:#fff;padding:0 6px}",
    ".x{min-width:44px;min-height:44px;border:0;border-radius:8px;background:transparent;color:#fff;font-size:26px;line-height:1}",
    ".x:hover{background:#083a50}",
    ".log{flex:1;overflow-y:auto;padding:12px 16px}",
    ".empty{color:#4a4a4a;margin:0}",
    ".q{margin:12px 0 6px;text-align:right}",
    ".q span{display:inline-block;max-width:90%;padding:8px 12px;border-radius:14px 14px 2px 14px;background:#e3edf2;",
    "color:#0a3346;overflow-wrap:anywhere;text-align:left}",
    ".a{margin:0 0 12px;padding:10px 12px;border:1px solid #dcdcdc;border-radius:14px 14px 14px 2px;background:#fafafa}",
    ".a p{margin:0 0 8px}",
    ".badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:13px;font-weight:700}",
    ".answered{background:#e2f0e5;color:#1d5a2c}.corrected{background:#fbeed6;color:#6e4300}",
    ".abstained{background:#ebebeb;color:#444}",
    "blockquote{margin:8px 0;padding:2px 0 2px 10px;border-left:4px solid #0b4f6c;font-family:Georgia,'DejaVu Serif',serif}",
    ".cite{margin:4px 0 10px;padding:6px 10px;border:1px solid #c3ced5;border-radius:8px;background:#f1f4f6;font-size:14px}",
    ".cite p{margin:2px 0}.cite b{font-weight:700}",
    ".cite a{display:inline-flex;align-items:center;min-height:44px;color:#0b4f6c;font-weight:600}",
    ".err{color:#9b1c1c;font-weight:600}",
    ".sug{list-style:none;margin:0;padding:0 16px 8px;display:flex;flex-wrap:wrap;gap:6px}",
    ".sug button{min-height:44px;padding:6px 12px;border:2px solid #9fbccb;border-radius:22px;background:#e3edf2;",
    "color:#0a3346;font-size:14px;text-align:left}",
    ".sug button:hover{border-color:#0b4f6c}",
    "form{display:flex;gap:8px;padding:10px 16px 14px;border-top:1px solid #e2e2e2}",
    "input{flex:1;min-width:0;min-height:48px;padding:0 12px;border:2px solid #8a8a8a;border-radius:10px;background:#fff}",
    ".send{min-height:48px;min-width:48px;padding:0 16px;border:0;border-radius:10px;background:#0b4f6c;color:#fff;font-weight:700}",
    ".send[aria-disabled=true]{background:#4a6b7a;cursor:progress}"
  ].join("");

  function t(key, vars) {
    var pack = state.packs[state.lang];
    var text = (pack && pack.strings[key]) || FALLBACK[key] || key;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  var host = el("serov-qa-widget");
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", null, CSS));
  }

  var wrap = el("div", "w");
  var panel = el("div", "panel");
  panel.id = "panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "title");
  var head = el("div", "head");
  var title = el("h2", null, TITLE);
  title.id = "title";
  var langLabel = el("label", "vh");
  langLabel.htmlFor = "lang";
  var select = el("select");
  select.id = "lang";
  var closeButton = el("button", "x", "\u00d7");
  closeButton.type = "button";
  head.append(title, langLabel, select, closeButton);
  var log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  var empty = el("p", "empty");
  log.appendChild(empty);
  var sug = el("ul", "sug");
  var form = el("form");
  var qLabel = el("label", "vh");
  qLabel.htmlFor = "q";
  var input = el("input");
  input.id = "q";
  input.type = "text";
  input.maxLength = MAX;
  input.autocomplete = "off";
  var send = el("button", "send");
  send.type = "submit";
  form.append(qLabel, input, send);
  panel.append(head, log, sug, form);
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
  var launcherText = el("span", null, TITLE);
  launcher.append(icon, launcherText);
  wrap.append(panel, launcher);
  root.appendChild(wrap);

  function applyTexts() {
    var pack = state.packs[state.lang];
    wrap.lang = state.lang;
    langLabel.textContent = t("language");
    closeButton.setAttribute("aria-label", t("close"));
    closeButton.title = t("close");
    qLabel.textContent = t("question_label");
    input.placeholder = t("question_placeholder");
    send.textContent = t("ask");
    empty.textContent = t("empty");
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
    suggestions(sug, pack ? pack.suggestions : []);
  }

  function suggestions(list, questions) {
    list.replaceChildren();
    questions.forEach(function (q) {
      var li = el("li");
      var b = el("button", null, q);
      b.type = "button";
      b.addEventListener("click", function () { ask(q); });
      li.appendChild(b);
      list.appendChild(li);
    });
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
    launcher.setAttribute("aria-expanded", "true");
    setLang(state.lang).then(function () { input.focus(); });
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function cite(source) {
    var box = el("div", "cite");
    box.appendChild(el("p", null)).appendChild(el("b", null, source.title));
    box.appendChild(el("p", null, t("locator") + ": " + source.locator));
    if (/^https?:\/\//i.test(source.url)) {
      var a = el("a", null, t("open_source"));
      a.href = source.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      box.appendChild(a);
    }
    return box;
  }

  function render(box, data) {
    var quotes = data.quotes || [];
    box.appendChild(el("p")).appendChild(el("span", "badge " + data.status, t("status_" + data.status)));
    var intro = el("p", null, quotes.length ? String(data.answer).split("\n\n")[0] : data.answer);
    intro.lang = data.lang || "en";
    box.appendChild(intro);
    quotes.forEach(function (q, i) {
      var b = el("blockquote", null, q.text + " [" + (i + 1) + "]");
      b.lang = "en";
      box.appendChild(b);
      (q.sources || []).forEach(function (s) { box.appendChild(cite(s)); });
    });
    if (data.suggestions && data.suggestions.length) {
      box.appendChild(el("p", null, t("more_questions")));
      var list = el("ul", "sug");
      list.lang = "en";
      suggestions(list, data.suggestions);
      box.appendChild(list);
    }
    if (!state.chosen && data.lang && data.lang !== state.lang) setLang(data.lang);
  }

  function ask(raw) {
    var question = String(raw || "").replace(/\s+/g, " ").trim();
    if (!question || state.busy || question.length > MAX) return;
    state.busy = true;
    send.setAttribute("aria-disabled", "true");
    if (empty.parentNode) empty.remove();
    sug.hidden = true;  // from now on each answer brings its own suggestions
    var q = el("p", "q");
    var mine = el("span", null, question);
    q.appendChild(el("span", "vh", t("you_asked") + ": "));
    q.appendChild(mine);
    var box = el("div", "a");
    var wait = el("p", null, t("asking"));
    box.appendChild(wait);
    log.append(q, box);
    log.scrollTop = log.scrollHeight;
    input.value = "";
    var payload = { question: question };
    if (state.chosen) payload.lang = state.chosen;
    fetch(BASE + "/api/ask", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        wait.remove();
        if (r.ok && data) return render(box, data);
        var msg = r.status === 429 ? t("error_busy", { seconds: r.headers.get("Retry-After") || 60 }) :
          r.status === 503 ? t("error_starting") : r.status === 422 && data && data.detail ? data.detail : t("error_generic");
        box.appendChild(el("p", "err", msg));
      });
    }).catch(function () {
      wait.remove();
      box.appendChild(el("p", "err", t("error_offline")));
    }).then(function () {
      state.busy = false;
      send.removeAttribute("aria-disabled");
      log.scrollTop = q.offsetTop - log.offsetTop - 8;  // the question at the top, its answer below
    });
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); ask(input.value); });
  select.addEventListener("change", function () { state.chosen = select.value; setLang(select.value); });
  applyTexts();

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
