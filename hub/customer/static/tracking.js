/* The tracking page, live: the hub's server-sent events (/t/<token>/events) update the status, ETA, stops
   before yours, the map and the history in place. Without this script the page reloads itself (<noscript>). */
(function () {
  "use strict";
  var root = document.getElementById("tracking");
  if (!root || !window.EventSource) { return; }
  var phase = root.getAttribute("data-phase");
  if (phase !== "live" && phase !== "failed") { return; }

  function setText(name, value) {
    var el = document.getElementById(name);
    if (el && el.textContent !== (value || "")) { el.textContent = value || ""; }
    var wrap = document.querySelector('[data-wrap="' + name + '"]');
    if (wrap) { wrap.hidden = !value; }
  }

  function setTimeline(steps) {
    var list = document.getElementById("timeline");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    for (var i = steps.length - 1; i >= 0; i--) {
      var item = document.createElement("li");
      var step = document.createElement("span");
      step.className = "step";
      step.textContent = steps[i].label;
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = steps[i].time;
      item.appendChild(step);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(when);
      list.appendChild(item);
    }
  }

  function setMap(svg, note) {
    var map = document.getElementById("map");
    if (map && svg && map.innerHTML !== svg) { map.innerHTML = svg; }  /* SVG drawn by the hub from numbers */
    var noteEl = document.getElementById("map-note");
    if (noteEl) { noteEl.textContent = note || ""; noteEl.hidden = !note; }
  }

  var source = new EventSource(root.getAttribute("data-events"));
  source.onmessage = function (message) {
    var view = JSON.parse(message.data);
    if (view.phase !== phase || (view.map && !document.getElementById("map"))) {
      source.close();
      window.location.reload();  /* new sections (proof, rating, next steps): the server draws them */
      return;
    }
    var headline = document.getElementById("headline");
    if (headline && headline.textContent !== view.headline) { headline.textContent = view.headline; }
    setText("stops", view.stops);
    setText("eta", view.eta);
    setText("window", view.window);
    setText("driver", view.driver);
    setText("vehicle", view.vehicle);
    setText("destination", view.destination);
    setMap(view.map, view.map_note);
    setTimeline(view.timeline);
    root.setAttribute("data-head", String(view.head));
  };
  source.addEventListener("gone", function () { source.close(); window.location.reload(); });
})();
