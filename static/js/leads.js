// The marketplace pages' few helpers, no framework. Without JavaScript every link and
// form still works (the recharge button opens its own page, forms post normally).
(function () {
  document.addEventListener("click", function (event) {
    // [data-dialog-open="<id>"]: open that <dialog> instead of following the link.
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("input:checked, input, button");
        if (first) first.focus();
      }
      return;
    }
    // A click on the dialog's backdrop closes it.
    if (event.target.tagName === "DIALOG" && event.target.open) {
      var box = event.target.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) event.target.close();
    }
  });
  // Recharge: choosing a suggested amount empties the custom one (which would win).
  document.addEventListener("change", function (event) {
    if (event.target.matches(".presets input[type=radio]")) {
      var custom = event.target.form && event.target.form.querySelector("input[name=custom]");
      if (custom) custom.value = "";
    }
  });
  // And typing an amount unselects the suggested one: the page shows the amount that wins.
  document.addEventListener("input", function (event) {
    if (event.target.matches(".recharge-form input[name=custom]") && event.target.value.trim()) {
      event.target.form.querySelectorAll(".presets input[type=radio]").forEach(function (radio) { radio.checked = false; });
    }
  });
})();
