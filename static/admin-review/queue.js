// "Needs review" keys: each button carries data-key; pressing that key clicks it.
// A static file (no inline script) so a strict Content-Security-Policy allows it.
// Without JavaScript the same buttons submit the same form.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) return;
    var form = document.getElementById("review-form");
    if (!form || form.dataset.sent === "1") return;
    var key = event.key.toLowerCase();
    if (key === "arrowright") key = "j";
    var buttons = form.querySelectorAll("button[data-key]");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute("data-key") === key) {
        event.preventDefault();
        form.dataset.sent = "1"; // one key press, one review
        buttons[i].classList.add("review-pressed");
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(buttons[i]);
        } else {
          buttons[i].click();
        }
        return;
      }
    }
  });
})();
