//! The three commands: write the golden files, verify them, and check the SDK's encodings.

use crate::cases::{client_cases, server_cases};
use crate::names::{all_error_codes, client_type, server_type};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use tickwave_protocol::{
    CLIENT_TYPES, PROTOCOL_VERSION, SERVER_TYPES, ServerMessage, decode_client, decode_server,
    encode_client, encode_delta, encode_server, encode_snapshot,
};

/// Every file `write` produces, by file name.
fn generate() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut server = Vec::new();
    for (name, msg) in server_cases() {
        let bytes = encode_server(&msg).to_vec();
        assert_eq!(decode_server(&bytes).expect("own bytes decode"), msg, "{name}");
        // The hot-path encoders must produce the same bytes as the generic one.
        match &msg {
            ServerMessage::Snapshot(s) => {
                assert_eq!(encode_snapshot(s.tick, &s.acks, &s.entities).to_vec(), bytes, "{name}");
            }
            ServerMessage::Delta(d) => {
                let delta = tickwave_protocol::Delta {
                    added: d.added.clone(),
                    changed: d.changed.clone(),
                    removed: d.removed.clone(),
                };
                assert_eq!(encode_delta(d.tick, d.base, &d.acks, &delta).to_vec(), bytes, "{name}");
            }
            _ => {}
        }
        let file = format!("server.{name}.bin");
        server.push(json!({
            "name": name,
            "type": server_type(&msg),
            "file": file,
            "value": serde_json::to_value(&msg).expect("json"),
        }));
        files.insert(file, bytes);
    }
    let mut client = Vec::new();
    for c in client_cases() {
        let bytes = encode_client(&c.msg).to_vec();
        assert_eq!(decode_client(&bytes).expect("own bytes decode"), c.msg, "{}", c.name);
        let file = format!("client.{}.bin", c.name);
        let mut entry = json!({
            "name": c.name,
            "type": client_type(&c.msg),
            "file": file,
            "value": serde_json::to_value(&c.msg).expect("json"),
            "sdk_bytes_equal": c.sdk_bytes_equal,
        });
        if !c.note.is_empty() {
            entry["note"] = Value::from(c.note);
        }
        client.push(entry);
        files.insert(file, bytes);
    }
    for t in SERVER_TYPES {
        assert!(server.iter().any(|c| c["type"] == *t), "no golden case for server type {t}");
    }
    for t in CLIENT_TYPES {
        assert!(client.iter().any(|c| c["type"] == *t), "no golden case for client type {t}");
    }
    let codes: Vec<Value> = all_error_codes()
        .into_iter()
        .map(|c| json!({"code": c.as_str(), "fatal": c.close_code().is_some(), "close": c.close_code()}))
        .collect();
    let v2 = crate::v2::generate(&mut files);
    let manifest = json!({
        "about": "Written by protocol/ts/golden-gen from the tickwave-protocol crate; do not edit. \
                  Regenerate with tests/sdk.sh --regen-golden.",
        "protocol": PROTOCOL_VERSION,
        "server_types": SERVER_TYPES,
        "client_types": CLIENT_TYPES,
        "error_codes": codes,
        "server": server,
        "client": client,
        "v2": v2,
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("json");
    text.push('\n');
    files.insert("manifest.json".into(), text.into_bytes());
    files
}

pub(crate) fn write(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, bytes) in generate() {
        std::fs::write(dir.join(&name), bytes).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

pub(crate) fn verify(dir: &Path) -> Result<(), String> {
    let want = generate();
    let mut problems = Vec::new();
    for (name, bytes) in &want {
        match std::fs::read(dir.join(name)) {
            Ok(have) if &have == bytes => {}
            Ok(_) => problems.push(format!("{name} differs from what the protocol crate writes")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if !want.contains_key(&name) {
            problems.push(format!("{name} is not written by the generator (stale?)"));
        }
    }
    if problems.is_empty() {
        println!(
            "golden files in {} match the protocol crate ({} files)",
            dir.display(),
            want.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{}\nthe Rust protocol changed: regenerate with `tests/sdk.sh --regen-golden`, then \
             update the SDK until its tests pass",
            problems.join("\n")
        ))
    }
}

pub(crate) fn check_sdk(dir: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let cases = client_cases();
    for c in &cases {
        let path = dir.join(format!("client.{}.bin", c.name));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("{}: {e} (did the SDK test write it?)", path.display()));
                continue;
            }
        };
        match decode_client(&bytes) {
            Ok(m) if m == c.msg => {}
            Ok(m) => problems.push(format!("{}: SDK sent {m:?}, expected {:?}", c.name, c.msg)),
            Err(e) => {
                problems.push(format!("{}: the server would refuse the SDK's bytes: {e}", c.name))
            }
        }
        if c.sdk_bytes_equal && bytes != encode_client(&c.msg).to_vec() {
            problems.push(format!(
                "{}: SDK bytes {} differ from the crate's {}",
                c.name,
                hex(&bytes),
                hex(&encode_client(&c.msg))
            ));
        }
    }
    crate::v2::check_sdk(dir, &mut problems);
    if problems.is_empty() {
        println!(
            "the protocol crate decodes all {} SDK client encodings (and the v2 input and command) as expected",
            cases.len()
        );
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}
