//! The API on a real server for tests: an ephemeral loopback port, a change poller on the
//! store (so the stream works), and the OpenAPI document to check answers against.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use oddswatch::api::{ApiState, ConnectionLimits, bind, serve_with};
use oddswatch::live::{ChangeFeed, spawn_poller};
use oddswatch::service::AlertService;
use oddswatch::store::Store;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::contract::Contract;

/// How to start a [`TestServer`]; `Default` is a plain server for user "desk".
#[derive(Default)]
pub struct Options {
    /// The bearer token the API requires (and then binds as if configured for it).
    pub token: Option<String>,
    /// Connection limits (the production defaults unless set).
    pub limits: ConnectionLimits,
    /// The service to serve (a clock-fixed one for golden answers); `AlertService::new(store,
    /// "desk")` when `None`.
    pub service: Option<AlertService>,
}

/// A running API server; stopped (and its poller aborted) when dropped.
pub struct TestServer {
    /// Its address.
    pub addr: SocketAddr,
    /// `http://ADDR`.
    pub base: String,
    /// A client for it.
    pub client: reqwest::Client,
    /// The OpenAPI document the answers must match.
    pub contract: Contract,
    /// The change poller feeding the stream.
    pub poller: tokio::task::JoinHandle<()>,
    _stop: oneshot::Sender<()>,
}

impl TestServer {
    /// Sends a request (as `user`, with a JSON body when given) and returns the status and
    /// the JSON body, after checking the answer against the OpenAPI document.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        user: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(user) = user {
            request = request.header("X-Oddswatch-User", user);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response.bytes().await.unwrap();
        if let Err(e) = self.contract.check(
            method.as_str(),
            path,
            status,
            content_type.as_deref(),
            &bytes,
        ) {
            panic!("contract: {e}");
        }
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Starts the API on `store` with `options`.
pub async fn start(store: &Store, options: Options) -> TestServer {
    let feed = ChangeFeed::default();
    let poller = spawn_poller(store.clone(), feed.clone(), Duration::from_millis(50));
    let state = ApiState {
        service: options
            .service
            .unwrap_or_else(|| AlertService::new(store.clone(), "desk")),
        feed,
        status: None,
        token: options.token.clone(),
    };
    let (listener, addr) = bind("127.0.0.1:0".parse().unwrap(), options.token.is_some())
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_with(listener, state, options.limits, async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        contract: Contract::generated(),
        poller,
        _stop: stop,
    }
}

/// Starts a plain API on `store` (with `token`, if any).
pub async fn start_plain(store: &Store, token: Option<&str>) -> TestServer {
    let options = Options {
        token: token.map(str::to_string),
        ..Options::default()
    };
    start(store, options).await
}
