// The header's unread count, kept current over server-sent events from /notifications/stream (this node only).
(function () {
  "use strict";
  function start() {
    var link = document.getElementById("notify-link");
    var badge = document.getElementById("notify-unread");
    if (!link || !badge || !window.EventSource) { return; }
    var source = new EventSource(link.getAttribute("data-stream"));
    function show(n) {
      badge.textContent = n > 0 ? String(n) : "";
      badge.hidden = !(n > 0);
      var page = document.getElementById("notify-page-unread");
      if (page) { page.setAttribute("data-unread", String(n)); }
    }
    source.addEventListener("unread", function (e) { show(JSON.parse(e.data).unread); });
    source.addEventListener("notification", function (e) {
      var data = JSON.parse(e.data);
      show(data.unread);
      link.setAttribute("data-latest", String(data.id));
    });
    source.addEventListener("resync", function () { link.setAttribute("data-resync", "1"); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
