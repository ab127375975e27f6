/* Curator pages: times in the curator's own time zone (the server writes UTC), and one box that
   chooses every question of the page. Everything works without this script, just less comfortably. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  } catch (error) {
    format = null;
  }
  if (format) {
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      node.title = node.textContent;  // the UTC time stays at hand
      node.textContent = format.format(when);
    });
  }

  var all = document.getElementById("choose-all");
  if (all) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input.choose"));
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = boxes.every(function (b) { return b.checked; });
      });
    });
  }
})();
