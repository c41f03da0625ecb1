//! The real login services under uvicorn, each in a virtual environment the tests build on first
//! use: `tests/interop/app.py` (FastAPI, SQLAlchemy, pwdlib, PyJWT from PyPI) and the passlib-era
//! `tests/interop/passlib/app.py` (passlib with bcrypt 4, python-jose), which cannot share one.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a cold `pip install` of the pinned packages may take.
const PIP_TIMEOUT_NOTE: &str = "pip needs PyPI to be reachable";
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Which login service to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// pwdlib with its Argon2 and bcrypt hashers, PyJWT (the full-stack template's way).
    Pwdlib,
    /// The same app with `PasswordHash.recommended()`: Argon2 only (the current tutorial).
    Argon2Only,
    /// passlib's bcrypt-only CryptContext and python-jose (the 2020 tutorial and the blog).
    Passlib,
    /// fastapi-users as its SQLAlchemy example sets it up (`tests/interop/fastapi_users`).
    FastapiUsers,
    /// The full-stack template's backend (`tests/interop/fastapi_template`), on PostgreSQL.
    FastapiTemplate,
    /// The FastAPI tutorial's "OAuth2 scopes" chapter (`tests/interop/scopes`), with the pwdlib
    /// service's packages.
    Scopes,
}

impl App {
    /// The folder of its `app.py` and `requirements.txt`.
    fn dir(self) -> PathBuf {
        match self {
            App::Pwdlib | App::Argon2Only => interop_dir(),
            App::Passlib => interop_dir().join("passlib"),
            App::FastapiUsers => interop_dir().join("fastapi_users"),
            App::FastapiTemplate => interop_dir().join("fastapi_template"),
            App::Scopes => interop_dir().join("scopes"),
        }
    }

    /// The folder of the `requirements.txt` its venv is built from.
    fn requirements_dir(self) -> PathBuf {
        match self {
            App::Scopes => App::Pwdlib.dir(),
            app => app.dir(),
        }
    }

    /// Where it logs in (the OAuth2 password form) and where it answers for the current user.
    pub fn routes(self) -> (&'static str, &'static str) {
        match self {
            App::FastapiUsers => ("/auth/jwt/login", "/users/me"),
            App::FastapiTemplate => ("/api/v1/login/access-token", "/api/v1/users/me"),
            App::Scopes => ("/token", "/users/me/"),
            _ => ("/token", "/users/me"),
        }
    }

    pub fn python(self) -> &'static Path {
        static PWDLIB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        static PASSLIB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        static FASTAPI_USERS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        static TEMPLATE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
        let (cell, name) = match self {
            App::Pwdlib | App::Argon2Only | App::Scopes => (&PWDLIB, "interop-venv"),
            App::Passlib => (&PASSLIB, "interop-venv-passlib"),
            App::FastapiUsers => (&FASTAPI_USERS, "interop-venv-fastapi-users"),
            App::FastapiTemplate => (&TEMPLATE, "interop-venv-fastapi-template"),
        };
        match cell
            .get_or_init(|| build_venv(&self.requirements_dir().join("requirements.txt"), name))
        {
            Ok(python) => python,
            Err(message) => panic!("{message}"),
        }
    }
}

/// The pwdlib venv's python (the helper's libraries are the service's own).
pub fn python() -> &'static Path {
    App::Pwdlib.python()
}

/// Builds a venv once per `target/` (and again when its requirements change).
///
/// Under nextest every test is its own process, so a `OnceLock` alone lets two processes
/// build at once and one replace the venv while another's service starts from it; an
/// exclusive lock on a file beside the venv makes the check and the build one step.
fn build_venv(requirements_file: &Path, name: &str) -> Result<PathBuf, String> {
    let requirements = std::fs::read_to_string(requirements_file).map_err(|e| e.to_string())?;
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let lock = std::fs::File::create(venv.with_file_name(format!("{name}.lock")))
        .map_err(|e| e.to_string())?;
    lock.lock().map_err(|e| e.to_string())?;
    let stamp = venv.join("authctl-requirements.txt");
    let python = venv.join("bin/python");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&requirements) {
        return Ok(python);
    }
    // Built beside, then renamed into place, so an interrupted build is never taken as done.
    let building = venv.with_file_name(format!("{name}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&building)
        .output();
    match created {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(format!(
                "the interop tests need python3 with its venv module (Debian: apt-get install python3-venv); \
                 `python3 -m venv` failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Err(e) => {
            return Err(format!(
                "the interop tests need python3 with its venv module (Debian: apt-get install python3 python3-venv): {e}"
            ));
        }
    }
    let installed = Command::new(building.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
        ])
        .arg(requirements_file)
        .output()
        .map_err(|e| e.to_string())?;
    if !installed.status.success() {
        return Err(format!(
            "installing the interop service's packages failed ({PIP_TIMEOUT_NOTE}):\n{}",
            String::from_utf8_lossy(&installed.stderr)
        ));
    }
    std::fs::write(building.join("authctl-requirements.txt"), &requirements)
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::rename(&building, &venv).map_err(|e| e.to_string())?;
    Ok(python)
}

/// Starts `tests/interop/helper.py` on one JSON request; its answer comes on stdout.
pub fn spawn_helper(request: &Value) -> Child {
    let mut child = Command::new(python())
        .arg(interop_dir().join("helper.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Dropped here: the helper reads to the end of its input.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).unwrap();
    child
}

/// Runs the helper on one JSON request and returns its JSON answer.
pub fn helper(request: &Value) -> Value {
    let out = spawn_helper(request).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "helper.py {request}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An HTTP answer of the service.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub www_authenticate: Option<String>,
}

/// A running service; stopped when dropped, whatever the test's outcome.
pub struct Service {
    child: Child,
    pub url: String,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
    app: App,
}

impl Service {
    /// Starts the pwdlib service (both hashers); see [`Service::start_app`].
    pub fn start(dir: &Path, database_url: &str, secret_key: &str) -> Service {
        Service::start_app(App::Pwdlib, dir, database_url, secret_key)
    }

    /// Starts uvicorn on a free loopback port, with `dir` as working directory (relative
    /// SQLite URLs resolve there), and waits until it answers.
    pub fn start_app(app: App, dir: &Path, database_url: &str, secret_key: &str) -> Service {
        Service::start_with(app, dir, database_url, secret_key, &[])
    }

    /// [`Service::start_app`] with more environment (`REQUIRE_VERIFIED=1`).
    pub fn start_with(
        app: App,
        dir: &Path,
        database_url: &str,
        secret_key: &str,
        env: &[(&str, &str)],
    ) -> Service {
        let hashers = if app == App::Argon2Only {
            "recommended"
        } else {
            "both"
        };
        let mut child = Command::new(app.python())
            .args(["-m", "uvicorn", "app:app", "--app-dir"])
            .arg(app.dir())
            .args(["--host", "127.0.0.1", "--port", "0", "--no-access-log"])
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", secret_key)
            .env("PASSWORD_HASHERS", hashers)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting uvicorn");
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let thread_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("Uvicorn running on http://127.0.0.1:").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = port_tx.send(port);
                }
                let mut log = thread_log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut service = Service {
            child,
            url: String::new(),
            log,
            agent,
            app,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            if let Ok(port) = port_rx.recv_timeout(Duration::from_millis(100)) {
                break port;
            }
            if let Ok(Some(status)) = service.child.try_wait() {
                panic!(
                    "the service exited ({status}) before serving:\n{}",
                    service.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the service did not start:\n{}",
                service.log()
            );
        };
        service.url = format!("http://127.0.0.1:{port}");
        // Answering is the readiness test; no token is the app's own 401.
        let reply = service.get_me(None);
        assert_eq!(reply.status, 401, "{reply:?}\n{}", service.log());
        let detail = match app {
            App::FastapiUsers => "Unauthorized",
            _ => "Not authenticated",
        };
        assert_eq!(reply.body, serde_json::json!({"detail": detail}));
        service
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn reply(&self, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response =
            response.unwrap_or_else(|e| panic!("request failed: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let www_authenticate = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.body_mut().read_to_string().unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            www_authenticate,
        }
    }

    /// The app's login route with the OAuth2 password form.
    pub fn login(&self, username: &str, password: &str) -> Reply {
        self.login_with_scope(username, password, "")
    }

    /// [`Service::login`] asking for scopes (the form's space-separated `scope` field).
    pub fn login_with_scope(&self, username: &str, password: &str, scope: &str) -> Reply {
        let mut form = vec![("username", username), ("password", password)];
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        let response = self
            .agent
            .post(format!("{}{}", self.url, self.app.routes().0))
            // NOTE: after an unhandled exception (the service's 500) uvicorn resets a kept-alive
            // connection before ureq reads the reply; on a connection of its own the 500 arrives.
            .header("Connection", "close")
            .send_form(form);
        self.reply(response)
    }

    /// The app's current-user route with a bearer token, or none.
    pub fn get_me(&self, token: Option<&str>) -> Reply {
        self.get(self.app.routes().1, token)
    }

    /// `GET path` with a bearer token, or none.
    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self
            .agent
            .get(format!("{}{path}", self.url))
            .header("Connection", "close");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.reply(request.call())
    }

    /// `POST path` with a JSON body and a bearer token.
    pub fn post_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.post(path, Some(token), body)
    }

    /// `POST path` with a JSON body, and a bearer token or none (the reset and verify routes).
    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.url))
            .header("Connection", "close")
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.reply(request.send(body.to_string()))
    }

    /// Logs in and reads `/users/me`: the whole service verdict on a login.
    pub fn login_and_me(&self, username: &str, password: &str) -> Reply {
        let login = self.login(username, password);
        if login.status != 200 {
            return login;
        }
        self.get_me(login.body["access_token"].as_str())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
