// What WCAG asks of the site's wide blocks, which Material leaves undone:
// 1. Diagrams stay readable on a phone: mermaid scales a diagram down to the column's width,
//    so a 390 px screen drew a wide flowchart with 7 px text. Each diagram keeps at least
//    MIN_SCALE of its natural size and scrolls sideways inside its box instead (extra.css).
// 2. Blocks that scroll sideways (code, notebook cells and outputs, tables, diagrams) can be scrolled
//    by keyboard: focusable, with a name a screen reader announces (WCAG 2.1.1 and 4.1.2).
//    Material does this for its own code blocks only on devices with a mouse, without a name.
(function () {
  "use strict";
  const MIN_SCALE = 0.8;

  // Material renders each diagram with the global mermaid.render once the page has loaded,
  // after this script ran: the SVG's root gets a min-width beside mermaid's max-width.
  if (window.mermaid && typeof window.mermaid.render === "function") {
    const render = window.mermaid.render.bind(window.mermaid);
    window.mermaid.render = async function (...args) {
      const result = await render(...args);
      const end = result.svg.indexOf(">");
      const root = result.svg.slice(0, end).replace(/max-width:\s*([\d.]+)px;?/, (found, width) =>
        `max-width: ${width}px; min-width: ${(parseFloat(width) * MIN_SCALE).toFixed(1)}px;`);
      result.svg = root + result.svg.slice(end);
      return result;
    };
  }

  const CANDIDATES = [
    ".md-typeset pre > code",
    ".md-typeset pre",
    ".md-typeset div.mermaid",
    ".md-typeset .jp-OutputArea",
    ".md-typeset .jp-OutputArea-output",
    ".md-typeset .md-typeset__scrollwrap",
  ].join(", ");
  const MARK = "shiplingsScrollable";

  function label(element) {
    let what = "Code";
    const title = element.closest(".highlight") && element.closest(".highlight").querySelector(".filename");
    const details = element.closest("details");
    if (element.matches("div.mermaid")) what = "Diagram";
    else if (element.matches(".md-typeset__scrollwrap")) what = "Table";
    else if (element.closest(".jp-OutputArea")) what = "Notebook cell output";
    else if (element.closest(".jp-InputArea")) what = "Notebook code cell";
    else if (title) what = "Code: " + title.textContent.trim();
    else if (details) what = "Code: " + details.querySelector("summary").textContent.trim();
    return what + ", scrolls sideways";
  }

  function update(element) {
    const overflow = getComputedStyle(element).overflowX;
    const scrolls = (overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth + 1;
    if (scrolls && !element.dataset[MARK]) {
      element.dataset[MARK] = "1";
      element.setAttribute("tabindex", "0");
      element.setAttribute("role", "region");
      element.setAttribute("aria-label", label(element));
    } else if (!scrolls && element.dataset[MARK]) {
      delete element.dataset[MARK];
      element.removeAttribute("role");
      element.removeAttribute("aria-label");
      if (!element.matches("pre > code")) element.removeAttribute("tabindex"); // Material's own to manage
    }
  }

  // Sizes change when a fold opens, the window turns, or mermaid swaps a diagram in.
  const resized = new ResizeObserver(entries => entries.forEach(entry => update(entry.target)));
  const seen = new WeakSet();
  function watch() {
    document.querySelectorAll(CANDIDATES).forEach(element => {
      if (!seen.has(element)) {
        seen.add(element);
        resized.observe(element);
      }
      update(element);
    });
  }
  function start() {
    watch();
    new MutationObserver(watch).observe(document.querySelector(".md-content") || document.body,
                                        { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
