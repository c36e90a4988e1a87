/* zicht: keys for the linkage review page (/dashboard/review), as progressive enhancement.
 *
 * Without this script every decision is a button of a plain form (POST with the CSRF token),
 * and the page works the same. With it:
 *   j or y  same person      n  different persons      u  unsure (stays in the queue)
 *   s       skip to the next pair (nothing is recorded)  ?  open or close the list of keys
 * A key presses the marked pair's button, so the decision goes through the same form and
 * the same server checks. The marked pair is the first on the page, or the one that holds
 * the focus (Tab), or the one "s" moved to. The key hints on the buttons and the list of
 * keys are hidden in the page and shown here. The shortcuts can be turned off with a checkbox
 * in that list (WCAG 2.1.4), remembered in this browser. No key acts while the focus is in
 * a field, or with Ctrl, Alt or Meta held.
 */
(() => {
  "use strict";

  const list = document.querySelector("[data-review-pairs]");
  if (!list) {
    return;
  }
  const pairs = Array.from(list.querySelectorAll(".zicht-review-pair"));
  const help = document.querySelector("[data-review-help]");
  const toggle = document.getElementById("review-keys-on");
  const STORE = "zicht-review-keys";
  const CURRENT = "zicht-review-pair--current";
  let current = 0;

  function stored() {
    try {
      return window.localStorage.getItem(STORE);
    } catch (e) {
      return null; // storage refused: the shortcuts stay on
    }
  }

  function store(on) {
    try {
      window.localStorage.setItem(STORE, on ? "on" : "off");
    } catch (e) {
      // storage refused: only this page remembers
    }
  }

  function enabled() {
    return !toggle || toggle.checked;
  }

  function showHints(on) {
    document.querySelectorAll(".zicht-review-key[data-review-hint]").forEach((hint) => {
      hint.hidden = !on;
    });
    pairs.forEach((pair, i) => pair.classList.toggle(CURRENT, on && i === current));
  }

  function mark(index, focus) {
    if (index < 0 || index >= pairs.length) {
      return;
    }
    current = index;
    pairs.forEach((pair, i) => pair.classList.toggle(CURRENT, enabled() && i === index));
    if (focus) {
      const title = pairs[index].querySelector(".zicht-review-pair__title");
      if (title) {
        title.focus();
        title.scrollIntoView({ block: "start" });
      }
    }
  }

  if (help) {
    help.hidden = false;
  }
  if (toggle) {
    toggle.checked = stored() !== "off";
    toggle.addEventListener("change", () => {
      store(toggle.checked);
      showHints(toggle.checked);
    });
  }
  showHints(enabled());

  document.addEventListener("focusin", (event) => {
    const index = pairs.findIndex((pair) => pair.contains(event.target));
    if (index >= 0) {
      mark(index, false);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!enabled() || event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    const target = event.target;
    if (target && target.closest && target.closest("input, select, textarea, [contenteditable]")) {
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : "";
    if (key === "?") {
      if (help) {
        help.open = !help.open;
        event.preventDefault();
      }
      return;
    }
    if (!key || !pairs.length) {
      return;
    }
    if (key === "s") {
      event.preventDefault();
      mark(Math.min(current + 1, pairs.length - 1), true);
      return;
    }
    const button = Array.from(pairs[current].querySelectorAll("button[data-keys]"))
      .find((b) => b.dataset.keys.split(" ").includes(key));
    if (button) {
      event.preventDefault();
      const form = button.form;
      if (form && form.requestSubmit) {
        form.requestSubmit(button);
      } else {
        button.click();
      }
    }
  });
})();
