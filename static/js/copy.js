// Copy buttons, as a progressive enhancement: without script (or clipboard access) the
// buttons stay hidden and the boxes beside them can be selected and copied by hand.
//   data-copy="id"       copies the value of the box with that id as text
//   data-copy-html="id"  also puts the HTML in that box on the clipboard as rich text
//                        (what a mail program's signature editor takes when pasting)
(function () {
  "use strict";
  var clipboard = navigator.clipboard;
  if (!clipboard || !window.isSecureContext) {
    return;
  }

  function confirmCopied(button) {
    var label = button.textContent;
    button.textContent = button.dataset.copied || label;
    window.setTimeout(function () {
      button.textContent = label;
    }, 2000);
  }

  function selectBox(box) {
    box.focus();
    box.select();
  }

  document.querySelectorAll(".js-copy").forEach(function (button) {
    var text = document.getElementById(button.dataset.copy);
    var html = button.dataset.copyHtml ? document.getElementById(button.dataset.copyHtml) : null;
    if (!text || (button.dataset.copyHtml && (!html || typeof window.ClipboardItem !== "function"))) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var copied;
      if (html) {
        copied = clipboard.write([
          new window.ClipboardItem({
            "text/html": new Blob([html.value], { type: "text/html" }),
            "text/plain": new Blob([text.value], { type: "text/plain" }),
          }),
        ]);
      } else {
        copied = clipboard.writeText(text.value);
      }
      copied.then(
        function () {
          confirmCopied(button);
        },
        function () {
          selectBox(text);
        }
      );
    });
  });

  document.querySelectorAll(".copy-source").forEach(function (box) {
    box.addEventListener("focus", function () {
      box.select();
    });
  });
})();
