//! A webhook receiver on loopback for the notification tests: a real axum server that records
//! every request (path, signature, idempotency key, body) and answers with a status the test
//! sets; it can be stopped (connections refused) and started again on the same port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::task::JoinHandle;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub signature: Option<String>,
    pub key: Option<String>,
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Clone)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
}

/// The receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    server: Option<JoinHandle<()>>,
}

async fn record(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (
    StatusCode,
    [(axum::http::header::HeaderName, &'static str); 1],
) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    shared.got.lock().unwrap().push(Received {
        path,
        signature: header("x-oddswatch-signature"),
        key: header("idempotency-key"),
        body: body.to_vec(),
        at: chrono::Utc::now(),
    });
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    // Close every connection after its answer: a stopped receiver must refuse the next
    // request, not serve it on a kept-alive connection.
    (
        StatusCode::from_u16(shared.status.load(Ordering::SeqCst)).unwrap(),
        [(axum::http::header::CONNECTION, "close")],
    )
}

impl Receiver {
    /// Starts on a free loopback port, answering 200.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Shared {
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            delay_ms: Arc::default(),
        };
        let mut receiver = Receiver {
            addr,
            shared,
            server: None,
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/{*path}", post(record))
            .with_state(self.shared.clone());
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Answers every request with `status` from now on.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Takes `ms` to answer each request from now on (it is recorded on arrival).
    pub fn slow(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Stops listening: connections are refused until [`Receiver::restart`].
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }
}
