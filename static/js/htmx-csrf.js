// htmx requests carry Django's CSRF token (X-CSRFToken): the masked token of a form on
// the page (the header's logout form), else the csrftoken cookie.
(function () {
  function token() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") event.detail.headers["X-CSRFToken"] = token();
  });
})();
