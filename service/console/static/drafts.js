// What an operator types (a voicemail's transcript, a call being entered) is kept in this tab's
// sessionStorage until the server has it. A session that expires mid-typing loses nothing: the
// sign-in page says why it appeared, the home page links back to the unsaved text, and the page
// puts it back in its field. The words stay in this tab only (sessionStorage dies with it).
(function () {
  "use strict";
  var PREFIX = "tipline-draft:";

  function forget(path) {
    try { sessionStorage.removeItem(PREFIX + path); } catch (e) { /* storage refused */ }
  }

  // A page that confirms a save names the form it saved: its draft is no longer needed.
  var saved = document.querySelector("[data-saved-draft]");
  if (saved) { forget(saved.getAttribute("data-saved-draft")); }

  var form = document.querySelector("form[data-draft]");
  if (form) {
    var key = PREFIX + location.pathname;
    var field = form.querySelector("textarea");
    var stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored && stored.text) {
      if (stored.text === field.value) {
        forget(location.pathname);  // the server has exactly this text
      } else {
        field.value = stored.text;
        var notice = document.getElementById("draft-restored");
        if (notice) { notice.hidden = false; }
      }
    }
    field.addEventListener("input", function () {
      try {
        sessionStorage.setItem(key, JSON.stringify({ text: field.value, title: document.title }));
      } catch (e) { /* storage full or refused: the field itself still holds the text */ }
    });
  }

  var pending = document.getElementById("pending-drafts");
  if (pending) {
    var list = pending.querySelector("ul");
    for (var i = 0; i < sessionStorage.length; i++) {
      var name = sessionStorage.key(i);
      if (!name || name.indexOf(PREFIX) !== 0) { continue; }
      var draft = null;
      try { draft = JSON.parse(sessionStorage.getItem(name) || "null"); } catch (e) { draft = null; }
      if (!draft || !draft.text) { continue; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = name.slice(PREFIX.length);
      link.textContent = draft.title || link.href;
      item.appendChild(link);
      list.appendChild(item);
    }
    if (list.children.length) { pending.hidden = false; }
  }
})();
