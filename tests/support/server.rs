//! A small HTTP/1.1 server on 127.0.0.1 that imitates Copernica's import
//! endpoint and injects faults from a script. It records every request,
//! reads with timeouts, and stops when dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with the next request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answer with a status, headers and body, after a delay.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        delay: Duration,
    },
    /// Read the request, then close the connection without answering.
    Close,
}

impl Action {
    pub fn status(status: u16, body: &str) -> Action {
        Action::Respond {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether a success was sent back for it.
    pub accepted: bool,
}

pub struct Server {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Request>>>,
    script: Arc<Mutex<VecDeque<Action>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server; requests beyond the script get the default answers:
    /// POST -> 201 with `X-Created: <id>`; GET /v3/import/<id> -> finished.
    pub fn start(script: Vec<Action>) -> Server {
        Server::start_with(script, |_, _| None)
    }

    /// Starts a server whose answers beyond the script come from `router`
    /// (method, target) first, then the defaults.
    pub fn start_with(
        script: Vec<Action>,
        router: impl Fn(&str, &str) -> Option<Action> + Send + Sync + 'static,
    ) -> Server {
        let router: Router = Arc::new(router);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let stop = Arc::new(AtomicBool::new(false));
        let ids = Arc::new(AtomicU64::new(100));
        let (l2, s2, st2) = (log.clone(), script.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (l, s, i, r) = (l2.clone(), s2.clone(), ids.clone(), router.clone());
                std::thread::spawn(move || serve(conn, l, s, i, r));
            }
        });
        Server {
            addr,
            log,
            script,
            stop,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}/v3", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub fn push(&self, a: Action) {
        self.script.lock().unwrap().push_back(a);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

type Router = Arc<dyn Fn(&str, &str) -> Option<Action> + Send + Sync>;

fn serve(
    conn: TcpStream,
    log: Arc<Mutex<Vec<Request>>>,
    script: Arc<Mutex<VecDeque<Action>>>,
    ids: Arc<AtomicU64>,
    router: Router,
) {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    // Several requests per connection (the client keeps connections alive).
    for _ in 0..1000 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let action = script
            .lock()
            .unwrap()
            .pop_front()
            .or_else(|| router(&method, &target))
            .unwrap_or_else(|| default_action(&method, &target, &ids));
        let index = {
            let mut log = log.lock().unwrap();
            log.push(Request {
                method,
                target,
                headers,
                body,
                accepted: false,
            });
            log.len() - 1
        };
        match action {
            Action::Close => return,
            Action::Respond {
                status,
                headers,
                body,
                delay,
            } => {
                std::thread::sleep(delay);
                let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in &headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                if writer.write_all(out.as_bytes()).is_err() {
                    return;
                }
                if (200..300).contains(&status) {
                    log.lock().unwrap()[index].accepted = true;
                }
            }
        }
    }
}

fn default_action(method: &str, target: &str, ids: &AtomicU64) -> Action {
    if method == "POST" {
        let id = ids.fetch_add(1, Ordering::Relaxed);
        return Action::Respond {
            status: 201,
            headers: vec![("X-Created".into(), id.to_string())],
            body: String::new(),
            delay: Duration::ZERO,
        };
    }
    let _ = target;
    Action::status(
        200,
        r#"{"ID":"1","status":"finished","totallines":"3","processedlines":"3","lasterror":false}"#,
    )
}
