// Rental form, display only (the server computes the real price and checks the dates):
// the live price preview (days, both dates included, × daily rate), the end date's
// minimum following the start date, a warning when the car is already booked on the
// chosen days, and the fleet cards' "choose" buttons.
(function () {
  var form = document.getElementById("rental-form");
  var carsData = document.getElementById("fleet-cars");
  var textData = document.getElementById("rental-i18n");
  var out = document.getElementById("price-preview");
  var warning = document.getElementById("booked-warning");
  if (!form || !carsData || !textData || !out) return;
  var cars = JSON.parse(carsData.textContent);
  var text = JSON.parse(textData.textContent);
  var lang = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  var DAY = 86400000;

  function parseDay(value) {
    // "YYYY-MM-DD" as a UTC day number: no time zone or daylight saving surprises.
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / DAY : null;
  }
  function showDay(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return m ? m[3] + "/" + m[2] + "/" + m[1] : value;
  }
  function money(amount, currency) {
    var digits = text.zero_decimal.indexOf(currency) >= 0 ? 0 : 2;
    var number = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 0, maximumFractionDigits: digits }).format(amount);
    return number + "\u00a0" + (text.symbols[currency] || currency);
  }
  function daysLabel(n) {
    var form = plural ? plural.select(n) : (n === 1 ? "one" : "other");
    return (text.days[form] || text.days.other).replace("%(n)s", n);
  }
  function hide(el) { if (el) el.hidden = true; }

  function update() {
    var car = cars[form.elements.vehicle.value];
    var startInput = form.elements.start_date, endInput = form.elements.end_date;
    var start = parseDay(startInput.value), end = parseDay(endInput.value);
    if (start !== null) endInput.min = startInput.value;
    var min = parseDay(startInput.min);
    hide(warning);
    if (!car || start === null || end === null || end < start || (min !== null && start < min) || end - start + 1 > 90) {
      hide(out);
      return;
    }
    for (var i = 0; i < car.booked.length; i++) {
      var b = car.booked[i];
      if (parseDay(b[0]) <= end && parseDay(b[1]) >= start) {
        if (warning) {
          warning.textContent = text.booked.replace("%(start)s", showDay(b[0])).replace("%(end)s", showDay(b[1]));
          warning.hidden = false;
        }
        hide(out);
        return;
      }
    }
    var days = end - start + 1, rate = Number(car.rate);
    out.textContent = daysLabel(days) + " × " + money(rate, car.currency) + " = " + money(rate * days, car.currency);
    out.hidden = false;
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-pick]");
    if (!pick) return;
    event.preventDefault();
    form.elements.vehicle.value = pick.getAttribute("data-pick");
    update();
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    form.elements.start_date.focus({ preventScroll: true });
  });
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
