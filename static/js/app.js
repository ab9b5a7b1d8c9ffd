// Keyboard use of the queue table: j/k move between rows, Enter opens, c claims.
// The selected row is remembered by item id, so an auto-refresh keeps it.
(function () {
  "use strict";
  let selected = null;

  function rows() {
    return Array.from(document.querySelectorAll("#items tr.row"));
  }

  function select(row) {
    if (!row) return;
    rows().forEach(function (r) { r.classList.remove("selected"); });
    row.classList.add("selected");
    row.focus({ preventScroll: false });
    selected = row.dataset.item;
  }

  document.addEventListener("keydown", function (event) {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.altKey || event.ctrlKey || event.metaKey) return;
    const all = rows();
    if (!all.length) return;
    const current = all.findIndex(function (r) { return r.dataset.item === selected; });
    if (event.key === "j") { select(all[Math.min(current + 1, all.length - 1)]); event.preventDefault(); }
    else if (event.key === "k") { select(all[Math.max(current - 1, 0)]); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0 && event.target.tagName === "TR") {
      const link = all[current].querySelector("a.plink");
      if (link && link.getAttribute("href") !== "#") link.click();
    } else if (event.key === "c" && current >= 0) {
      const button = all[current].querySelector("form[action$='/claim/'] button");
      if (button) { button.click(); event.preventDefault(); }
    }
  });

  document.addEventListener("focusin", function (event) {
    const row = event.target.closest && event.target.closest("#items tr.row");
    if (row) { selected = row.dataset.item; rows().forEach(function (r) { r.classList.toggle("selected", r === row); }); }
  });

  // After htmx swaps the list, put the selection back on the same item (without stealing focus).
  document.addEventListener("htmx:afterSettle", function () {
    if (!selected) return;
    const row = document.querySelector('#items tr.row[data-item="' + selected + '"]');
    if (row) row.classList.add("selected");
  });
})();

// The queue's auto-refresh waits while an assign menu is open (a listener, not an hx-trigger
// filter: filters are evaluated code, which the Content-Security-Policy forbids).
document.addEventListener("htmx:confirm", function (event) {
  if (event.target.id === "auto-refresh" && document.querySelector("#results details[open]")) {
    event.preventDefault();
  }
});
