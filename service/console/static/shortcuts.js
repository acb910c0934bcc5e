// Keyboard shortcuts for the casework pages (no inline script: the CSP forbids it).
// Lists: j / k move, Enter or o opens, "/" goes to the filters. Tip and case pages: u goes back
// to the list; keys named by a button's data-shortcut (c claim, r release, a acknowledge) press it.
(function () {
  "use strict";
  var rows = [];
  var current = -1;

  // The queue puts a fresh list in place every few seconds (queue_watch.js): the row selected
  // stays selected if it is still there.
  function findRows() {
    var selected = current >= 0 && rows[current] ? rows[current].getAttribute("data-href") : null;
    rows = Array.prototype.slice.call(document.querySelectorAll("tr.queue-row[data-href]"));
    current = -1;
    rows.forEach(function (row, index) {
      if (row.getAttribute("data-href") === selected) {
        current = index;
        row.classList.add("selected");
      }
    });
  }
  findRows();
  document.addEventListener("queue:refreshed", findRows);

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function select(index) {
    if (!rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("selected"); }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("selected");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function open() {
    if (current >= 0) { window.location.assign(rows[current].getAttribute("data-href")); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "j") { select(current + 1); }
    else if (key === "k") { select(current - 1); }
    else if ((key === "Enter" || key === "o") && current >= 0) { open(); }
    else if (key === "/") {
      var filter = document.querySelector("#queue-filters select");
      if (filter) { filter.focus(); }
    } else if (key === "u") {
      var back = document.querySelector("#back-to-queue");
      if (back) { window.location.assign(back.getAttribute("href")); }
    } else {
      var button = document.querySelector('button[data-shortcut="' + key + '"]');
      if (!button) { return; }
      button.click();
    }
    event.preventDefault();
  });
})();
