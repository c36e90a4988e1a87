/* zicht: the dashboard's charts made interactive, as progressive enhancement.
 *
 * Each <figure class="zicht-chart"> holds the chart rendered on the server (an SVG in
 * .zicht-chart__static, shown without JavaScript) and its Vega-Lite spec in a
 * <script type="application/json" class="zicht-chart-spec"> block (data, never executed).
 * This script embeds the spec with the vendored vega-embed (static/vendor/vega/, copied by
 * web/vendor.sh: nothing is fetched from elsewhere) and replaces the static SVG only when
 * the embed succeeds; otherwise the static chart stays.
 *
 * The app's Content-Security-Policy allows no 'unsafe-eval' and no 'unsafe-inline', so:
 * Vega evaluates expressions with its interpreter (ast: true, bundled in vega-embed) instead
 * of new Function, and neither vega-embed nor its tooltip adds a <style> element
 * (defaultStyle: false, disableDefaultStyle: true; their rules are in zicht.css).
 *
 * Tooltips show the numbers on hover. For the keyboard, the chart takes focus and the arrow
 * keys (Home, End; Escape hides) step through its marks in the order of the data, showing
 * the same tooltip (a polite live region) and a focus box around the mark. The table beside
 * each chart carries the same numbers, so the chart's SVG stays hidden from screen readers.
 */
(() => {
  "use strict";

  // the page's language comes from the server (dashboard_scripts.html): the hint's text and
  // the number format of the pages' tables (1.234,5 in Dutch, 1,234.5 in English)
  const OPTIONS = (document.currentScript && document.currentScript.dataset) || {};
  const FORMAT_LOCALE = {
    decimal: OPTIONS.decimal || ".",
    thousands: OPTIONS.group || ",",
    grouping: [3],
    currency: [OPTIONS.currency || "€", ""],
  };
  const HINT = OPTIONS.hint || "Interactive chart: the arrow keys show the values.";
  const TOOLTIP_ID = "zicht-chart-tooltip";
  const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

  /* The tooltip element, made here (not by vega-tooltip) so that it is a live region. */
  function tooltipElement() {
    let tip = document.getElementById(TOOLTIP_ID);
    if (!tip) {
      tip = document.createElement("div");
      tip.id = TOOLTIP_ID;
      tip.className = "vg-tooltip";
      tip.setAttribute("role", "status");
      document.body.appendChild(tip);
    }
    return tip;
  }

  /* The scenegraph's items that have a tooltip, in data order, one per distinct tooltip,
     each with the offset (x, y) of its group from the SVG's top left corner. */
  function tooltipItems(view) {
    const found = [];
    const seen = new Set();
    const walk = (mark, x, y) => {
      for (const item of mark.items || []) {
        if (mark.marktype === "group") {
          for (const child of item.items || []) walk(child, x + (item.x || 0), y + (item.y || 0));
        } else if (item.tooltip != null && item.tooltip !== "" && item.bounds) {
          const key = JSON.stringify(item.tooltip);
          if (!seen.has(key)) {
            seen.add(key);
            found.push({ item, x, y });
          }
        }
      }
    };
    const [ox, oy] = view.origin();
    walk(view.scenegraph().root, ox, oy);
    return found;
  }

  function keyboard(figure, holder, view) {
    const handler = view.tooltip();
    const svg = holder.querySelector("svg");
    const items = tooltipItems(view);
    if (typeof handler !== "function" || !svg || items.length === 0) return;
    holder.tabIndex = 0;
    holder.setAttribute("role", "group");
    holder.setAttribute("aria-label", HINT);
    const box = document.createElement("div");
    box.className = "zicht-chart__focus";
    box.hidden = true;
    holder.appendChild(box);
    let current = -1;

    const show = (index) => {
      current = (index + items.length) % items.length;
      const { item, x, y } = items[current];
      const b = item.bounds;
      const s = svg.getBoundingClientRect();
      const h = holder.getBoundingClientRect();
      const scale = s.width / (svg.width.baseVal.value || s.width || 1);
      box.style.left = `${s.left - h.left + (x + b.x1) * scale}px`;
      box.style.top = `${s.top - h.top + (y + b.y1) * scale}px`;
      box.style.width = `${Math.max(b.x2 - b.x1, 1) * scale}px`;
      box.style.height = `${Math.max(b.y2 - b.y1, 1) * scale}px`;
      box.hidden = false;
      const at = { clientX: s.left + (x + (b.x1 + b.x2) / 2) * scale, clientY: s.top + (y + b.y1) * scale };
      handler(view, at, item, item.tooltip);
    };
    const hide = () => {
      box.hidden = true;
      handler(view, { clientX: 0, clientY: 0 }, null, null);
    };

    holder.addEventListener("keydown", (event) => {
      const step = STEPS[event.key];
      if (step) show(current < 0 ? (step > 0 ? 0 : -1) : current + step);
      else if (event.key === "Home") show(0);
      else if (event.key === "End") show(items.length - 1);
      else if (event.key === "Escape") hide();
      else return;
      event.preventDefault();
    });
    // a click also focuses the chart: only keyboard focus shows the first mark
    holder.addEventListener("focus", () => {
      if (holder.matches(":focus-visible")) show(current < 0 ? 0 : current);
    });
    holder.addEventListener("blur", hide);
  }

  async function enhance(figure) {
    const source = figure.querySelector("script.zicht-chart-spec");
    const staticChart = figure.querySelector(".zicht-chart__static");
    if (!source || !staticChart) return;
    const holder = document.createElement("div");
    holder.className = "zicht-chart__interactive";
    holder.hidden = true;
    const target = document.createElement("div");
    holder.appendChild(target);
    staticChart.after(holder);
    try {
      const result = await window.vegaEmbed(target, JSON.parse(source.textContent), {
        renderer: "svg",
        actions: false, // no export menu, no links to the online editor
        ast: true, // expressions by the interpreter: no eval under the CSP
        defaultStyle: false, // no <style> element: the CSS is in zicht.css
        formatLocale: FORMAT_LOCALE,
        tooltip: { id: TOOLTIP_ID, disableDefaultStyle: true },
      });
      const svg = target.querySelector("svg");
      if (!svg) throw new Error("vega-embed rendered no SVG");
      svg.setAttribute("aria-hidden", "true"); // the table beside the chart has the numbers
      staticChart.remove();
      holder.hidden = false;
      keyboard(figure, holder, result.view);
      figure.dataset.chart = "interactive";
    } catch (error) {
      holder.remove();
      figure.dataset.chart = "static";
      console.error("zicht: the chart stays static:", error);
    }
  }

  const figures = document.querySelectorAll("figure.zicht-chart");
  if (figures.length === 0) return;
  if (typeof window.vegaEmbed !== "function") {
    console.error("zicht: vega-embed is not loaded; the charts stay static");
    return;
  }
  tooltipElement();
  figures.forEach(enhance);
})();
