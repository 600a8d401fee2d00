//! The server's layers, read from its source: every `crate::x` path in `src/**/*.rs` (in
//! `use` items and in code) is an arrow from the file's top-level module to `x`. The test
//! fails on any cycle between top-level modules and on the never-arrows that
//! docs/ARCHITECTURE.md documents. A unit check plants a back-arrow in a synthetic file set
//! and expects it to be caught, so the test cannot pass by reading nothing.
//!
//! Read as text, not parsed: comments are removed, then `crate::` paths (including
//! `crate::{a, b::c}` groups) are collected. `lib.rs` and `main.rs` are the roots and are not
//! checked (the facade re-exports whatever it likes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The actors: each owns a task (or the assembly of all tasks) and talks to the others only
/// through `link`.
const ACTORS: &[&str] = &["admin", "cluster", "lobby", "matchmaker", "server", "session"];

/// (module, modules it must never import, why).
fn never_arrows() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    let mut no_actor_or_net = ACTORS.to_vec();
    no_actor_or_net.push("net");
    vec![
        ("link", no_actor_or_net.clone(), "the neutral layer imports no actor"),
        ("config", no_actor_or_net.clone(), "configuration imports no actor"),
        ("game", no_actor_or_net.clone(), "the game API imports nothing of the server"),
        ("net", ACTORS.to_vec(), "the listener is transport only"),
        (
            "session",
            vec!["lobby", "matchmaker", "cluster", "admin", "server"],
            "sessions reach actors through link handles",
        ),
        (
            "lobby",
            vec!["session", "matchmaker", "cluster", "admin", "server"],
            "lobbies reach sessions and the matchmaker through link handles",
        ),
    ]
}

/// Remove `//` and `/* */` comments (doc comments included: intra-doc links are not imports).
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn ident_at(s: &str) -> String {
    s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The first segment of every `crate::` path in `src`.
fn crate_paths(src: &str) -> BTreeSet<String> {
    let text = strip_comments(src);
    let mut out = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("crate::") {
        // `pub(crate)` and `in crate::x` visibilities are not arrows to another module.
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let trimmed = rest.trim_start();
        if let Some(group) = trimmed.strip_prefix('{') {
            // A group: take the first segment of each top-level item.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let id = ident_at(&group[i..]);
                        if !id.is_empty() {
                            out.insert(id);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let id = ident_at(trimmed);
            if !id.is_empty() {
                out.insert(id);
            }
        }
    }
    out
}

/// The top-level module a file under `src/` belongs to (`None` for the crate roots).
fn top_module(rel: &str) -> Option<String> {
    if rel == "lib.rs" || rel == "main.rs" {
        return None;
    }
    let first = rel.split('/').next()?;
    Some(first.strip_suffix(".rs").unwrap_or(first).to_owned())
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Arrows between top-level modules of a file set (path relative to `src/`, contents).
fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().filter_map(|(p, _)| top_module(p)).collect();
    let mut g: Graph = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (path, src) in files {
        let Some(from) = top_module(path) else { continue };
        for to in crate_paths(src) {
            if to != from && modules.contains(&to) {
                g.get_mut(&from).expect("module").insert(to);
            }
        }
    }
    g
}

/// One cycle through `start`, if any (depth-first search).
fn cycle_from(g: &Graph, start: &str) -> Option<Vec<String>> {
    fn dfs(
        g: &Graph,
        node: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in g.get(node).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if dfs(g, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    let mut seen = BTreeSet::new();
    dfs(g, start, start, &mut path, &mut seen).then(|| {
        path.push(start.to_owned());
        path
    })
}

/// Every broken rule of a file set, as readable lines.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let g = graph(files);
    let mut out = Vec::new();
    let mut reported = BTreeSet::new();
    for m in g.keys() {
        if let Some(c) = cycle_from(&g, m) {
            let key: BTreeSet<String> = c.iter().cloned().collect();
            if reported.insert(key) {
                out.push(format!("cycle: {}", c.join(" -> ")));
            }
        }
    }
    for (from, banned, why) in never_arrows() {
        for to in g.get(from).into_iter().flatten() {
            if banned.contains(&to.as_str()) {
                out.push(format!("never-arrow {from} -> {to}: {why}"));
            }
        }
    }
    out
}

fn read_src(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            read_src(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel =
                path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("read source")));
        }
    }
}

fn server_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    files
}

#[test]
fn the_server_has_no_cycle_and_no_never_arrow() {
    let files = server_sources();
    let g = graph(&files);
    assert!(g.len() >= 10, "read the crate's modules: {:?}", g.keys());
    assert!(g["server"].contains("session"), "the reader sees real arrows: {g:?}");
    let v = violations(&files);
    assert!(v.is_empty(), "layering broken:\n{}\narrows: {g:#?}", v.join("\n"));
}

fn file(path: &str, src: &str) -> (String, String) {
    (path.to_owned(), src.to_owned())
}

#[test]
fn a_planted_back_arrow_is_caught() {
    let clean = vec![
        file("lib.rs", "pub mod link; pub mod session; pub mod lobby;"),
        file("link/mod.rs", "//! uses crate::session in a comment only\npub(crate) struct A;"),
        file("session/mod.rs", "use crate::link::A;\nfn f() { let _ = crate::link::A; }"),
        file("lobby/mod.rs", "use crate::{link::{self, A}, config::X};"),
        file("config/mod.rs", "pub(in crate::config) struct X;"),
    ];
    assert_eq!(violations(&clean), Vec::<String>::new());
    let g = graph(&clean);
    assert_eq!(g["lobby"], ["config", "link"].iter().map(|s| s.to_string()).collect());

    // link -> session closes a cycle and breaks a never-arrow.
    let mut planted = clean.clone();
    planted.push(file("link/back.rs", "use crate::session::Session;"));
    let v = violations(&planted);
    assert!(v.iter().any(|l| l.starts_with("cycle:")), "{v:?}");
    assert!(v.iter().any(|l| l.starts_with("never-arrow link -> session")), "{v:?}");

    // lobby -> session through a group in code: a never-arrow without a cycle.
    let mut planted = clean.clone();
    planted.push(file("lobby/x.rs", "fn g() { crate::{session::f}; }"));
    let v = violations(&planted);
    assert_eq!(
        v,
        [
            "never-arrow lobby -> session: lobbies reach sessions and the matchmaker through link handles"
        ]
    );
}

/// Files outside `link/` and the owning actor that name a variant of an actor's message
/// enum (`Enum::Variant`): such a caller builds (or matches) another actor's message by
/// hand instead of going through the handle's methods.
fn messages_built_by_hand(files: &[(String, String)]) -> Vec<String> {
    let owners = [("SessionEvent", "session"), ("LobbyMsg", "lobby"), ("MmRequest", "matchmaker")];
    let mut out = Vec::new();
    for (path, src) in files {
        let code = strip_comments(src);
        let module = top_module(path).unwrap_or_default();
        for (name, owner) in owners {
            if module != "link" && module != owner && code.contains(&format!("{name}::")) {
                out.push(format!("{path} builds {name} by hand (use the handle's methods)"));
            }
        }
    }
    out
}

#[test]
fn no_actor_builds_another_actors_message() {
    let files = server_sources();
    let v = messages_built_by_hand(&files);
    assert!(v.is_empty(), "{}", v.join("\n"));
    let planted = vec![file(
        "admin/api.rs",
        "fn k(s: &S) { s.events.try_send(SessionEvent::Kick { reason }); }",
    )];
    assert_eq!(
        messages_built_by_hand(&planted),
        ["admin/api.rs builds SessionEvent by hand (use the handle's methods)"]
    );
}
