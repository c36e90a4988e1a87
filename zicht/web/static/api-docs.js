/* zicht: starts Swagger UI on the API documentation page (/api/v1/docs, zicht/web/apidocs.py).
 *
 * Swagger UI is vendored by web/vendor.sh (static/vendor/swagger-ui/) and loaded before this
 * script; nothing is fetched from elsewhere. The app's Content-Security-Policy allows no inline
 * script or style and no outside source, so this file (not an inline script) starts it, and:
 * validatorUrl null, so that Swagger UI never asks validator.swagger.io for its badge (the
 * BaseLayout used here shows none, and img-src would refuse it: this keeps it so).
 * Nothing else needed changing: Swagger UI adds no <style> element and no style attribute
 * (React sets styles through the CSSOM, which the CSP allows) and evaluates no code.
 */
(() => {
  "use strict";

  function start() {
    const root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.SwaggerUIBundle({
      url: root.dataset.openapiUrl || "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      validatorUrl: null,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
