//! The web UI: `web/dist`, built by Vite and embedded in the binary, served
//! on every `GET` no other route claims.
//!
//! Hashed assets (`/assets/…`) are cached for a year as immutable; every
//! other file is revalidated on each load by its ETag. A path that names no
//! file and has no extension gets `index.html` (the page routes on the
//! client); one that looks like a missing file is a 404. A binary built
//! before the UI was serves a one-line page saying how to build it.

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{Embed, EmbeddedFile};

/// `web/dist` as it was when this binary was built (empty when it was not).
#[derive(Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

const INDEX: &str = "index.html";

/// What the page may load: only this origin (the funnel's `/ws` included).
const POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Clocker</title>\
    <p>The web UI is not built into this binary: run <code>make web</code> \
    (or <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>), then rebuild clocker.\n";

/// `GET /…`: a file of the UI, `index.html` for client-side routes, or 404.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = match uri.path().trim_start_matches('/') {
        "" => INDEX,
        path => path,
    };
    if let Some(file) = Dist::get(path) {
        return respond(path, file, &headers);
    }
    let last_segment = path.rsplit('/').next().unwrap_or(path);
    if path != INDEX && last_segment.contains('.') {
        return (StatusCode::NOT_FOUND, "no such file\n").into_response();
    }
    match Dist::get(INDEX) {
        Some(index) => respond(INDEX, index, &headers),
        None => (
            [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::response::Html(NOT_BUILT),
        )
            .into_response(),
    }
}

fn respond(path: &str, file: EmbeddedFile, headers: &HeaderMap) -> Response {
    let etag = etag(&file);
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*")
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut ok = Body::from(file.data).into_response();
        ok.headers_mut()
            .insert(CONTENT_TYPE, content_type(file.metadata.mimetype()));
        ok
    };
    let out = response.headers_mut();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, value);
    }
    if path == INDEX {
        out.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    }
    response
}

/// A strong ETag from the file's SHA-256 (computed at build time).
fn etag(file: &EmbeddedFile) -> String {
    let hash = file.metadata.sha256_hash();
    let hex: String = hash[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// The file's type; text is UTF-8 (Vite writes nothing else).
fn content_type(mime: &str) -> HeaderValue {
    let text = mime.starts_with("text/")
        || mime == "application/javascript"
        || mime == "application/json"
        || mime == "image/svg+xml";
    let value = if text && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_say_utf8_and_others_do_not() {
        assert_eq!(
            content_type("text/javascript"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("text/html"), "text/html; charset=utf-8");
        assert_eq!(content_type("image/png"), "image/png");
        assert_eq!(content_type("font/woff2"), "font/woff2");
    }
}
