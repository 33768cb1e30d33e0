// The sending of an announcement or poll, updated in place while copies wait (the page works
// without this script: its "Update" link reloads it). It reads the figures every few seconds
// from the page's own address + "/progress" and stops once nothing waits.
(function () {
  "use strict";
  var box = document.getElementById("sending");
  if (!box || box.getAttribute("data-pending") === "0") { return; }
  var line = document.getElementById("progress-text");
  var bar = document.getElementById("progress-bar");
  var source = box.getAttribute("data-source");
  function update() {
    fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) {
        if (!figures) { return; }
        if (line.textContent !== figures.text) { line.textContent = figures.text; }
        bar.value = figures.done;
        if (figures.pending > 0) { window.setTimeout(update, 3000); }
        else { box.setAttribute("data-pending", "0"); }
      })
      .catch(function () { window.setTimeout(update, 10000); });
  }
  window.setTimeout(update, 1500);
}());
