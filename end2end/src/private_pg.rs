//! A PostgreSQL of one test's own: `initdb` into a temporary folder and `pg_ctl` on a free port, so a
//! fault test can stop and start it without touching anyone else's database. As root (CI here),
//! the commands run as the `postgres` user, as PostgreSQL requires.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn as_postgres(program: &PathBuf) -> Command {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> anyhow::Result<()> {
    let out = c.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

impl PrivatePostgres {
    /// A new cluster (trust authentication, user `postgres`), started.
    pub fn start() -> anyhow::Result<Self> {
        let bindir = Command::new("pg_config").arg("--bindir").output().context("pg_config (Debian's postgresql) is needed")?;
        let bin = PathBuf::from(String::from_utf8_lossy(&bindir.stdout).trim());
        let dir = tempfile::Builder::new().prefix("dgs-pg-").tempdir()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            run({ let mut c = Command::new("chown"); c.args(["-R", "postgres:postgres"]).arg(dir.path()); c }, "chown")?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let pg = PrivatePostgres { dir, bin, port };
        let mut init = as_postgres(&pg.bin.join("initdb"));
        init.args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"]).arg(pg.data());
        run(init, "initdb")?;
        pg.up()?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of its `postgres` database, for `TestServer::start_on`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) -> anyhow::Result<()> {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", self.port, self.dir.path().display());
        c.args(["-w", "-t", "30", "-o", &opts, "-l"]).arg(self.dir.path().join("log")).arg("-D").arg(self.data()).arg("start");
        run(c, "pg_ctl start")
    }

    /// Stops the server at once (`-m fast`: sessions are ended, nothing is lost that was committed).
    pub fn down(&self) -> anyhow::Result<()> {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        c.args(["-w", "-m", "fast", "-D"]).arg(self.data()).arg("stop");
        run(c, "pg_ctl stop")
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let mut c = as_postgres(&self.bin.join("pg_ctl"));
        c.args(["-m", "immediate", "-D"]).arg(self.data()).arg("stop");
        let _ = c.output();
    }
}
