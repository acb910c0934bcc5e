// The queue keeps itself current while it is open (no inline script: the CSP forbids it).
// Every few seconds (data-seconds) it fetches its list again (data-refresh: the same view,
// filters and page) and puts it in place; the tab's title counts what waits; a P1 that was not
// there before makes the banner say so, as an alert. Without script the page is the same list,
// current when loaded.
//
// Each fetch says whether the tab is on screen (X-Tipline-Tab: visible / hidden): the server
// counts a visible tab's refresh as the officer's activity (their session stays open while
// they watch the queue), a hidden tab's not (a forgotten tab does not keep a session alive).
(function () {
  "use strict";
  var live = document.getElementById("queue-live");
  if (!live || !window.fetch) { return; }
  var seconds = Number(live.getAttribute("data-seconds"));
  if (!(seconds > 0)) { return; }
  var known = urgentIn(live);
  var timer = null;
  var busy = false;

  function urgentIn(region) {
    var banner = region.querySelector("#p1-alert");
    return banner ? banner.getAttribute("data-tips").split(" ").filter(Boolean) : [];
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, seconds * 1000);
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    var visible = document.visibilityState === "visible";
    window.fetch(live.getAttribute("data-refresh"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Tipline-Tab": visible ? "visible" : "hidden" }
    }).then(function (response) {
      // Signed out meanwhile (idle limit, another tab): show the sign-in page, not a stale list.
      if (response.redirected || response.status === 401) { window.location.reload(); return null; }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html) { put(html); }
    }).catch(function () {
      // Offline for a moment: the list stays as it was, the next try comes as planned.
    }).then(function () {
      busy = false;
      schedule();
    });
  }

  function put(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#queue-live");
    if (!fresh) { return; }
    var urgent = urgentIn(fresh);
    var arrived = urgent.filter(function (id) { return known.indexOf(id) < 0; });
    var banner = fresh.querySelector("#p1-alert");
    if (banner && arrived.length) {
      banner.classList.add("fresh");
      banner.querySelector(".p1-new").hidden = false;
    } else if (banner) {
      // Nothing new: the banner stays, without being announced again at every refresh.
      banner.removeAttribute("role");
    }
    known = known.concat(arrived);
    var focused = document.activeElement && live.contains(document.activeElement)
      ? document.activeElement.getAttribute("href") : null;
    live.parentNode.replaceChild(fresh, live);
    live = fresh;
    document.title = fresh.getAttribute("data-title");
    var count = document.getElementById("queue-count");
    if (count) { count.textContent = fresh.getAttribute("data-count"); }
    if (focused) {
      var again = fresh.querySelector('a[href="' + focused + '"]');
      if (again) { again.focus(); }
    }
    document.dispatchEvent(new CustomEvent("queue:refreshed"));
  }

  document.addEventListener("visibilitychange", function () {
    // Back on screen: current at once, not at the next tick.
    if (document.visibilityState === "visible") { refresh(); }
  });
  schedule();
})();
