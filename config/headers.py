"""The Content-Security-Policy and Permissions-Policy every page is served with.

Scripts, styles and everything else come from our own origin only; the templates carry no
inline scripts, handlers or style attributes (static/js/app.js does the confirmations) and htmx
is vendored under static/. ``form-action`` also lists where the "Connect" forms redirect to:
Intuit's and LACRM's sign-in pages (browsers check the redirects of a form submission too) and,
in sandbox mode, this install's own base URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# No page needs any of these browser features.
UNUSED_FEATURES = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(*redirect_urls: str) -> str:
    form_action = ["'self'", "https://*.intuit.com", "https://*.lessannoyingcrm.com"]
    for url in redirect_urls:
        if _origin(url) and _origin(url) not in form_action:
            form_action.append(_origin(url))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action " + " ".join(form_action),
        ]
    )


def permissions_policy() -> str:
    return ", ".join(f"{feature}=()" for feature in UNUSED_FEATURES)
