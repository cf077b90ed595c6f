/* The hub's delivery-slot picker, for any shop page:
 *   <script src="{hub}/slots/picker.js" data-key="pk_..." defer></script>
 * Optional: data-target="#css-selector" (where to draw it; default: right after the script tag),
 * data-form="#checkout-form" (the form that gets a hidden slot_reservation_id input; default: the enclosing form),
 * data-field-name="attributes[hub_slot_reservation]" (the hidden input's name: on a Shopify cart form this makes
 * it the cart attribute the hub reads from the order; default "slot_reservation_id"),
 * data-country="DE", data-parcels="1", data-weight-g="0".
 * The key is a publishable key (pk_...): it can read open windows and hold one, nothing else.
 * When a window is held, a "hub:slot-reserved" event bubbles from the picker with {id, window, expires_at}.
 * No dependencies, no cookies; everything is plain DOM with labels and a live region for screen readers. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var hub = new URL(script.src).origin;
  var key = script.getAttribute("data-key") || "";
  var country = script.getAttribute("data-country") || "";
  var parcels = script.getAttribute("data-parcels") || "1";
  var weight = script.getAttribute("data-weight-g") || "0";
  var fieldName = script.getAttribute("data-field-name") || "slot_reservation_id";
  var uid = "hub-slots-" + Math.random().toString(36).slice(2, 8);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function tomorrow() {
    var d = new Date(Date.now() + 86400000);
    return d.toISOString().slice(0, 10);
  }

  function call(method, path, body) {
    var options = { method: method, headers: { "Authorization": "Bearer " + key } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(hub + path, options).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function hhmm(iso) { return iso.slice(11, 16); }

  var root = el("section", { "class": "hub-slots", "aria-labelledby": uid + "-title" });
  root.appendChild(el("h2", { id: uid + "-title" }, "Choose your delivery time"));
  var query = el("div", { "class": "hub-slots-query" });
  var postalLabel = el("label", { "for": uid + "-postal" }, "Postal code");
  var postal = el("input", { id: uid + "-postal", name: "hub_postal_code", autocomplete: "postal-code", inputmode: "text" });
  var dateLabel = el("label", { "for": uid + "-date" }, "Day");
  var day = el("input", { id: uid + "-date", type: "date", value: tomorrow() });
  var show = el("button", { type: "button", "class": "hub-slots-show" }, "Show delivery times");
  [postalLabel, postal, dateLabel, day, show].forEach(function (n) { query.appendChild(n); });
  root.appendChild(query);
  var list = el("fieldset", { "class": "hub-slots-windows", hidden: "hidden" });
  list.appendChild(el("legend", {}, "Delivery times"));
  root.appendChild(list);
  var reserve = el("button", { type: "button", "class": "hub-slots-reserve", hidden: "hidden" }, "Reserve this time");
  root.appendChild(reserve);
  var status = el("p", { "class": "hub-slots-status", role: "status", "aria-live": "polite" });
  root.appendChild(status);

  var target = script.getAttribute("data-target");
  var place = target ? document.querySelector(target) : null;
  if (place) { place.appendChild(root); } else { script.parentNode.insertBefore(root, script.nextSibling); }
  var formSelector = script.getAttribute("data-form");
  var form = formSelector ? document.querySelector(formSelector) : root.closest("form");

  function drop() {
    var d = { postal_code: postal.value.trim(), parcels: parcels, weight_g: weight };
    if (country) { d.country = country; }
    return d;
  }

  function clearWindows() {
    Array.prototype.slice.call(list.querySelectorAll(".hub-slots-option")).forEach(function (n) { n.remove(); });
  }

  show.addEventListener("click", function () {
    if (!postal.value.trim()) { status.textContent = "Enter your postal code first."; postal.focus(); return; }
    status.textContent = "Looking for delivery times…";
    var params = new URLSearchParams(Object.assign({ date: day.value }, drop()));
    call("GET", "/api/v1/slots?" + params.toString()).then(function (answer) {
      clearWindows();
      if (answer.status !== 200) { status.textContent = answer.data.error ? answer.data.error.message : "Something went wrong."; return; }
      var open = 0;
      answer.data.windows.forEach(function (w, i) {
        var id = uid + "-w" + i;
        var label = el("label", { "class": "hub-slots-option", "for": id });
        var radio = el("input", { type: "radio", name: uid + "-window", id: id, value: w.start });
        if (!w.open) { radio.disabled = true; }
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + hhmm(w.start) + "–" + hhmm(w.end) +
          (w.open ? "" : " (" + (w.reason === "full" ? "full" : w.reason === "cut_off_passed" ? "too late to book" : "not delivered here") + ")")));
        list.appendChild(label);
        if (w.open) { open += 1; }
      });
      list.hidden = false;
      reserve.hidden = open === 0;
      status.textContent = open ? open + " delivery times available." : "No delivery time is free that day.";
    }).catch(function () { status.textContent = "The delivery times could not be loaded."; });
  });

  reserve.addEventListener("click", function () {
    var chosen = list.querySelector("input[type=radio]:checked");
    if (!chosen) { status.textContent = "Choose a delivery time first."; return; }
    status.textContent = "Reserving…";
    call("POST", "/api/v1/slots/reservations", Object.assign({ window_start: chosen.value }, drop(), {
      parcels: parseInt(parcels, 10), weight_g: parseInt(weight, 10) })).then(function (answer) {
      if (answer.status !== 201) {
        status.textContent = (answer.data.error ? answer.data.error.message : "That time could not be reserved.") + " Please choose another.";
        return;
      }
      var held = answer.data;
      if (form) {
        var input = Array.prototype.slice.call(form.querySelectorAll("input[type=hidden]"))
          .filter(function (n) { return n.name === fieldName; })[0];
        if (!input) { input = el("input", { type: "hidden", name: fieldName }); form.appendChild(input); }
        input.value = held.id;
      }
      root.setAttribute("data-reservation-id", held.id);
      status.textContent = "Reserved: " + held.window.start.slice(0, 10) + ", " + hhmm(held.window.start) + "–" +
        hhmm(held.window.end) + ". Held until " + new Date(held.expires_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".";
      root.dispatchEvent(new CustomEvent("hub:slot-reserved", { bubbles: true, detail: held }));
    }).catch(function () { status.textContent = "The time could not be reserved."; });
  });
}());
