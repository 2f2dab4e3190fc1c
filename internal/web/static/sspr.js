// sspr.js: progressive enhancement only (the pages work without it), served from /static/ so
// that the CSP's script-src 'self' allows it.
(function () {
  "use strict";
  var body = document.body;
  var show = body.getAttribute("data-show-password") || "Show password";
  var hide = body.getAttribute("data-hide-password") || "Hide password";

  // A show-password toggle after every password field: a real button (Tab, Enter, Space),
  // naming the field it controls, its text saying what it will do.
  Array.prototype.forEach.call(document.querySelectorAll('input[type="password"]'), function (input) {
    if (!input.id) {
      return;
    }
    var b = document.createElement("button");
    b.type = "button";
    b.className = "toggle";
    b.id = input.id + "-toggle";
    b.setAttribute("aria-controls", input.id);
    b.textContent = show;
    b.addEventListener("click", function () {
      var hidden = input.type === "password";
      input.type = hidden ? "text" : "password";
      b.textContent = hidden ? hide : show;
    });
    input.insertAdjacentElement("afterend", b);
  });

  // A form is sent with its passwords hidden again, so that browsers never keep one as text.
  Array.prototype.forEach.call(document.forms, function (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.querySelectorAll("button.toggle"), function (b) {
        var input = document.getElementById(b.getAttribute("aria-controls"));
        if (input) {
          input.type = "password";
        }
      });
    });
  });

  // After a failed submit, focus is on the error summary (autofocus does it; this is for
  // browsers that skip autofocus).
  var error = document.getElementById("error");
  if (error && document.activeElement !== error) {
    error.focus();
  }
})();
