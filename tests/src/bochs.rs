//! Bochs: the second emulator, with x2APIC. Boots the GRUB ISO; serial on a loopback socket.

use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Bochs CPU model unless `BOCHS_CPU` names another.
pub const DEFAULT_CPU: &str = "corei7_skylake_x";

/// Largest guest memory we give Bochs (it allocates guest RAM on the host).
pub const MAX_MEGS: u64 = 2048;

/// How long Bochs may take to open its serial socket.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// One Bochs machine.
#[derive(Clone, Debug)]
pub struct Bochs {
    /// The GRUB ISO to boot.
    pub iso: PathBuf,
    /// Number of CPUs.
    pub smp: u32,
    /// Guest memory in MiB (capped at [`MAX_MEGS`]).
    pub mem_mib: u64,
    /// Bochs CPU model, e.g. `corei7_skylake_x`.
    pub cpu: String,
    /// Where the bochsrc, the debugger script and the logs go.
    pub dir: PathBuf,
}

impl Bochs {
    /// The CPU model from `BOCHS_CPU`, or [`DEFAULT_CPU`].
    pub fn cpu_from_env() -> String {
        std::env::var("BOCHS_CPU")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CPU.into())
    }

    /// The bochsrc text for a serial socket on `port`.
    pub fn config(&self, port: u16) -> String {
        let megs = self.mem_mib.clamp(32, MAX_MEGS);
        format!(
            "megs: {megs}\n\
             cpu: model={cpu}, count={smp}, ips=50000000\n\
             romimage: file=/usr/share/bochs/BIOS-bochs-latest\n\
             vgaromimage: file=/usr/share/vgabios/vgabios.bin\n\
             ata0-master: type=cdrom, path={iso}, status=inserted\n\
             boot: cdrom\n\
             com1: enabled=1, mode=socket-server, dev=127.0.0.1:{port}\n\
             display_library: term\n\
             log: {log}\n",
            cpu = self.cpu,
            smp = self.smp,
            iso = self.iso.display(),
            log = self.dir.join("bochs.log").display(),
        )
    }

    /// Writes the configuration, starts Bochs and connects to its serial socket.
    /// On failure Bochs is killed and the error quotes the end of its output.
    pub fn start(&self) -> Result<(Child, TcpStream)> {
        fs::create_dir_all(&self.dir).map_err(Error::io("creating the Bochs directory"))?;
        let port = free_port()?;
        let rc = self.dir.join("bochsrc");
        let script = self.dir.join("continue.rc");
        let out = self.dir.join("bochs.out");
        fs::write(&rc, self.config(port)).map_err(Error::io("writing bochsrc"))?;
        fs::write(&script, "c\n").map_err(Error::io("writing the Bochs debugger script"))?;
        let out_file = File::create(&out).map_err(Error::io("creating bochs.out"))?;
        let err_file = out_file
            .try_clone()
            .map_err(Error::io("creating bochs.out"))?;
        let mut child = Command::new("bochs")
            .arg("-q")
            .arg("-f")
            .arg(&rc)
            .arg("-rc")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(out_file)
            .stderr(err_file)
            .spawn()
            .map_err(Error::io("starting bochs"))?;
        match connect(&mut child, port) {
            Ok(socket) => Ok((child, socket)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(Error::Check(format!(
                    "{e}\n--- {} ---\n{}",
                    out.display(),
                    tail(&out)
                )))
            }
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(Error::io("finding a free loopback port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(Error::io("finding a free loopback port"))
}

/// Connects to Bochs' serial socket, retrying while Bochs starts up.
fn connect(child: &mut Child, port: u16) -> Result<TcpStream> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        if let Ok(socket) = TcpStream::connect(("127.0.0.1", port)) {
            return Ok(socket);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Error::Check(format!(
                "bochs exited ({status}) before opening its serial socket"
            )));
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                step: format!("Bochs to open its serial socket on 127.0.0.1:{port}"),
                after: CONNECT_TIMEOUT,
            });
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// The last 2 000 bytes of a file, for error messages.
fn tail(path: &Path) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(2000);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_bochsrc() {
        let b = Bochs {
            iso: "/x/mohhos.iso".into(),
            smp: 4,
            mem_mib: 4096,
            cpu: DEFAULT_CPU.into(),
            dir: "/x/bochs".into(),
        };
        let rc = b.config(4321);
        assert!(rc.contains("megs: 2048\n"), "{rc}");
        assert!(rc.contains("cpu: model=corei7_skylake_x, count=4, ips=50000000\n"));
        assert!(rc.contains("path=/x/mohhos.iso, status=inserted"));
        assert!(rc.contains("mode=socket-server, dev=127.0.0.1:4321\n"));
        assert!(rc.contains("log: /x/bochs/bochs.log\n"));
    }
}
