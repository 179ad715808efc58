// Live price preview on the rental form: days (both dates included) × daily rate.
// Display only: the server computes the real price.
(function () {
  var form = document.getElementById("rental-form");
  var data = document.getElementById("fleet-rates");
  var out = document.getElementById("price-preview");
  if (!form || !data || !out) return;
  var rates = JSON.parse(data.textContent);
  var symbols = { XOF: "FCFA", MAD: "MAD", EUR: "€" };
  function update() {
    var v = form.elements.vehicle.value, s = form.elements.start_date.value, e = form.elements.end_date.value;
    if (!v || !s || !e || !rates[v]) { out.hidden = true; return; }
    var days = Math.round((Date.parse(e) - Date.parse(s)) / 86400000) + 1;
    if (!(days > 0)) { out.hidden = true; return; }
    var total = Number(rates[v][0]) * days;
    var label = document.documentElement.lang === "en" ? "days" : "jours";
    out.textContent = days + " " + label + " × " + Number(rates[v][0]).toLocaleString("fr-FR") + " = " +
      total.toLocaleString("fr-FR") + " " + (symbols[rates[v][1]] || rates[v][1]);
    out.hidden = false;
  }
  form.addEventListener("change", update);
  update();
})();
