//! Issue 7: player authentication with signed tokens over real wss.

mod common;

use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use tickwave::{AuthMode, TokenVerifier};
use tickwave_protocol::{ClientMessage, ErrorCode, Hello, ServerMessage, close};

const SECRET: &[u8] = b"studio-backend-shared-secret-0123456789";

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn token(claims: serde_json::Value) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn hello(token: Option<String>) -> ClientMessage {
    ClientMessage::Hello(Hello {
        protocol: 1,
        name: "claimed".into(),
        token,
        resume: None,
        last_tick: None,
        reservation: None,
    })
}

async fn token_server() -> TestServer {
    start_with(|c| {
        c.auth = AuthMode::Token(Box::new(TokenVerifier::hs256(SECRET, "tickwave").unwrap()));
    })
    .await
}

async fn refused_with(s: &TestServer, msg: ClientMessage, code: ErrorCode) {
    let mut c = s.connect().await;
    c.send(&msg).await.unwrap();
    match c.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Error { code: got, fatal: true, .. } => assert_eq!(got, code),
        other => panic!("expected {code}, got {other:?}"),
    }
    assert_eq!(c.closed(5 * SEC).await.unwrap().map(|c| c.0), Some(close::POLICY_VIOLATION));
}

#[tokio::test]
async fn token_mode_refuses_missing_bad_and_expired_tokens() {
    let s = token_server().await;
    refused_with(&s, hello(None), ErrorCode::AuthRequired).await;
    refused_with(&s, hello(Some("not-a-jwt".into())), ErrorCode::AuthInvalid).await;
    let wrong_aud = token(serde_json::json!({"sub":"p1","exp":now()+60,"aud":"someone-else"}));
    refused_with(&s, hello(Some(wrong_aud)), ErrorCode::AuthInvalid).await;
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &serde_json::json!({"sub":"p1","exp":now()+60,"aud":"tickwave"}),
        &EncodingKey::from_secret(b"not-the-studio-secret-at-all-000000"),
    )
    .unwrap();
    refused_with(&s, hello(Some(forged)), ErrorCode::AuthInvalid).await;
    let expired = token(serde_json::json!({"sub":"p1","exp":now()-300,"aud":"tickwave"}));
    refused_with(&s, hello(Some(expired)), ErrorCode::AuthExpired).await;
}

#[tokio::test]
async fn a_valid_token_names_the_player() {
    let s = token_server().await;
    let t = token(
        serde_json::json!({"sub":"acct-7","name":"Grace","skill":2100.0,"exp":now()+60,"aud":"tickwave"}),
    );
    let mut c = s.connect().await;
    c.send(&hello(Some(t))).await.unwrap();
    let w = match c.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Welcome(w) => w,
        other => panic!("{other:?}"),
    };
    // the admin API shows the account and the name from the token, not the one in hello
    let (_, v) =
        s.admin("GET", &format!("/admin/sessions/{}", w.session), Some(VIEWER), None).await;
    assert_eq!((v["account"].as_str(), v["name"].as_str()), (Some("acct-7"), Some("Grace")));
    // another account cannot use this player's resume token
    let other = token(serde_json::json!({"sub":"acct-8","exp":now()+60,"aud":"tickwave"}));
    let mut thief = s.connect().await;
    thief
        .send(&ClientMessage::Hello(Hello {
            protocol: 1,
            name: "x".into(),
            token: Some(other),
            resume: w.resume.clone(),
            last_tick: None,
            reservation: None,
        }))
        .await
        .unwrap();
    match thief.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::ResumeInvalid),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn guest_mode_ignores_tokens() {
    let s = start().await;
    let mut c = s.connect().await;
    c.send(&hello(Some("anything".into()))).await.unwrap();
    assert!(matches!(c.recv_timeout(5 * SEC).await.unwrap(), ServerMessage::Welcome(_)));
}
