//! Shared helpers for black-box tests of the `cofee` binary: real fixtures made with FFmpeg from
//! the LibriVox recordings in Debian's `pocketsphinx-testdata`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const LIBRIVOX: &str = "/usr/share/pocketsphinx/test/data/librivox";
/// Silence after the speech, so a test can look at frames where nothing is said.
pub const TAIL_SILENCE_SECS: f64 = 3.0;

pub fn cofee(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(args)
        .env("COFEE_DATA_DIR", fixtures_dir().join("data"))
        .env_remove("COFEE_WHISPER_MODEL")
        .output()
        .expect("cofee runs")
}

/// `cofee` with these variables set and none of the service's other settings inherited.
pub fn cofee_with_env(args: &[&str], env: &[(&str, String)]) -> Output {
    service_command(args, env).output().expect("cofee runs")
}

fn service_command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cofee"));
    c.args(args);
    for k in [
        "COFEE_JWT_SECRET",
        "COFEE_WHISPER_MODEL",
        "COFEE_ENGINE",
        "COFEE_DATABASE_URL",
        "COFEE_STORAGE_URL",
        "COFEE_ENV",
        "COFEE_LISTEN",
    ] {
        c.env_remove(k);
    }
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn ffmpeg(args: &[&str]) {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(o.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

pub fn fixtures_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cofee-fixtures");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Makes `name` with `make` unless it exists; atomic, so parallel test binaries can share it.
fn fixture(name: &str, make: impl FnOnce(&Path)) -> PathBuf {
    let path = fixtures_dir().join(name);
    if !path.exists() {
        let tmp = fixtures_dir().join(format!(
            ".{}.{}.tmp{}",
            std::process::id(),
            rand_suffix(),
            Path::new(name)
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default()
        ));
        make(&tmp);
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// The LibriVox clips in order, joined into one WAV.
pub fn speech_wav() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        fixture("speech.wav", |out| {
            let ids = std::fs::read_to_string(format!("{LIBRIVOX}/fileids")).unwrap();
            let list = fixtures_dir().join(format!("list-{}.txt", std::process::id()));
            let body: String =
                ids.lines().map(|id| format!("file '{LIBRIVOX}/{id}.wav'\n")).collect();
            std::fs::write(&list, body).unwrap();
            ffmpeg(&[
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                list.to_str().unwrap(),
                "-c:a",
                "pcm_s16le",
                "-f",
                "wav",
                out.to_str().unwrap(),
            ]);
        })
    })
    .clone()
}

/// What is said in [`speech_wav`], from the recordings' transcription file.
pub fn reference_text() -> String {
    let ids = std::fs::read_to_string(format!("{LIBRIVOX}/fileids")).unwrap();
    let lines = std::fs::read_to_string(format!("{LIBRIVOX}/transcription")).unwrap();
    ids.lines()
        .map(|id| {
            let line = lines.lines().find(|l| l.contains(&format!("({id})"))).unwrap();
            line.split_whitespace()
                .filter(|w| !w.starts_with('<') && !w.starts_with('('))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn probe_duration(path: &Path) -> f64 {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// A 1080×1920 30 fps H.264 talking-head stand-in (`testsrc2`) with the speech and a silent tail.
/// The file name has a space and non-ASCII characters on purpose.
pub fn talk_mp4() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        fixture("talk clip é.mp4", |out| {
            let wav = speech_wav();
            let secs = format!("{:.3}", probe_duration(&wav) + TAIL_SILENCE_SECS);
            ffmpeg(&[
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=1080x1920:r=30",
                "-i",
                wav.to_str().unwrap(),
                "-af",
                "apad",
                "-t",
                &secs,
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-crf",
                "23",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-f",
                "mp4",
                out.to_str().unwrap(),
            ]);
        })
    })
    .clone()
}

/// The first `secs` seconds of [`talk_mp4`], copied into `dir`.
pub fn talk_cut(dir: &Path, secs: u32) -> PathBuf {
    let clip = dir.join(format!("talk-{secs}s.mp4"));
    ffmpeg(&[
        "-i",
        talk_mp4().to_str().unwrap(),
        "-t",
        &secs.to_string(),
        "-c",
        "copy",
        clip.to_str().unwrap(),
    ]);
    clip
}

/// `cofee -vv caption CLIP --captions SRT` (with `srt` as the file's text) into `dir`, at
/// `ultrafast`: the run and the output's path.
pub fn caption_logged(dir: &Path, clip: &Path, srt: &str) -> (Output, PathBuf) {
    let (srt_path, out) = (dir.join("captions.srt"), dir.join("captioned.mp4"));
    std::fs::write(&srt_path, srt).unwrap();
    let o = cofee(&[
        "-vv",
        "caption",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--captions",
        srt_path.to_str().unwrap(),
        "--preset",
        "ultrafast",
    ]);
    (o, out)
}

pub enum Half {
    Top,
    Bottom,
}

/// Mean absolute difference of one half of two videos' frames at `t` (grey levels 0–255).
pub fn half_difference(a: &Path, b: &Path, t: f64, half: Half) -> f64 {
    let crop = match half {
        Half::Top => "crop=iw:ih/2:0:0",
        Half::Bottom => "crop=iw:ih/2:0:ih/2",
    };
    let grab = |p: &Path| {
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-ss", &format!("{t:.3}"), "-i"])
            .arg(p)
            .args(["-frames:v", "1", "-vf", crop, "-f", "rawvideo", "-pix_fmt", "gray", "-"])
            .output()
            .unwrap();
        assert!(o.status.success() && !o.stdout.is_empty());
        o.stdout
    };
    let (x, y) = (grab(a), grab(b));
    assert_eq!(x.len(), y.len());
    x.iter().zip(&y).map(|(p, q)| (*p as i32 - *q as i32).unsigned_abs() as u64).sum::<u64>() as f64
        / x.len() as f64
}

#[derive(Debug, serde::Deserialize)]
pub struct StreamInfo {
    pub codec_type: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub r_frame_rate: Option<String>,
}

pub fn streams(path: &Path) -> Vec<StreamInfo> {
    #[derive(serde::Deserialize)]
    struct P {
        streams: Vec<StreamInfo>,
    }
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_streams"])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{} is not readable media", path.display());
    serde_json::from_slice::<P>(&o.stdout).unwrap().streams
}

/// Files in `dir` whose names suggest a leftover partial output.
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part") || n.starts_with(".out"))
        .collect()
}

/// A running service role (`serve`, `api`, `worker`) that printed its URL on its first line;
/// killed when dropped.
pub struct Role {
    pub url: String,
    /// The whole first line, which may name other addresses (the API's metrics port).
    pub banner: String,
    pub child: std::process::Child,
}

impl Role {
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Self {
        Self::spawn(service_command(args, env))
    }

    /// As `start`, with the process's log (stderr: JSON lines) written to `log`.
    pub fn start_logged(args: &[&str], env: &[(&str, String)], log: &Path) -> Self {
        let mut cmd = service_command(args, env);
        cmd.stderr(std::fs::File::create(log).expect("log file"));
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches(['.', ','])
            .to_string();
        Self { url, banner: line.trim().to_string(), child }
    }

    /// Sends SIGTERM and waits up to `secs` for a clean exit.
    pub fn stop(&mut self, secs: u64) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..secs * 20 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.child.kill().unwrap();
        panic!("cofee did not stop within {secs} s of SIGTERM");
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A running `cofee serve` on a random port with its own data directory.
pub struct Served {
    pub url: String,
    role: Role,
    pub dir: tempfile::TempDir,
}

impl Served {
    pub fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), &[])
    }

    /// Starts `cofee serve` on an existing data directory, with extra arguments.
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let mut args =
            vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()];
        args.extend(extra);
        let role = Role::spawn(service_command(
            &args,
            &[("COFEE_DATA_DIR", dir.path().display().to_string())],
        ));
        Self { url: role.url.clone(), role, dir }
    }

    pub fn pid(&self) -> u32 {
        self.role.child.id()
    }

    pub fn kill(&mut self) {
        let _ = self.role.child.kill();
        let _ = self.role.child.wait();
    }

    /// Sends SIGTERM and waits up to `secs` for a clean exit.
    pub fn stop(&mut self, secs: u64) -> std::process::ExitStatus {
        self.role.stop(secs)
    }
}

/// The value of the first sample in Prometheus text `metrics` whose line starts with `name`
/// (a metric name, with labels as far as they should match).
pub fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// A PostgreSQL cluster of the test's own (`initdb` + `pg_ctl`, never the machine's shared
/// server), in a temporary directory, for tests that stop and start it. initdb refuses to run as
/// root, so as root the tools run as the `postgres` system user.
///
/// It listens on a unix socket in that directory only (`listen_addresses=''`; the port merely
/// names the socket file), and clients reach it there (the URL's host is the directory). No TCP
/// port, so nothing to race for: a port picked free here and handed to `pg_ctl` could be taken
/// by another test's server before PostgreSQL binds it, or while it is down between
/// [`ThrowawayPostgres::down`] and [`ThrowawayPostgres::up`]; nobody else can create a socket in
/// our directory.
pub struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// Names the socket file (`.s.PGSQL.5432`) in the cluster's own directory; no TCP port.
const THROWAWAY_PG_PORT: u16 = 5432;

impl ThrowawayPostgres {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries are installed")
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists())
            .expect("initdb");
        let dir = tempfile::Builder::new().prefix("cofee-pg-").tempdir_in("/tmp").unwrap();
        let pg = Self { dir, bin };
        if pg.as_root() {
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(pg.dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        pg.run(
            "initdb",
            &["-D", &pg.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
        );
        pg.up();
        pg
    }

    fn as_root(&self) -> bool {
        // The real uid, from /proc (no libc call needed in a test).
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).current_dir(self.dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn up(&self) {
        let options = format!(
            "-p {THROWAWAY_PG_PORT} -k {} -c listen_addresses='' -c fsync=off",
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &self.dir.path().join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
    }

    pub fn down(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// The socket's directory as the URL's host, percent-encoded (sqlx reads a host that starts
    /// with `/` as a socket directory; as a host name it would resolve nowhere, never to the
    /// machine's server).
    pub fn url(&self) -> String {
        let dir = self.dir.path().display().to_string();
        let host: String = dir
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("postgres://postgres@{host}:{THROWAWAY_PG_PORT}/postgres")
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| self.down());
    }
}

/// `GET /health/ready` by curl (a blocking test's client): the status and the JSON body.
pub fn ready(url: &str) -> (u16, serde_json::Value) {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", "-w", "\n%{http_code}", &format!("{url}/health/ready")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// Checks every 200 ms until `check` holds; panics after `secs`.
pub fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// The JSON lines of a service's log file (other lines skipped).
pub fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
