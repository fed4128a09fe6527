// "Needs review" keys. Each decision is a row of buttons (a ticker's stance, the whole
// text's label, or both for a one-ticker article); every button carries data-key.
// 1/2/3 click the button with that key in the focused row (the server focuses the
// first row not yet reviewed), ArrowDown/ArrowUp move the focus, j or ArrowRight
// clicks "Next (skip)". A static file (no inline script) so a strict
// Content-Security-Policy allows it. Without JavaScript the same buttons submit the
// same form.
(function () {
  "use strict";
  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll("tr.review-row"));
  }
  function focusRow(form, index) {
    var all = rows(form);
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) {
      var on = i === index;
      row.classList.toggle("review-focus", on);
      var marker = row.querySelector(".review-marker");
      if (marker) marker.textContent = on ? "\u25b6" : "";
    });
  }
  function focusedIndex(form) {
    var all = rows(form);
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("review-focus")) return i;
    }
    return 0;
  }
  function press(form, button) {
    form.dataset.sent = "1"; // one key press, one review
    button.classList.add("review-pressed");
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) return;
    var form = document.getElementById("review-form");
    if (!form || form.dataset.sent === "1") return;
    var key = event.key.toLowerCase();
    if (key === "arrowdown" || key === "arrowup") {
      event.preventDefault();
      focusRow(form, focusedIndex(form) + (key === "arrowdown" ? 1 : -1));
      return;
    }
    if (key === "arrowright") key = "j";
    var all = rows(form);
    var scope = all.length ? all[focusedIndex(form)] : form;
    var buttons = Array.prototype.slice.call(scope.querySelectorAll("button[data-key]"));
    var skip = form.querySelector("button.review-skip[data-key]");
    if (skip) buttons.push(skip);
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute("data-key") === key) {
        event.preventDefault();
        press(form, buttons[i]);
        return;
      }
    }
  });
})();
