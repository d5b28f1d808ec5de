// The verify page's recipient check, in the browser: the typed address is normalised as
// issuers normalise it (trimmed, lower-cased), hashed with the badge's salt (SHA-256, by
// SubtleCrypto) and compared with the badge's hashed recipient. It never leaves the
// device. Without script, or for a hash SubtleCrypto does not do, the form posts to
// /verify/recipient instead, which compares it and keeps nothing.
(function () {
  "use strict";
  var section = document.querySelector(".js-recipient");
  if (!section || !window.crypto || !window.crypto.subtle || typeof window.TextEncoder !== "function") {
    return;
  }
  var form = section.querySelector("form");
  var answer = section.querySelector(".recipient-answer");
  var identity = (section.dataset.identity || "").trim().toLowerCase();
  var salt = section.dataset.salt || "";
  var hashed = identity.indexOf("$") !== -1;
  if (!form || !answer || (hashed && identity.indexOf("sha256$") !== 0)) {
    return;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (byte) {
      return ("0" + byte.toString(16)).slice(-2);
    }).join("");
  }

  function show(matches) {
    answer.textContent = matches ? section.dataset.yes : section.dataset.no;
    answer.className = "recipient-answer " + (matches ? "is-match" : "is-mismatch");
    answer.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var email = form.elements.email.value.trim().toLowerCase();
    if (!email) {
      form.elements.email.focus();
      return;
    }
    if (!hashed) {
      show(email === identity);
      return;
    }
    window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(email + salt)).then(function (digest) {
      show("sha256$" + hex(digest) === identity);
    });
  });
})();
