// @ts-check
// Frames get their address only here, so no request goes out without the token.
document.querySelectorAll('iframe[data-src]').forEach(function (f) { /** @type {HTMLIFrameElement} */ (f).src = f.getAttribute('data-src') + location.search; });
document.querySelectorAll('a[data-href]').forEach(function (a) { /** @type {HTMLAnchorElement} */ (a).href = a.getAttribute('data-href') + location.search; });
