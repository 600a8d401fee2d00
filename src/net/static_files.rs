//! Static files (the browser demo on the game listener, the dashboard on the admin listener),
//! read from a directory on each request so a rebuilt bundle shows up without a restart.
//!
//! Only plain relative paths are served: no `..`, no hidden files, no percent-escapes, and
//! nothing outside the directory; responses are bounded by `MAX_FILE_BYTES`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use std::path::{Path, PathBuf};

/// Larger files are refused: these are small web assets, and the read is held in memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
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

/// Map a URL path to a file under `root`, or `None` when the path is not a plain one.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = url_path.strip_prefix('/')?;
    let rel =
        if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.into() };
    let mut out = root.to_path_buf();
    for part in rel.split('/') {
        let plain = !part.is_empty()
            && !part.starts_with('.')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !plain {
            return None;
        }
        out.push(part);
    }
    Some(out)
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

/// Serve `url_path` from `root`; `missing` is the page shown when the file does not exist
/// (for example, how to build the demo bundle).
pub async fn serve(root: &Path, url_path: &str, missing: &'static str) -> Response<Full<Bytes>> {
    let Some(path) = resolve(root, url_path) else {
        return response(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", "bad path\n".into());
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => m,
        _ => {
            let html = missing.starts_with('<');
            let ctype = if html { "text/html; charset=utf-8" } else { "text/plain; charset=utf-8" };
            return response(StatusCode::NOT_FOUND, ctype, Bytes::from_static(missing.as_bytes()));
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        return response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            "too large\n".into(),
        );
    }
    match tokio::fs::read(&path).await {
        Ok(b) => response(StatusCode::OK, content_type(&path), b.into()),
        Err(_) => {
            response(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "not found\n".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;
    use std::path::Path;

    #[test]
    fn only_plain_paths_resolve() {
        let r = Path::new("/srv");
        assert_eq!(resolve(r, "/").unwrap(), Path::new("/srv/index.html"));
        assert_eq!(resolve(r, "/js/app.js").unwrap(), Path::new("/srv/js/app.js"));
        assert_eq!(resolve(r, "/sub/").unwrap(), Path::new("/srv/sub/index.html"));
        for bad in ["/../etc/passwd", "/a/../../b", "/.env", "//x", "/a%2e%2e/b", "x", "/a\\b"] {
            assert!(resolve(r, bad).is_none(), "{bad}");
        }
    }
}
