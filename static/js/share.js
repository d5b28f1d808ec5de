// The phone's own share sheet (Web Share API), as a progressive enhancement: the
// button stays hidden where the browser cannot share; the links beside it work anywhere.
(function () {
  "use strict";
  if (typeof navigator.share !== "function") {
    return;
  }
  document.querySelectorAll(".js-share").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.dataset.title, url: button.dataset.url }).catch(function () {
        // cancelled, or the share target failed: the links beside it still work
      });
    });
  });
})();
