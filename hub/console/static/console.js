// The operator console's one script: the live map listens to the hub's server-sent events
// (/console/map/events, the same mechanism as the customer's tracking page) and swaps in the map the hub
// drew again whenever a driver reports a position or a stop changes, so the page never reloads. Without it
// the page reloads itself (<noscript> meta refresh); everything else is plain forms that work without it.
(function () {
  "use strict";
  var holder = document.getElementById("live-map");
  if (!holder || !window.EventSource) { return; }
  var status = document.getElementById("map-updated");
  var shown = null;
  function say(text) { if (status) { status.textContent = text; } }

  var source = new EventSource(holder.getAttribute("data-events"));
  source.onmessage = function (message) {
    var data = JSON.parse(message.data);
    if (typeof data.html === "string" && data.html !== shown) {
      holder.innerHTML = data.html;  /* SVG and legend drawn by the hub from numbers, names escaped there */
      shown = data.html;
    }
    say("Live: updated " + new Date().toLocaleTimeString() + "; changes appear as drivers report.");
  };
  source.onerror = function () {
    /* The stream ends every minute or so and the browser reconnects by itself; CLOSED means it gave up. */
    say(source.readyState === EventSource.CLOSED ? "Live updates stopped: reload the page."
                                                  : "Reconnecting to live updates…");
  };
  source.addEventListener("gone", function () { source.close(); window.location.reload(); });
})();
