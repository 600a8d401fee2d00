//! Plain reproducer of the `length_bombs` property, without libFuzzer: every decoder, every
//! kind of length-prefixed MessagePack value, claiming huge lengths with few bytes after them,
//! bare, as a message field and nested. Prints the largest single allocation and the peak of
//! live bytes per shape, and fails if any single allocation exceeds `64 * len + 4096`.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml --test length_bombs -- --nocapture`

use tickwave_fuzz::bomb::{Bomb, Decoder, Header, KEYS, Kind, Place, TYPES, decode_with};
use tickwave_fuzz::{AllocStats, CountingAlloc, alloc_limit, hex, measure};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn idx(list: &[&str], s: &str) -> u8 {
    list.iter().position(|x| *x == s).expect("listed") as u8
}

fn field(ty: &str, key: &str, map_claimed: Option<u32>) -> Place {
    Place::Field {
        ty: idx(TYPES, ty),
        type_first: true,
        before: vec![],
        key: idx(KEYS, key),
        map_claimed,
    }
}

fn shapes() -> Vec<(String, Bomb)> {
    let kinds = [Kind::Array, Kind::Map, Kind::Str, Kind::Bin, Kind::Ext];
    let mut out = Vec::new();
    for decoder in [Decoder::Client, Decoder::Server, Decoder::PeekType] {
        let (ty, key) = match decoder {
            Decoder::Server => ("snapshot", "entities"),
            _ => ("hello", "name"),
        };
        let places = [
            ("bare", Place::Bare),
            ("field", field(ty, key, None)),
            ("unknown field", field(ty, "x", None)),
        ];
        for (pname, place) in places {
            for kind in kinds {
                for claimed in [u32::MAX, 0xffff] {
                    let chain = vec![Header::new(kind, claimed)];
                    let name = format!("{decoder:?} {pname} {kind:?}({claimed})");
                    out.push((name, Bomb { decoder, place: place.clone(), chain, tail: vec![] }));
                }
            }
            // 16 nested arrays (the decoders' depth limit), each claiming u32::MAX elements
            let chain = vec![Header::new(Kind::Array, u32::MAX); 16];
            let name = format!("{decoder:?} {pname} 16 x Array({})", u32::MAX);
            out.push((name, Bomb { decoder, place: place.clone(), chain, tail: vec![0; 8] }));
        }
        // the message map itself claims u32::MAX entries
        let name = format!("{decoder:?} outer Map({}) + 1 field", u32::MAX);
        let place = field(ty, "x", Some(u32::MAX));
        let chain = vec![Header::new(Kind::Array, 0)];
        out.push((name, Bomb { decoder, place, chain, tail: vec![] }));
    }
    out
}

#[test]
fn no_allocation_in_proportion_to_a_claimed_length() {
    let mut failures = Vec::new();
    for (name, bomb) in shapes() {
        let bytes = bomb.bytes();
        let ((), stats): ((), AllocStats) = measure(|| decode_with(bomb.decoder, &bytes));
        let limit = alloc_limit(bytes.len());
        let verdict = if stats.largest > limit { "FAIL" } else { "ok" };
        println!(
            "{verdict:4} {name:44} len {:3} largest {:8} peak live {:9} allocs {:3}  {}",
            bytes.len(),
            stats.largest,
            stats.peak_live,
            stats.count,
            hex(&bytes)
        );
        if stats.largest > limit {
            failures.push(format!("{name}: {} > {limit} ({})", stats.largest, hex(&bytes)));
        }
    }
    assert!(failures.is_empty(), "allocations over 64 * len + 4096:\n{}", failures.join("\n"));
}

/// The smallest reproducer of the original finding: `{"type": "hello", "x": [<u32::MAX>]}`.
#[test]
fn hello_with_an_array32_bomb_in_an_unknown_field() {
    let bytes = b"\x82\xa4type\xa5hello\xa1x\xdd\xff\xff\xff\xff";
    let (r, stats) = measure(|| tickwave_protocol::decode_client(bytes).map(drop));
    assert!(r.is_err());
    assert!(
        stats.largest <= alloc_limit(bytes.len()),
        "decode_client allocated {} bytes at once for {} input bytes",
        stats.largest,
        bytes.len()
    );
}
