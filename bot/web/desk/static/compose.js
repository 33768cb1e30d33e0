// The compose form of an announcement or poll: says whom the chosen audience reaches now,
// as soon as it is chosen (the "Preview" button says it too, without this script).
(function () {
  "use strict";
  var select = document.getElementById("bc-audience");
  var line = document.getElementById("audience-count");
  if (!select || !line) { return; }
  function count() {
    var address = line.getAttribute("data-source") + "?audience=" + encodeURIComponent(select.value);
    fetch(address, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { line.textContent = answer ? answer.text : ""; })
      .catch(function () { line.textContent = ""; });
  }
  select.addEventListener("change", count);
  count();
}());
