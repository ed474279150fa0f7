//! The web UI: `web/dist`, built by Vite and embedded in the binary, served
//! on every `GET` no other route claims.
//!
//! Hashed assets (`/assets/…`) are cached for a year as immutable; every
//! other file is revalidated on each load by its ETag (the service worker
//! `sw.js` above all: a cached one would pin an old app shell). Text files
//! (the web manifest, `application/manifest+json`, too) are sent gzipped to
//! clients that accept it: compressed once, at build time (`build.rs`), so
//! no request compresses anything on the funnel's thread. A
//! path that names no file and has no extension gets `index.html` (the page
//! routes on the client); one that looks like a missing file is a 404. A
//! binary built before the UI was serves a one-line page saying how to build
//! it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{Embed, EmbeddedFile};

use crate::endpoints::Endpoints;

/// `web/dist` as it was when this binary was built (empty when it was not).
#[derive(Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

const INDEX: &str = "index.html";

// `GZIPPED`: the gzip bytes of each compressible file of `Dist`.
include!(concat!(env!("OUT_DIR"), "/gzipped.rs"));

/// The gzip bytes of the file at `path`, when it is worth compressing.
fn gzipped(path: &str) -> Option<&'static [u8]> {
    GZIPPED
        .binary_search_by(|(name, _)| (*name).cmp(path))
        .ok()
        .map(|at| GZIPPED[at].1)
}

/// What the page may load: only this origin (the funnel's `/ws` included),
/// and connect to the gateway and the stream (`connect` lists their origins).
fn policy(connect: &[String]) -> String {
    let mut connect_src = String::from("'self'");
    for origin in connect {
        connect_src.push(' ');
        connect_src.push_str(origin);
    }
    format!(
        "default-src 'self'; connect-src {connect_src}; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Clocker</title>\
    <p>The web UI is not built into this binary: run <code>make web</code> \
    (or <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>), then rebuild clocker.\n";

/// `GET /…`: a file of the UI, `index.html` for client-side routes, or 404.
/// Its policy names the host as the allow-list parsed it, never the Host
/// header's own bytes.
pub async fn serve(
    State(endpoints): State<Arc<Endpoints>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let host = endpoints.host_of(&uri, &headers);
    let policy = policy(&endpoints.origins(host.as_ref()));
    serve_file(&uri, &headers, &policy)
}

fn serve_file(uri: &Uri, headers: &HeaderMap, policy: &str) -> Response {
    let path = match uri.path().trim_start_matches('/') {
        "" => INDEX,
        path => path,
    };
    if let Some(file) = Dist::get(path) {
        return respond(path, file, headers, policy);
    }
    let last_segment = path.rsplit('/').next().unwrap_or(path);
    if path != INDEX && last_segment.contains('.') {
        return (StatusCode::NOT_FOUND, "no such file\n").into_response();
    }
    match Dist::get(INDEX) {
        Some(index) => respond(INDEX, index, headers, policy),
        None => (
            [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::response::Html(NOT_BUILT),
        )
            .into_response(),
    }
}

fn respond(path: &str, file: EmbeddedFile, headers: &HeaderMap, policy: &str) -> Response {
    let mime = file.metadata.mimetype();
    let compressed = gzipped(path);
    let compressible = compressed.is_some();
    let gzip = compressible && accepts_gzip(headers);
    let etag = etag(&file, gzip);
    let cache = cache_control(path);
    let mut response = if headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*")
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match compressed {
            Some(gz) if gzip => Body::from(gz),
            _ => Body::from(file.data),
        };
        let mut ok = body.into_response();
        ok.headers_mut().insert(CONTENT_TYPE, content_type(mime));
        ok
    };
    let out = response.headers_mut();
    if compressible {
        out.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if gzip {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, value);
    }
    if path == INDEX
        && let Ok(policy) = HeaderValue::from_str(policy)
    {
        out.insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// How long a browser may keep the file at `path` without asking again:
/// hashed assets forever, everything else (`index.html`, `sw.js`, the
/// manifest, icons) revalidated on each use.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// A strong ETag from the file's SHA-256 (computed at build time), one per
/// encoding.
fn etag(file: &EmbeddedFile, gzip: bool) -> String {
    let hash = file.metadata.sha256_hash();
    let hex: String = hash[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let encoding = if gzip { "-gzip" } else { "" };
    format!("\"{hex}{encoding}\"")
}

fn is_text(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime == "application/javascript"
        || mime == "application/json"
        || mime == "application/manifest+json"
        || mime == "image/svg+xml"
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// The file's type; text is UTF-8 (Vite writes nothing else).
fn content_type(mime: &str) -> HeaderValue {
    let value = if is_text(mime) && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn gzip_is_used_when_accepted_and_not_refused() {
        assert!(accepts_gzip(&accepting("gzip, deflate, br")));
        assert!(accepts_gzip(&accepting("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&accepting("*")));
        assert!(!accepts_gzip(&accepting("gzip;q=0, br")));
        assert!(!accepts_gzip(&accepting("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn text_files_go_gzipped_to_clients_that_accept_it() {
        // `make test` builds the UI first; without it there is nothing to
        // test, and passing would hide that.
        let index = Dist::get(INDEX).expect(
            "the web UI is not built into this build: run `make web` (or `make test`, which \
             builds it first), then run the tests again",
        );
        let html = String::from_utf8_lossy(&index.data).into_owned();
        let start = html.find("/assets/").expect("the page links its assets");
        let end = html[start..].find('"').expect("a quoted link") + start;
        let asset = &html[start..end];
        let plain = Dist::get(&asset[1..]).expect("linked assets are embedded");
        assert!(plain.data.len() >= 1024, "{asset} is tiny");
        assert!(
            gzipped(&asset[1..]).is_some(),
            "{asset} is not precompressed"
        );

        let uri: Uri = asset.parse().expect("a path");
        let response = serve_file(&uri, &accepting("gzip, br"), &policy(&[]));
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[VARY], "accept-encoding");
        let etag = response.headers()[ETAG].clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(body.len() < plain.data.len() / 2, "{} bytes", body.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unzipped)
            .expect("valid gzip");
        assert_eq!(unzipped, plain.data.as_ref());

        let identity = serve_file(&uri, &HeaderMap::new(), &policy(&[]));
        assert!(identity.headers().get(CONTENT_ENCODING).is_none());
        assert_ne!(identity.headers()[ETAG], etag, "one ETag per encoding");
    }

    #[test]
    fn every_precompressed_file_is_the_gzip_of_its_embedded_text_file() {
        assert!(
            !GZIPPED.is_empty(),
            "nothing precompressed: is the web UI built (`make web`)?"
        );
        assert!(
            GZIPPED.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "GZIPPED is sorted by path (gzipped() searches it)"
        );
        for (path, gz) in GZIPPED {
            let plain = Dist::get(path).unwrap_or_else(|| panic!("{path} is not embedded"));
            assert!(is_text(plain.metadata.mimetype()), "{path} is not text");
            let mut unzipped = Vec::new();
            flate2::read::GzDecoder::new(*gz)
                .read_to_end(&mut unzipped)
                .expect("valid gzip");
            assert_eq!(unzipped, plain.data.as_ref(), "{path}");
        }
    }

    #[test]
    fn the_page_may_connect_to_its_own_origin_and_the_given_ones() {
        let policy = policy(&["http://h:8081".to_owned(), "http://h:8085".to_owned()]);
        assert!(
            policy.contains("connect-src 'self' http://h:8081 http://h:8085;"),
            "{policy}"
        );
    }

    #[test]
    fn the_policy_comes_from_configuration_not_from_the_host_header() {
        let endpoints = Endpoints::new(
            None,
            None,
            &clocker_runtime::AddressBook::default(),
            clocker_runtime::http::AllowedHosts::default(),
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::HOST,
            HeaderValue::from_static("x;script-src * 'unsafe-inline';x:1"),
        );
        let host = endpoints.host_of(&Uri::from_static("/"), &headers);
        let policy = policy(&endpoints.origins(host.as_ref()));
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
    }

    #[tokio::test]
    async fn the_manifest_and_the_service_worker_are_served_as_installing_needs() {
        let get = |path: &'static str| {
            let response = serve_file(&Uri::from_static(path), &HeaderMap::new(), &policy(&[]));
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{path} is not embedded: `make web`"
            );
            response
        };
        let manifest = get("/manifest.webmanifest");
        assert_eq!(
            manifest.headers()[CONTENT_TYPE],
            "application/manifest+json; charset=utf-8"
        );
        let body = axum::body::to_bytes(manifest.into_body(), usize::MAX)
            .await
            .expect("body");
        let parsed: serde_json::Value =
            serde_json::from_slice(&body).expect("the manifest is JSON");
        assert_eq!(parsed["start_url"], "/");

        let worker = get("/sw.js");
        assert_eq!(worker.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(
            worker.headers()[CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn only_hashed_assets_are_cached_without_asking() {
        assert_eq!(cache_control("sw.js"), "no-cache");
        assert_eq!(cache_control("manifest.webmanifest"), "no-cache");
        assert_eq!(cache_control(INDEX), "no-cache");
        assert_eq!(
            cache_control("assets/index-abc123.js"),
            "public, max-age=31536000, immutable"
        );
    }

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
