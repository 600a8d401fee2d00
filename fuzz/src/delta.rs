//! Structured `snapshot` + `delta` messages for the `delta_structured` target: entities and
//! changes from `arbitrary`, written as MessagePack by hand (so that a change's mask and values
//! need not agree, and an entity may have more than `MAX_FIELDS` fields), then decoded by
//! `decode_server` like any message from a server.

use crate::bomb::write_str;
use arbitrary::Arbitrary;
use tickwave_protocol::MAX_FIELDS;

/// Ids come from a small space so that adds meet existing entities; 255 stands for `u32::MAX`.
fn id(raw: u8) -> u32 {
    if raw == u8::MAX { u32::MAX } else { u32::from(raw % 64) }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct RawEntity {
    pub id: u8,
    pub kind: u8,
    pub fields: Vec<i32>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct RawChange {
    pub id: u8,
    pub mask: u8,
    pub values: Vec<i32>,
}

/// A base state and a delta against it.
#[derive(Arbitrary, Debug, Clone)]
pub struct Case {
    pub base: Vec<RawEntity>,
    pub added: Vec<RawEntity>,
    pub changed: Vec<RawChange>,
    pub removed: Vec<u8>,
    /// When set, the messages are made well-formed: base ids distinct, at most `MAX_FIELDS`
    /// fields, as many values as mask bits. Both messages must then decode.
    pub well_formed: bool,
}

fn uint(out: &mut Vec<u8>, v: u64) {
    if v < 128 {
        out.push(v as u8);
    } else {
        out.push(0xcf);
        out.extend(v.to_be_bytes());
    }
}

fn int(out: &mut Vec<u8>, v: i32) {
    out.push(0xd2);
    out.extend(v.to_be_bytes());
}

fn array(out: &mut Vec<u8>, n: usize) {
    crate::bomb::Header::new(crate::bomb::Kind::Array, n as u32).write(out);
}

fn triple(out: &mut Vec<u8>, a: u32, b: u8, vals: &[i32]) {
    array(out, 3);
    uint(out, a.into());
    uint(out, b.into());
    array(out, vals.len());
    for v in vals {
        int(out, *v);
    }
}

const MAX_ITEMS: usize = 64;

impl Case {
    fn entities(&self, list: &[RawEntity], dedup: bool) -> Vec<(u32, u8, Vec<i32>)> {
        let mut out: Vec<(u32, u8, Vec<i32>)> = Vec::new();
        for e in list.iter().take(MAX_ITEMS) {
            let mut f = e.fields.clone();
            f.truncate(if self.well_formed { MAX_FIELDS } else { MAX_FIELDS + 2 });
            if dedup && out.iter().any(|x| x.0 == id(e.id)) {
                continue;
            }
            out.push((id(e.id), e.kind, f));
        }
        out
    }

    /// `(snapshot message, delta message)`.
    pub fn messages(&self) -> (Vec<u8>, Vec<u8>) {
        let mut snap = vec![0x84];
        write_str(&mut snap, "type");
        write_str(&mut snap, "snapshot");
        write_str(&mut snap, "tick");
        uint(&mut snap, 100);
        write_str(&mut snap, "acks");
        snap.push(0x80);
        write_str(&mut snap, "entities");
        let base = self.entities(&self.base, self.well_formed);
        array(&mut snap, base.len());
        for (i, k, f) in &base {
            triple(&mut snap, *i, *k, f);
        }

        let mut delta = vec![0x87];
        write_str(&mut delta, "type");
        write_str(&mut delta, "delta");
        write_str(&mut delta, "tick");
        uint(&mut delta, 101);
        write_str(&mut delta, "base");
        uint(&mut delta, 100);
        write_str(&mut delta, "acks");
        delta.push(0x80);
        write_str(&mut delta, "added");
        let added = self.entities(&self.added, false);
        array(&mut delta, added.len());
        for (i, k, f) in &added {
            triple(&mut delta, *i, *k, f);
        }
        // Changes and removals mostly name base entities (by index), so that deltas apply.
        let pick = |raw: u8| match base.len() {
            n if n > 0 && raw < 192 => base[usize::from(raw) % n].0,
            _ => id(raw),
        };
        write_str(&mut delta, "changed");
        let mut changed: Vec<&RawChange> = self.changed.iter().take(MAX_ITEMS).collect();
        if self.well_formed {
            let mut seen = Vec::new();
            changed.retain(|c| {
                let fresh = !seen.contains(&pick(c.id));
                seen.push(pick(c.id));
                fresh
            });
        }
        array(&mut delta, changed.len());
        for c in changed {
            let (target, mut mask, mut v) = (pick(c.id), c.mask, c.values.clone());
            if self.well_formed {
                // only fields the entity has
                if let Some((_, _, f)) = base.iter().find(|e| e.0 == target) {
                    mask &= ((1u16 << f.len()) - 1) as u8;
                }
                v.resize(mask.count_ones() as usize, 0);
            } else {
                v.truncate(MAX_FIELDS + 2);
            }
            triple(&mut delta, target, mask, &v);
        }
        write_str(&mut delta, "removed");
        let removed: Vec<u8> = self.removed.iter().take(MAX_ITEMS).copied().collect();
        array(&mut delta, removed.len());
        for r in removed {
            uint(&mut delta, pick(r).into());
        }
        (snap, delta)
    }
}
