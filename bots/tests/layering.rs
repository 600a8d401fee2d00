//! The bots crate's module layers, read from its source (issue 14, item 8).
//!
//! Every `crate::`, `super::` and `self::` path in bots/src, and every path that starts with
//! the name of a child module, is resolved to the module it names: in `use` trees, in code,
//! and in macro bodies (`tokio::select!`, `format!`), test modules included (a `#[cfg(test)]`
//! import is a dependency like any other). For every module with submodules, its children and
//! its own file (`(own)`: what its `lib.rs`/`mod.rs` itself defines or re-exports) are the
//! nodes of a graph, and each path from one into another is an arrow. The test fails on:
//!
//! - a cycle at any level (so also a child importing through its parent's re-exports while the
//!   parent re-exports that child: import from the module that defines the item);
//! - an arrow against the documented layer order of the crate's top level (lib.rs) and of the
//!   swarm (bots/src/swarm/mod.rs): an arrow goes to a module of the same or a lower layer,
//!   never up, and never into a facade (`(own)` is above every layer);
//! - a module of those two levels missing from the layer tables below (or a table naming a
//!   module that is gone), so that the tables and the docs stay the whole picture.
//!
//! Paths are parsed with `syn`; doc comments (intra-doc links) are not dependencies.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use syn::visit::Visit;

/// Layers of the crate's top level, lowest first (lib.rs docs). `client`, `state` and `tls`
/// are the public client library: they import nothing else of the crate.
const CRATE_LAYERS: &[&[&str]] = &[
    &["connect4", "state", "state_v2", "tls"],
    &["client"],
    &["sys"],
    &["swarm"],
    &["capacity", "player"],
];

/// Layers of `swarm`, lowest first (bots/src/swarm/mod.rs docs).
const SWARM_LAYERS: &[&[&str]] = &[
    // Leaves: a seeded generator and the error type.
    &["error", "rng"],
    // The fast wire readers: connection, frames, MessagePack, message sorting, state view.
    &["net"],
    // Measurement and policy.
    &["behaviour", "chat", "config", "game", "games", "record", "stats", "track", "views"],
    // One bot, and what the bots of a shard share.
    &["bot", "ctx"],
    // Orchestration: a thread of bots, the collector, the live progress line.
    &["collector", "progress", "shard"],
    // The outcome: the report, its SLOs and chart, and `run`, which produces it.
    &["chart", "report", "run", "slo"],
    // The command line.
    &["cli"],
];

type ModPath = Vec<String>;

/// A node of one level's graph: the level module's own file, or one of its children.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Own,
    Child(String),
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Own => f.write_str("(own)"),
            Node::Child(c) => f.write_str(c),
        }
    }
}

/// One arrow, with where it comes from.
#[derive(Debug, Clone)]
struct Arrow {
    from: Node,
    to: Node,
    /// `file: path`, for the failure message.
    site: String,
}

/// A module and the items of its own (its submodules' items are theirs).
struct Module {
    path: ModPath,
    file: String,
    items: Vec<syn::Item>,
}

/// The modules of a crate, read from `lib.rs` down.
struct Crate {
    modules: Vec<Module>,
    known: BTreeSet<ModPath>,
}

fn show(p: &[String]) -> String {
    if p.is_empty() { "crate".into() } else { p.join("::") }
}

impl Crate {
    /// Read the crate whose `lib.rs` `read` returns (`read` maps a path relative to src/, such
    /// as `swarm/mod.rs`, to its text).
    fn load(read: &dyn Fn(&str) -> Option<String>) -> Result<Crate, String> {
        let mut c = Crate { modules: Vec::new(), known: BTreeSet::new() };
        let text = read("lib.rs").ok_or("no lib.rs")?;
        let file = syn::parse_file(&text).map_err(|e| format!("lib.rs: {e}"))?;
        c.add(read, Vec::new(), "lib.rs", "", file.items)?;
        Ok(c)
    }

    /// Add module `path` (its items from `file`); its `mod x;` children are in `dir`.
    fn add(
        &mut self,
        read: &dyn Fn(&str) -> Option<String>,
        path: ModPath,
        file: &str,
        dir: &str,
        items: Vec<syn::Item>,
    ) -> Result<(), String> {
        let mut own = Vec::new();
        for item in items {
            let syn::Item::Mod(m) = item else {
                own.push(item);
                continue;
            };
            let name = m.ident.to_string();
            let mut child = path.clone();
            child.push(name.clone());
            let sub = if dir.is_empty() { name.clone() } else { format!("{dir}/{name}") };
            match m.content {
                Some((_, items)) => self.add(read, child, file, &sub, items)?,
                None => {
                    let (f, text) = [format!("{sub}.rs"), format!("{sub}/mod.rs")]
                        .into_iter()
                        .find_map(|f| read(&f).map(|t| (f, t)))
                        .ok_or_else(|| format!("{file}: no file for `mod {name}`"))?;
                    let parsed = syn::parse_file(&text).map_err(|e| format!("{f}: {e}"))?;
                    self.add(read, child, &f, &sub, parsed.items)?;
                }
            }
        }
        self.known.insert(path.clone());
        self.modules.push(Module { path, file: file.to_owned(), items: own });
        Ok(())
    }

    /// Every arrow, by level (the module whose children, and own file, it connects).
    fn arrows(&self) -> BTreeMap<ModPath, Vec<Arrow>> {
        let mut out: BTreeMap<ModPath, Vec<Arrow>> = BTreeMap::new();
        for m in &self.modules {
            let mut v = Paths { here: &m.path, known: &self.known, found: Vec::new() };
            for item in &m.items {
                v.visit_item(item);
            }
            for (segs, target) in v.found {
                let common = m.path.iter().zip(&target).take_while(|(a, b)| a == b).count();
                let node = |p: &ModPath| match p.get(common) {
                    None => Node::Own,
                    Some(c) => Node::Child(c.clone()),
                };
                let (from, to) = (node(&m.path), node(&target));
                if from != to {
                    let site = format!("{}: {}", m.file, segs.join("::"));
                    out.entry(m.path[..common].to_vec()).or_default().push(Arrow {
                        from,
                        to,
                        site,
                    });
                }
            }
        }
        out
    }

    /// The child modules of `level`.
    fn children(&self, level: &[String]) -> BTreeSet<String> {
        self.known
            .iter()
            .filter(|p| p.len() == level.len() + 1 && p.starts_with(level))
            .map(|p| p[level.len()].clone())
            .collect()
    }
}

/// Collects the crate paths of one module's items, resolved to the module they name.
struct Paths<'a> {
    here: &'a ModPath,
    known: &'a BTreeSet<ModPath>,
    /// (the path as written, the module it lands in)
    found: Vec<(Vec<String>, ModPath)>,
}

impl Paths<'_> {
    fn push(&mut self, segs: Vec<String>) {
        let Some(first) = segs.first() else { return };
        // Where the path starts, and from which segment on it walks from there.
        let (mut abs, rest) = match first.as_str() {
            "crate" => (Vec::new(), &segs[1..]),
            "self" => (self.here.clone(), &segs[1..]),
            // `super` is walked below, like a `super` further on.
            "super" => (self.here.clone(), &segs[..]),
            // A path that starts with a child module's name (`shard::run` in swarm/mod.rs).
            name if segs.len() > 1 && self.known.contains(&child(self.here, name)) => {
                (self.here.clone(), &segs[..])
            }
            _ => return,
        };
        for s in rest {
            match s.as_str() {
                "super" => {
                    abs.pop();
                }
                "self" => {}
                _ => abs.push(s.clone()),
            }
        }
        // The module it lands in: the longest known prefix (`behaviour::Rng` -> behaviour).
        while !abs.is_empty() && !self.known.contains(&abs) {
            abs.pop();
        }
        self.found.push((segs, abs));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, t: &syn::UseTree) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut segs = prefix.clone();
                segs.push(n.ident.to_string());
                self.push(segs);
            }
            syn::UseTree::Rename(r) => {
                let mut segs = prefix.clone();
                segs.push(r.ident.to_string());
                self.push(segs);
            }
            syn::UseTree::Glob(_) => self.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// Paths inside a macro's tokens: `a::b::c` runs of identifiers.
    fn tokens(&mut self, ts: TokenStream) {
        let tt: Vec<TokenTree> = ts.into_iter().collect();
        let colons = |i: usize| {
            matches!((tt.get(i), tt.get(i + 1)),
                (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                    if a.as_char() == ':' && b.as_char() == ':')
        };
        let mut i = 0;
        while i < tt.len() {
            match &tt[i] {
                TokenTree::Group(g) => self.tokens(g.stream()),
                TokenTree::Ident(id) => {
                    let mut segs = vec![id.to_string()];
                    while colons(i + 1) {
                        let Some(TokenTree::Ident(next)) = tt.get(i + 3) else { break };
                        segs.push(next.to_string());
                        i += 3;
                    }
                    if segs.len() > 1 {
                        self.push(segs);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn child(p: &[String], name: &str) -> ModPath {
    let mut c = p.to_vec();
    c.push(name.to_owned());
    c
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Inline modules are modules of their own (`Crate::add`).
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {
        // `pub(crate)`, `pub(super)`, `pub(in crate::x)` say who may see an item, not what
        // it uses.
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        // A one-segment path is a local name (or `self`, the receiver).
        if p.segments.len() > 1 {
            self.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        syn::visit::visit_macro(self, m);
        self.tokens(m.tokens.clone());
    }
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn cycles(arrows: &[Arrow]) -> Vec<BTreeSet<Node>> {
    let mut next: BTreeMap<&Node, BTreeSet<&Node>> = BTreeMap::new();
    for a in arrows {
        next.entry(&a.from).or_default().insert(&a.to);
        next.entry(&a.to).or_default();
    }
    struct State<'n> {
        next: BTreeMap<&'n Node, BTreeSet<&'n Node>>,
        index: BTreeMap<&'n Node, (usize, usize)>,
        stack: Vec<&'n Node>,
        on_stack: BTreeSet<&'n Node>,
        out: Vec<BTreeSet<Node>>,
    }
    fn visit<'n>(s: &mut State<'n>, v: &'n Node) {
        let i = s.index.len();
        s.index.insert(v, (i, i));
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.next[v].clone() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.index[w].1.min(s.index[v].1);
                s.index.get_mut(v).expect("visited").1 = low;
            } else if s.on_stack.contains(w) {
                let low = s.index[w].0.min(s.index[v].1);
                s.index.get_mut(v).expect("visited").1 = low;
            }
        }
        if s.index[v].0 == s.index[v].1 {
            let mut scc = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.insert(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                s.out.push(scc);
            }
        }
    }
    let nodes: Vec<&Node> = next.keys().copied().collect();
    let mut s = State {
        next,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Everything wrong with a crate: cycles at any level, arrows against the given layer
/// tables, and modules the tables do not list.
fn problems(c: &Crate, layers: &[(ModPath, &[&[&str]])]) -> Vec<String> {
    let mut out = Vec::new();
    let arrows = c.arrows();
    for (level, arrows) in &arrows {
        for scc in cycles(arrows) {
            let names: Vec<String> = scc.iter().map(Node::to_string).collect();
            out.push(format!("cycle in {}: {}", show(level), names.join(", ")));
            let mut inside: BTreeMap<(&Node, &Node), Vec<&str>> = BTreeMap::new();
            for a in arrows.iter().filter(|a| scc.contains(&a.from) && scc.contains(&a.to)) {
                inside.entry((&a.from, &a.to)).or_default().push(&a.site);
            }
            for ((from, to), sites) in inside {
                out.push(format!("    {from} -> {to}   ({})", sites.join("; ")));
            }
        }
    }
    for (level, table) in layers {
        let rank = |n: &Node| match n {
            Node::Own => Some(usize::MAX),
            Node::Child(c) => table.iter().position(|l| l.contains(&c.as_str())),
        };
        let listed: BTreeSet<String> =
            table.iter().flat_map(|l| l.iter()).map(|s| (*s).into()).collect();
        let present = c.children(level);
        for m in present.difference(&listed) {
            out.push(format!("{}::{m} is in no layer of the table", show(level)));
        }
        for m in listed.difference(&present) {
            out.push(format!("the layer table of {} lists {m}, which is gone", show(level)));
        }
        for a in arrows.get(level).into_iter().flatten() {
            if let (Some(from), Some(to)) = (rank(&a.from), rank(&a.to)) {
                if to > from || (to == usize::MAX && from != usize::MAX) {
                    out.push(format!(
                        "in {}: {} -> {} points up the layers   ({})",
                        show(level),
                        a.from,
                        a.to,
                        a.site
                    ));
                }
            }
        }
    }
    out
}

fn bots_layers() -> Vec<(ModPath, &'static [&'static [&'static str]])> {
    vec![(Vec::new(), CRATE_LAYERS), (vec!["swarm".into()], SWARM_LAYERS)]
}

#[test]
fn the_bots_crate_has_no_cycles_and_keeps_its_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let c = Crate::load(&|f| std::fs::read_to_string(src.join(f)).ok()).expect("bots/src parses");
    assert!(c.known.contains(&vec!["swarm".to_owned()]), "the swarm module is read");
    assert!(c.known.len() > 20, "every module is read: {:?}", c.known);
    let problems = problems(&c, &bots_layers());
    assert!(problems.is_empty(), "the bots crate's layers are broken:\n{}", problems.join("\n"));
}

// The checker itself, on small crates written here: each problem it must find.

fn mini(files: &[(&str, &str)]) -> Vec<String> {
    let files: BTreeMap<String, String> =
        files.iter().map(|(f, t)| ((*f).to_owned(), (*t).to_owned())).collect();
    let c = Crate::load(&|f| files.get(f).cloned()).expect("mini crate parses");
    problems(&c, &[])
}

#[test]
fn a_cycle_between_siblings_is_found_in_use_trees_and_in_code() {
    let ok = [
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::{B, self as bee};"),
        ("b.rs", "pub struct B;"),
    ];
    assert_eq!(mini(&ok), Vec::<String>::new());
    let back = [ok[0], ok[1], ("b.rs", "pub struct B; fn f() { let _ = super::a::A; }")];
    let p = mini(&back);
    assert_eq!(p[0], "cycle in crate: a, b", "{p:?}");
    assert!(p.iter().any(|l| l.contains("b -> a") && l.contains("super::a::A")), "{p:?}");
}

#[test]
fn importing_through_a_facade_that_reexports_you_is_a_cycle() {
    let p = mini(&[
        ("lib.rs", "mod x; pub use x::X; pub struct R;"),
        ("x/mod.rs", "mod y; pub struct X;"),
        ("x/y.rs", "use crate::R;"),
    ]);
    assert_eq!(p[0], "cycle in crate: (own), x", "{p:?}");
}

#[test]
fn macro_bodies_inline_modules_and_child_relative_paths_count() {
    let p = mini(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "fn f() { tokio::select! { x = crate::b::g() => {} } }"),
        ("b.rs", "pub fn g() {} #[cfg(test)] mod tests { use crate::a::f; }"),
    ]);
    assert_eq!(p[0], "cycle in crate: a, b", "{p:?}");
    let p = mini(&[
        ("lib.rs", "mod m; fn f() { m::n::g(); }"),
        ("m/mod.rs", "pub mod n; pub(crate) fn h() {}"),
        ("m/n.rs", "pub fn g() { super::super::f(); }"),
    ]);
    assert_eq!(p[0], "cycle in crate: (own), m", "{p:?}");
}

#[test]
fn an_arrow_up_the_layers_or_into_the_facade_is_refused() {
    let files: BTreeMap<String, String> = [
        ("lib.rs", "mod low; mod high; pub use high::H;"),
        ("low.rs", "use crate::high::H;"),
        ("high.rs", "pub struct H; use crate::H as _;"),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_owned(), t.to_owned()))
    .collect();
    let c = Crate::load(&|f| files.get(f).cloned()).unwrap();
    let table: &[&[&str]] = &[&["low"], &["high"], &["gone"]];
    let p = problems(&c, &[(Vec::new(), table)]);
    assert!(p.iter().any(|l| l.starts_with("in crate: low -> high points up")), "{p:?}");
    assert!(p.iter().any(|l| l.starts_with("in crate: high -> (own) points up")), "{p:?}");
    assert!(p.iter().any(|l| l.contains("lists gone")), "{p:?}");
}
