//! How far the inputs of a `delta_apply` corpus get: base snapshot decoded (and its size),
//! delta decoded, apply accepted or refused (by reason).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example delta_stats -- fuzz/corpus-run/delta_apply`
//! For a `delta_structured` corpus, put `--structured` first.

use arbitrary::{Arbitrary, Unstructured};
use std::collections::BTreeMap;
use tickwave_fuzz::delta::Case;
use tickwave_protocol::{Delta, ServerMessage, WorldView, decode_server};

fn main() -> std::io::Result<()> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut bump = |k: &str| *counts.entry(k.to_owned()).or_default() += 1;
    let (mut max_base, mut max_added, mut max_changed) = (0, 0, 0);
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let structured = args.first().is_some_and(|a| a == "--structured");
    if structured {
        args.remove(0);
    }
    for dir in args {
        for entry in std::fs::read_dir(dir)? {
            let mut data = std::fs::read(entry?.path())?;
            bump("inputs");
            if structured {
                // the same bytes as libfuzzer-sys hands the target: `Case::arbitrary_take_rest`
                let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(&data)) else {
                    bump("not a case");
                    continue;
                };
                let (snap, delta) = case.messages();
                data = (snap.len() as u16).to_le_bytes().to_vec();
                data.extend(snap);
                data.extend(delta);
            }
            let (snap, rest) = if data.len() < 2 {
                (&[][..], &data[..])
            } else {
                let rest = &data[2..];
                let n = usize::from(u16::from_le_bytes([data[0], data[1]])) % (rest.len() + 1);
                rest.split_at(n)
            };
            let base = match decode_server(snap) {
                Ok(ServerMessage::Snapshot(s)) => {
                    bump("base: snapshot decoded");
                    if !s.entities.is_empty() {
                        bump("base: snapshot with entities");
                    }
                    max_base = max_base.max(s.entities.len());
                    s.entities
                }
                _ => WorldView::new(),
            };
            let Ok(ServerMessage::Delta(d)) = decode_server(rest) else {
                bump("delta: not decoded");
                continue;
            };
            bump("delta: decoded");
            max_added = max_added.max(d.added.len());
            max_changed = max_changed.max(d.changed.len());
            let delta = Delta { added: d.added, changed: d.changed, removed: d.removed };
            let mut v = base.clone();
            match v.apply(&delta) {
                Ok(()) if !delta.changed.is_empty() && !base.is_empty() => {
                    bump("apply: ok, with changes on a non-empty base")
                }
                Ok(()) => bump("apply: ok"),
                Err(e) => {
                    let s = format!("{e:?}");
                    bump(&format!("apply: refused {}", s.split([' ', '(', '{']).next().unwrap()));
                }
            }
        }
    }
    for (k, n) in &counts {
        println!("{n:7}  {k}");
    }
    println!("largest base {max_base}, most added {max_added}, most changed {max_changed}");
    Ok(())
}
