// The operator console's one script: the live map asks for a fresh picture every few seconds and swaps it in
// place, so the page never reloads. Everything else is plain forms that work without it.
(function () {
  "use strict";
  var holder = document.getElementById("live-map");
  if (!holder || !window.fetch) { return; }
  var every = Math.max(5, parseInt(holder.getAttribute("data-refresh-s"), 10) || 15) * 1000;
  var source = holder.getAttribute("data-src");
  var status = document.getElementById("map-updated");
  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        holder.innerHTML = html;
        if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
      })
      .catch(function (e) { if (status) { status.textContent = "Could not refresh (" + e.message + "); retrying."; } });
  }
  window.setInterval(refresh, every);
})();
