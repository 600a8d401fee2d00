//! Static files: the browser demo on the game listener, the dashboard on the admin listener.
//!
//! Both are compiled into the binary (rust-embed), so the server serves them from any working
//! directory with no files on disk and never needs Node.js at run time; the demo's SDK bundle
//! (`assets/play/tickwave.js`) is committed build output, checked by `tests/sdk.sh`. An
//! override directory (`--static-dir`, `--admin-static-dir`) is read on each request instead,
//! so pages can be worked on without rebuilding the server.
//!
//! Only plain relative paths are served: no `..`, no hidden files, no percent-escapes; in an
//! override directory nothing whose real path (symlinks resolved) is outside it; responses
//! from a directory are bounded by `MAX_FILE_BYTES`.

use crate::config::WebFiles;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use std::borrow::Cow;
use std::path::Path;

/// Larger files are refused: these are small web assets, and the read is held in memory.
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The embedded sets of files.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Set {
    /// `assets/play`: the browser demo and its SDK bundle.
    Demo,
    /// `assets/admin`: the admin dashboard.
    Dashboard,
}

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/play/"]
struct Demo;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/admin/"]
struct Dashboard;

impl Set {
    fn get(self, rel: &str) -> Option<rust_embed::EmbeddedFile> {
        match self {
            Set::Demo => Demo::get(rel),
            Set::Dashboard => Dashboard::get(rel),
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The relative file path a URL path names (`/` and `dir/` name `index.html`), or `None`
/// when the path is not a plain one.
pub(crate) fn relative(url_path: &str) -> Option<String> {
    let rel = url_path.strip_prefix('/')?;
    let rel =
        if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.into() };
    let plain = rel.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    plain.then_some(rel)
}

fn response(status: StatusCode, ctype: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::SERVER, HeaderValue::from_static(crate::SERVER_NAME));
    r
}

fn plain(status: StatusCode, msg: &'static str) -> Response<Full<Bytes>> {
    response(status, "text/plain; charset=utf-8", Bytes::from_static(msg.as_bytes()))
}

/// Whether an `If-None-Match` header names `etag` (a list, weak tags, or `*`).
fn etag_matches(if_none_match: &HeaderValue, etag: &str) -> bool {
    let Ok(v) = if_none_match.to_str() else { return false };
    v.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// Serve `url_path` from `files` (`set` says which embedded copy); `missing` is the page shown
/// when an override directory lacks the file (it says what the directory should hold).
pub(crate) async fn serve(
    files: &WebFiles,
    set: Set,
    url_path: &str,
    request: &HeaderMap,
    missing: &'static str,
) -> Response<Full<Bytes>> {
    let Some(rel) = relative(url_path) else {
        return plain(StatusCode::BAD_REQUEST, "bad path\n");
    };
    match files {
        WebFiles::Off => plain(StatusCode::NOT_FOUND, "not found\n"),
        WebFiles::Embedded => embedded(set, &rel, request),
        WebFiles::Dir(root) => from_dir(root, &rel, missing).await,
    }
}

/// An embedded file, with a strong ETag from its SHA-256 (revalidation is one round trip
/// without the body: `Cache-Control: no-cache` makes browsers ask each time).
fn embedded(set: Set, rel: &str, request: &HeaderMap) -> Response<Full<Bytes>> {
    let Some(file) = set.get(rel) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let hash = file.metadata.sha256_hash();
    let etag: String = std::iter::once('"')
        .chain(hash[..16].iter().flat_map(|b| {
            let hex = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
            [hex(b >> 4), hex(b & 15)]
        }))
        .chain(std::iter::once('"'))
        .collect();
    let fresh = request.get(header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &etag));
    let body = if fresh {
        Bytes::new()
    } else {
        match file.data {
            Cow::Borrowed(b) => Bytes::from_static(b),
            Cow::Owned(v) => Bytes::from(v),
        }
    };
    let status = if fresh { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
    let mut r = response(status, content_type(rel), body);
    r.headers_mut()
        .insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a valid header value"));
    r
}

/// A file of an override directory, if its real path is inside the directory's real path:
/// a symlink may point elsewhere inside, never out.
async fn from_dir(root: &Path, rel: &str, missing: &'static str) -> Response<Full<Bytes>> {
    let (Ok(root), Ok(path)) =
        (tokio::fs::canonicalize(root).await, tokio::fs::canonicalize(root.join(rel)).await)
    else {
        let html = missing.starts_with('<');
        let ctype = if html { "text/html; charset=utf-8" } else { "text/plain; charset=utf-8" };
        return response(StatusCode::NOT_FOUND, ctype, Bytes::from_static(missing.as_bytes()));
    };
    if !path.starts_with(&root) {
        tracing::debug!(path = %path.display(), "refused: a symlink out of the static directory");
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() && m.len() > MAX_FILE_BYTES => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "too large\n");
        }
        Ok(m) if m.is_file() => {}
        _ => return plain(StatusCode::NOT_FOUND, "not found\n"),
    }
    // Read the checked (canonical) path, not the one the request named.
    match tokio::fs::read(&path).await {
        Ok(b) => response(StatusCode::OK, content_type(rel), b.into()),
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Set, etag_matches, relative};
    use hyper::header::HeaderValue;

    #[test]
    fn only_plain_paths_resolve() {
        assert_eq!(relative("/").unwrap(), "index.html");
        assert_eq!(relative("/js/app.js").unwrap(), "js/app.js");
        assert_eq!(relative("/sub/").unwrap(), "sub/index.html");
        for bad in ["/../etc/passwd", "/a/../../b", "/.env", "//x", "/a%2e%2e/b", "x", "/a\\b"] {
            assert!(relative(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn both_sets_are_embedded() {
        for (set, files) in [
            (Set::Demo, &["index.html", "play.js", "tickwave.js"][..]),
            (Set::Dashboard, &["index.html", "app.js", "style.css"][..]),
        ] {
            for f in files {
                assert!(set.get(f).is_some(), "{set:?} {f}");
            }
        }
    }

    #[test]
    fn if_none_match_forms() {
        let tag = "\"abc\"";
        for (v, m) in
            [("\"abc\"", true), ("W/\"abc\"", true), ("\"x\", \"abc\"", true), ("*", true)]
        {
            assert_eq!(etag_matches(&HeaderValue::from_static(v), tag), m, "{v}");
        }
        assert!(!etag_matches(&HeaderValue::from_static("\"abd\""), tag));
    }
}
