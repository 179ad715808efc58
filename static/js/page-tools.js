// Small page helpers, no framework: [data-copy="<selector>"] copies that element's text
// (Clipboard API, with a selection fallback for older phones and plain-HTTP pages),
// [data-print] opens the print dialog. Without JavaScript the number stays selectable.
(function () {
  function announce(button, text) {
    var status = document.querySelector(".copy-status");
    if (status) status.textContent = text;
  }
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (!source) return;
      var text = source.textContent.trim();
      var done = function () { announce(copy, copy.getAttribute("data-copied")); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { if (fallbackCopy(text)) done(); });
      } else if (fallbackCopy(text)) {
        done();
      }
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });
})();
